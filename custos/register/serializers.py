"""The shapes of the register's JSON API: what it accepts and what it returns.

Serializers here only parse and present. They hold no rules of the register
(those live in ``services``) and read no data themselves (``selectors`` do):
the API views in ``custos.register.api`` hand them objects already read in
scope and logged.

Every intelligence item shows its 3x5x2 grade, whether it is a fact or an
assessment (DPA 2018 s.38(2)), the category of the person in it (s.38(3)),
its verification state and its handling code and conditions. Protected
characteristics appear only in a person's detail, and only as ``null`` for a
role that may not see them.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from custos.register.models import (
    BCU,
    Action,
    ActionKind,
    Band,
    Borough,
    Category,
    Criterion,
    Gender,
    Handling,
    IntelGrade,
    Nature,
    Nomination,
    ObservedEthnicity,
    SelfDefinedEthnicity,
    SourceGrade,
    SourceType,
    Verification,
)

PURPOSE_HELP = (
    "Why you are recording this (s.62). Falls back to the X-Custos-Purpose header; required for recording a person."
)


class EnumChoiceField(serializers.ChoiceField):
    """A value of one of the register's enums (``Band``, ``Category``, ``Nature``…).

    Each enum is one named component of the OpenAPI schema, however many
    fields use it (a band decided, recommended or previous is still a band).
    """

    def __init__(self, enum: type[models.TextChoices], **kwargs: Any) -> None:
        self.enum = enum
        super().__init__(choices=enum.choices, **kwargs)


class EnumChoiceFieldScheme(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    target_class = EnumChoiceField

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        field: EnumChoiceField = self.target
        enum = field.enum
        name = enum.__qualname__.replace(".", "")
        component = ResolvedComponent(  # type: ignore[no-untyped-call]
            name=name,
            type=ResolvedComponent.SCHEMA,
            object=enum,
            schema={
                "type": "string",
                "enum": list(enum.values),
                "description": "\n".join(f"* `{value}` - {label}" for value, label in enum.choices),
            },
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return dict(component.ref)


# Output ------------------------------------------------------------------------------------------------------------


class BcuOutputSerializer(serializers.Serializer[Any]):
    code = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)


class GangOutputSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class ScoreLineOutputSerializer(serializers.Serializer[Any]):
    """One line of a score's explanation: an item and what it added, or why it added nothing."""

    item = serializers.UUIDField(read_only=True, help_text="The intelligence item.")
    criterion = EnumChoiceField(Criterion, read_only=True)
    points = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    reason = serializers.CharField(read_only=True)


class ScoreOutputSerializer(serializers.Serializer[Any]):
    """The current harm score: advisory only; a named person decides the band."""

    total = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    recommended_band = EnumChoiceField(
        Band, allow_blank=True, read_only=True, help_text="A recommendation, never a decision."
    )
    rubric_version = serializers.IntegerField(source="rubric.version", read_only=True)
    computed_at = serializers.DateTimeField(read_only=True)
    counted = ScoreLineOutputSerializer(many=True, read_only=True, source="explanation.counted")
    excluded = ScoreLineOutputSerializer(many=True, read_only=True, source="explanation.excluded")


class CategoriesField(serializers.ListField):
    """The categories (s.38(3)) a person is recorded in, e.g. both victim and suspect."""

    child = EnumChoiceField(Category)


class PersonSummaryOutputSerializer(serializers.Serializer[Any]):
    """A person, the categories they are recorded in (s.38(3)) and their current score."""

    # Reads a row with ``person``, ``categories`` and ``score`` (``api.PersonRow``).

    id = serializers.UUIDField(source="person.id", read_only=True)
    reference = serializers.CharField(source="person.short_ref", read_only=True)
    full_name = serializers.CharField(source="person.full_name", read_only=True)
    bcu = serializers.SlugField(source="person.bcu.code", read_only=True)
    categories = CategoriesField(read_only=True)
    is_victim = serializers.SerializerMethodField(help_text="Recorded as a victim in at least one record.")
    score = ScoreOutputSerializer(read_only=True, allow_null=True)

    def get_is_victim(self, row: Any) -> bool:
        return Category.VICTIM in row.categories


class ProtectedCharacteristicsOutputSerializer(serializers.Serializer[Any]):
    """Held for equality monitoring only; never an input to a score or a rule."""

    observed_ethnicity = EnumChoiceField(ObservedEthnicity, allow_null=True, read_only=True)
    self_defined_ethnicity = EnumChoiceField(SelfDefinedEthnicity, allow_null=True, read_only=True)
    gender = EnumChoiceField(Gender, allow_null=True, read_only=True)


class PersonNominationOutputSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True)
    bcu = serializers.SlugField(source="bcu.code", read_only=True)
    status = EnumChoiceField(Nomination.Status, read_only=True)
    band = EnumChoiceField(Band, allow_blank=True, read_only=True)
    proposed_at = serializers.DateTimeField(read_only=True)
    review_due = serializers.DateField(read_only=True, allow_null=True)


class ActionOutputSerializer(serializers.Serializer[Any]):
    """An action taken because of the matrix, with what the action policy was applied to."""

    id = serializers.UUIDField(read_only=True)
    nomination = serializers.UUIDField(source="nomination_id", read_only=True, allow_null=True)
    kind = serializers.SlugField(source="kind.code", read_only=True)
    kind_label = serializers.CharField(source="kind.label", read_only=True)
    kind_class = EnumChoiceField(ActionKind.Kind, source="kind.kind", read_only=True)
    taken_on = serializers.DateField(read_only=True)
    basis = EnumChoiceField(Action.Basis, read_only=True, help_text="What the policy was applied to.")
    band = EnumChoiceField(Band, allow_blank=True, read_only=True, help_text="The band when it was recorded.")
    policy_version = serializers.IntegerField(read_only=True)
    notes = serializers.CharField(read_only=True)
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)
    recorded_at = serializers.DateTimeField(read_only=True)


class PersonDetailOutputSerializer(PersonSummaryOutputSerializer):
    """A person's record."""

    # Reads ``selectors.PersonDetail``.

    borough = serializers.CharField(source="person.borough.name", read_only=True, allow_null=True, default=None)
    aliases = serializers.ListField(
        child=serializers.CharField(), source="person.aliases", read_only=True, allow_null=True
    )
    date_of_birth = serializers.DateField(source="person.date_of_birth", read_only=True, allow_null=True)
    addresses = serializers.ListField(
        child=serializers.CharField(), source="person.addresses", read_only=True, allow_null=True
    )
    created_at = serializers.DateTimeField(source="person.created_at", read_only=True)
    nominations = PersonNominationOutputSerializer(many=True, read_only=True)
    protected_characteristics = serializers.SerializerMethodField(
        help_text="Null unless your role may see protected characteristics (equality monitoring only)."
    )

    actions = serializers.SerializerMethodField(
        help_text="Actions taken because of the matrix, newest first, each with the band and action policy "
        "version it was allowed under."
    )

    @extend_schema_field(ProtectedCharacteristicsOutputSerializer(allow_null=True))
    def get_protected_characteristics(self, detail: Any) -> dict[str, Any] | None:
        if not detail.show_protected:
            return None
        return dict(ProtectedCharacteristicsOutputSerializer(detail.person).data)

    @extend_schema_field(ActionOutputSerializer(many=True))
    def get_actions(self, detail: Any) -> list[Any]:
        # The view reads them in scope (``actions.actions_for``) and passes them in the context.
        return list(ActionOutputSerializer(self.context.get("actions", []), many=True).data)


class IntelligenceOutputSerializer(serializers.Serializer[Any]):
    """An intelligence item, with everything that says how far it can be relied on."""

    id = serializers.UUIDField(read_only=True)
    person = serializers.UUIDField(source="person_id", read_only=True)
    bcu = serializers.SlugField(source="bcu.code", read_only=True)
    category = EnumChoiceField(Category, read_only=True, help_text="The person's category in this record (s.38(3)).")
    gang = GangOutputSerializer(read_only=True, allow_null=True)
    occurred_on = serializers.DateField(read_only=True)
    source_type = EnumChoiceField(SourceType, read_only=True)
    grade = serializers.CharField(read_only=True, help_text="3x5x2 grade: source, intelligence, handling (e.g. 1BP).")
    source_grade = EnumChoiceField(SourceGrade, read_only=True)
    intel_grade = EnumChoiceField(IntelGrade, read_only=True)
    handling = EnumChoiceField(Handling, read_only=True)
    handling_conditions = serializers.CharField(read_only=True, help_text="The conditions of handling code C.")
    nature = EnumChoiceField(Nature, read_only=True, help_text="Fact or assessment (s.38(2)).")
    verification = EnumChoiceField(
        Verification,
        read_only=True,
        help_text="An unverified social-media item counts towards nothing.",
    )
    criterion = EnumChoiceField(Criterion, read_only=True)
    offence_code = serializers.CharField(read_only=True)
    summary = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class RagDecisionOutputSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(read_only=True)
    band = EnumChoiceField(Band, read_only=True)
    previous_band = EnumChoiceField(Band, allow_blank=True, read_only=True)
    reasons = serializers.CharField(read_only=True)
    score_total = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True, allow_null=True)
    recommended_band = EnumChoiceField(Band, allow_blank=True, read_only=True)
    rubric_version = serializers.IntegerField(read_only=True, allow_null=True)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True)
    decided_at = serializers.DateTimeField(read_only=True)


class NominalOutputSerializer(serializers.Serializer[Any]):
    """A nomination on the matrix: a person, their BCU, status and decided band."""

    # Reads ``api.NominalRow``.

    id = serializers.UUIDField(source="nomination.id", read_only=True)
    person = PersonSummaryOutputSerializer(read_only=True)
    bcu = serializers.SlugField(source="nomination.bcu.code", read_only=True)
    gang = GangOutputSerializer(source="nomination.gang", read_only=True, allow_null=True)
    status = EnumChoiceField(Nomination.Status, source="nomination.status", read_only=True)
    band = EnumChoiceField(
        Band,
        source="nomination.band",
        allow_blank=True,
        read_only=True,
        help_text="The band a named person decided; blank until decided.",
    )
    proposed_at = serializers.DateTimeField(source="nomination.proposed_at", read_only=True)
    activated_at = serializers.DateTimeField(source="nomination.activated_at", read_only=True, allow_null=True)
    review_due = serializers.DateField(source="nomination.review_due", read_only=True, allow_null=True)


class NominalDetailOutputSerializer(NominalOutputSerializer):
    """A nomination with its reasons, corroboration and every band decision."""

    reasons = serializers.CharField(source="nomination.reasons", read_only=True)
    corroborating_items = serializers.ListField(
        child=serializers.UUIDField(),
        source="nomination.corroborating_items",
        read_only=True,
        help_text="Items from independent sources that corroborate the nomination.",
    )
    proposed_by = serializers.CharField(
        source="nomination.proposed_by.username", read_only=True, allow_null=True, default=None
    )
    activated_by = serializers.CharField(
        source="nomination.activated_by.username", read_only=True, allow_null=True, default=None
    )
    decisions = RagDecisionOutputSerializer(many=True, read_only=True)


# Input -------------------------------------------------------------------------------------------------------------


class NominalFilterInputSerializer(serializers.Serializer[Any]):
    """Filters on the matrix; without ``status`` only open nominations are listed."""

    bcu = serializers.SlugField(required=False, help_text="BCU code.")
    band = serializers.ChoiceField(
        choices=[*Band.choices, ("none", "No band decided")], required=False, help_text="RAG band, or none."
    )
    status = EnumChoiceField(Nomination.Status, required=False)
    category = EnumChoiceField(Category, required=False, help_text="People recorded in this category in any item.")


class IntelligenceFilterInputSerializer(serializers.Serializer[Any]):
    person = serializers.UUIDField(required=False, help_text="Only items about this person.")


class PersonCreateInputSerializer(serializers.Serializer[Any]):
    bcu = serializers.SlugRelatedField(slug_field="code", queryset=BCU.objects.all(), help_text="BCU code.")
    full_name = serializers.CharField(max_length=200)
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=200), required=False, default=list, max_length=50
    )
    addresses = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, default=list, max_length=50
    )
    borough = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Borough.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Borough name; must be in the BCU.",
    )
    observed_ethnicity = EnumChoiceField(ObservedEthnicity, required=False, allow_blank=True, default="")
    self_defined_ethnicity = EnumChoiceField(SelfDefinedEthnicity, required=False, allow_blank=True, default="")
    gender = EnumChoiceField(Gender, required=False, allow_blank=True, default="")
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text=PURPOSE_HELP)


class IntelligenceCreateInputSerializer(serializers.Serializer[Any]):
    person = serializers.UUIDField(help_text="The person the item is about.")
    category = EnumChoiceField(Category, help_text="The person's category in this record.")
    occurred_on = serializers.DateField()
    source_type = EnumChoiceField(SourceType)
    source_reference = serializers.CharField(
        max_length=200, help_text="Kept only as a keyed digest, to tell independent sources apart."
    )
    source_grade = EnumChoiceField(SourceGrade)
    intel_grade = EnumChoiceField(IntelGrade)
    handling = EnumChoiceField(Handling)
    handling_conditions = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    nature = EnumChoiceField(Nature, help_text="Fact or assessment (s.38(2)).")
    criterion = EnumChoiceField(Criterion)
    summary = serializers.CharField(max_length=5000)
    gang = serializers.UUIDField(required=False, allow_null=True, default=None)
    offence_code = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
    purpose = serializers.CharField(required=False, allow_blank=True, max_length=500, help_text=PURPOSE_HELP)


# Errors (for the schema only) -----------------------------------------------------------------------------------


class ErrorOutputSerializer(serializers.Serializer[Any]):
    """A refusal: 401, 403, 404, or a rule of the register broken (400)."""

    detail = serializers.CharField(read_only=True)
