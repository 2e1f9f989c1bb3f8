"""The register: BCUs, boroughs, people, gangs, intelligence, nominations, scores, decisions.

Every personal value is an encrypted field sealed with the data subject's own
data key (``data_key``). Plain columns hold only what the register must
filter and count on without reading anyone's personal data: BCU, category,
grades, status, bands, dates of records.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from custos.crypto.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from custos.crypto.models import DataKey


class BCU(models.Model):
    """A Basic Command Unit; its SPOC answers for its matrix."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "BCU"

    def __str__(self) -> str:
        return self.name


class Borough(models.Model):
    name = models.CharField(max_length=100, unique=True)
    bcu = models.ForeignKey(BCU, on_delete=models.PROTECT, related_name="boroughs")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Category(models.TextChoices):
    """The category of a data subject in one record (DPA 2018 s.38(3))."""

    SUSPECTED_OFFENDER = "suspected_offender", "Suspected offender"
    CONVICTED_OFFENDER = "convicted_offender", "Convicted offender"
    VICTIM = "victim", "Victim"
    WITNESS = "witness", "Witness"
    OTHER = "other", "Other"


#: Categories whose records may count towards a nomination or a score.
OFFENDER_CATEGORIES = frozenset({Category.SUSPECTED_OFFENDER, Category.CONVICTED_OFFENDER})


class Band(models.TextChoices):
    RED = "red", "Red"
    AMBER = "amber", "Amber"
    GREEN = "green", "Green"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    NOT_STATED = "not_stated", "Not stated"


class ObservedEthnicity(models.TextChoices):
    """The officer-observed identity code (IC); for equality monitoring only."""

    IC1 = "IC1", "IC1 White – North European"
    IC2 = "IC2", "IC2 White – South European"
    IC3 = "IC3", "IC3 Black"
    IC4 = "IC4", "IC4 Asian"
    IC5 = "IC5", "IC5 Chinese, Japanese or South East Asian"
    IC6 = "IC6", "IC6 Middle Eastern"
    IC9 = "IC9", "IC9 Unknown"


class SelfDefinedEthnicity(models.TextChoices):
    """The 18+1 self-defined ethnicity codes; for equality monitoring only."""

    W1 = "W1", "White – English, Welsh, Scottish, Northern Irish or British"
    W2 = "W2", "White – Irish"
    W3 = "W3", "White – Gypsy or Irish Traveller"
    W9 = "W9", "White – Any other White background"
    M1 = "M1", "Mixed – White and Black Caribbean"
    M2 = "M2", "Mixed – White and Black African"
    M3 = "M3", "Mixed – White and Asian"
    M9 = "M9", "Mixed – Any other Mixed background"
    A1 = "A1", "Asian – Indian"
    A2 = "A2", "Asian – Pakistani"
    A3 = "A3", "Asian – Bangladeshi"
    A4 = "A4", "Asian – Chinese"
    A9 = "A9", "Asian – Any other Asian background"
    B1 = "B1", "Black – Caribbean"
    B2 = "B2", "Black – African"
    B9 = "B9", "Black – Any other Black background"
    O2 = "O2", "Other – Arab"
    O9 = "O9", "Other – Any other ethnic group"
    NS = "NS", "Not stated"


class Person(models.Model):
    """A data subject. All personal values are encrypted with ``data_key``.

    Protected characteristics (``observed_ethnicity``, ``self_defined_ethnicity``,
    ``gender``) are held for equality monitoring only: scoring never reads
    this model, only ``ScoringInput`` built from intelligence.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.OneToOneField(DataKey, on_delete=models.PROTECT, related_name="+")
    bcu = models.ForeignKey(BCU, on_delete=models.PROTECT, related_name="people")
    borough = models.ForeignKey(Borough, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    full_name = EncryptedTextField()
    aliases = EncryptedJSONField(null=True)
    date_of_birth = EncryptedDateField(null=True)
    addresses = EncryptedJSONField(null=True)
    observed_ethnicity = EncryptedTextField(null=True)
    self_defined_ethnicity = EncryptedTextField(null=True)
    gender = EncryptedTextField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    # Restriction of processing (DPA 2018 s.47): while set, the person is hidden
    # from every role not named in ``restricted_to`` (",dpo,iru," form) and
    # nothing about them may change. Set and cleared by custos.retention only.
    restricted_at = models.DateTimeField(null=True, blank=True)
    restricted_to = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["bcu", "created_at"])]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        """Pseudonymous reference used in logs and events."""
        return f"person:{self.pk}"

    @property
    def short_ref(self) -> str:
        return "P-" + self.pk.hex[:8].upper()

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None

    @property
    def restricted_roles(self) -> list[str]:
        return [role for role in self.restricted_to.split(",") if role]


class PersonIndex(models.Model):
    """Blind-index entries for exact search on name, alias and date of birth."""

    class Kind(models.TextChoices):
        NAME = "name", "Name"
        ALIAS = "alias", "Alias"
        DOB = "dob", "Date of birth"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="index_entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    digest = models.BinaryField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["digest"])]
        verbose_name_plural = "person index entries"

    def __str__(self) -> str:
        return f"{self.kind} index of {self.person_id}"


class Gang(models.Model):
    """A group the force polices under its strategy (Annex 1 term 15)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DORMANT = "dormant", "Dormant"
        CLOSED = "closed", "Closed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    bcu = models.ForeignKey(BCU, on_delete=models.PROTECT, related_name="gangs")
    evidence_basis = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    review_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    #: ``{topic: version}`` of the written guidance in force when it was recorded (register.guidance).
    guidance = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["bcu", "name"], name="gang_unique_name_per_bcu")]

    def __str__(self) -> str:
        return self.name


class SourceType(models.TextChoices):
    POLICE = "police", "Police"
    PARTNER = "partner_agency", "Partner agency"
    SOCIAL_MEDIA = "social_media", "Open source / social media"
    PUBLIC = "public", "Member of the public"


class SourceGrade(models.TextChoices):
    """3x5x2 source evaluation."""

    RELIABLE = "1", "1 – Reliable"
    UNTESTED = "2", "2 – Untested"
    NOT_RELIABLE = "3", "3 – Not reliable"


class IntelGrade(models.TextChoices):
    """3x5x2 intelligence assessment."""

    A = "A", "A – Known directly to the source"
    B = "B", "B – Known indirectly, corroborated"
    C = "C", "C – Known indirectly"
    D = "D", "D – Not known"
    E = "E", "E – Suspected to be false"


class Handling(models.TextChoices):
    """3x5x2 handling code."""

    P = "P", "P – Lawful sharing permitted"
    C = "C", "C – Lawful sharing permitted with conditions"


class Nature(models.TextChoices):
    """DPA 2018 s.38(2): facts are distinguished from personal assessments."""

    FACT = "fact", "Fact"
    ASSESSMENT = "assessment", "Assessment"


class Verification(models.TextChoices):
    NOT_REQUIRED = "not_required", "Not required"
    UNVERIFIED = "unverified", "Unverified"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class Criterion(models.TextChoices):
    """What an item evidences; the rubric gives each criterion its weight."""

    SERIOUS_VIOLENCE = "serious_violence", "Serious violence"
    WEAPON_FIREARM = "weapon_firearm", "Firearm possession or use"
    WEAPON_KNIFE = "weapon_knife", "Knife possession or use"
    DRUG_SUPPLY = "drug_supply", "Drug supply"
    ROBBERY = "robbery", "Robbery"
    EXPLOITATION = "exploitation", "Exploitation of others"
    GANG_ASSOCIATION = "gang_association", "Gang association"
    VICTIMISATION = "victimisation", "Victim of crime"
    GANG_EXIT = "gang_exit", "Evidence of exit from gang activity"
    OTHER = "other", "Other"


#: Criteria that never add to a score and are not gang-related police attention.
NON_HARM_CRITERIA = frozenset({Criterion.VICTIMISATION, Criterion.GANG_EXIT})


class IntelligenceItem(models.Model):
    """A dated, sourced, graded record about one person in one category.

    The summary is encrypted with the subject's key. The source reference is
    kept only as a blind-index digest: enough to tell two independent
    sources apart, not to name them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="intelligence")
    bcu = models.ForeignKey(BCU, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=30, choices=Category.choices)
    gang = models.ForeignKey(Gang, on_delete=models.SET_NULL, null=True, blank=True, related_name="intelligence")
    occurred_on = models.DateField()
    source_type = models.CharField(max_length=20, choices=SourceType.choices)
    source_digest = models.BinaryField(max_length=32)
    source_grade = models.CharField(max_length=1, choices=SourceGrade.choices)
    intel_grade = models.CharField(max_length=1, choices=IntelGrade.choices)
    handling = models.CharField(max_length=1, choices=Handling.choices)
    handling_conditions = models.TextField(blank=True)
    nature = models.CharField(max_length=10, choices=Nature.choices)
    verification = models.CharField(max_length=15, choices=Verification.choices)
    criterion = models.CharField(max_length=30, choices=Criterion.choices)
    offence_code = models.CharField(max_length=20, blank=True)
    summary = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    #: ``{topic: version}`` of the written guidance in force when it was recorded (register.guidance).
    guidance = models.JSONField(default=dict, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    #: ``{topic: version}`` of the written guidance in force when it was verified or rejected (register.guidance).
    verification_guidance = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_on", "-created_at"]
        indexes = [models.Index(fields=["person", "occurred_on"])]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"intelligence:{self.pk}"

    @property
    def grade(self) -> str:
        return f"{self.source_grade}{self.intel_grade}{self.handling}"


class Rubric(models.Model):
    """A version of the harm-score rubric: criteria, weights, windows, thresholds.

    Rubrics are data. A new version is loaded, never edited in place; the
    active one is the newest with ``is_active``.
    """

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=120)
    definition = models.JSONField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"rubric v{self.version} ({self.name})"


class Nomination(models.Model):
    """A person's entry on a BCU's matrix: proposed → active → under review → removed."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACTIVE = "active", "Active"
        UNDER_REVIEW = "under_review", "Under review"
        REMOVED = "removed", "Removed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN_STATUSES = (Status.PROPOSED, Status.ACTIVE, Status.UNDER_REVIEW)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="nominations")
    bcu = models.ForeignKey(BCU, on_delete=models.PROTECT, related_name="nominations")
    gang = models.ForeignKey(Gang, on_delete=models.SET_NULL, null=True, blank=True, related_name="nominations")
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.PROPOSED)
    band = models.CharField(max_length=5, choices=Band.choices, blank=True)
    reasons = EncryptedTextField()
    corroborating_items = models.JSONField(default=list)
    proposed_at = models.DateTimeField(auto_now_add=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    activation_reasons = EncryptedTextField(null=True)
    review_due = models.DateField(null=True, blank=True)
    #: ``{topic: version}`` of the written guidance in force when it was proposed (register.guidance).
    guidance = models.JSONField(default=dict, blank=True)
    #: ``{topic: version}`` of the written guidance in force when it was confirmed (register.guidance).
    activation_guidance = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status__in=["proposed", "active", "under_review"]),
                name="one_open_nomination_per_person",
            )
        ]
        indexes = [models.Index(fields=["bcu", "status", "band"])]

    def __str__(self) -> str:
        return f"nomination:{self.pk}"

    @property
    def ref(self) -> str:
        return f"nomination:{self.pk}"


class HarmScore(models.Model):
    """A computed score: advisory only. ``explanation`` lists every item and its points."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="scores")
    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="+")
    total = models.DecimalField(max_digits=8, decimal_places=2)
    recommended_band = models.CharField(max_length=5, choices=Band.choices, blank=True)
    explanation = models.JSONField()
    is_current = models.BooleanField(default=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-computed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(is_current=True), name="one_current_score_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"score {self.total} for {self.person_id}"


class RagDecision(models.Model):
    """A named person's decision on a RAG band, with reasons and the score they saw."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, related_name="decisions")
    band = models.CharField(max_length=5, choices=Band.choices)
    previous_band = models.CharField(max_length=5, choices=Band.choices, blank=True)
    reasons = EncryptedTextField()
    score = models.ForeignKey(HarmScore, on_delete=models.SET_NULL, null=True, related_name="+")
    score_total = models.DecimalField(max_digits=8, decimal_places=2, null=True)
    recommended_band = models.CharField(max_length=5, choices=Band.choices, blank=True)
    rubric_version = models.PositiveIntegerField(null=True)
    decided_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    #: ``{topic: version}`` of the written guidance in force when it was decided (register.guidance).
    guidance = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"rag decision {self.band} on {self.nomination_id}"


# Proportionate actions --------------------------------------------------------------------------------


class ActionKind(models.Model):
    """A kind of action that may be taken because of the matrix (reference data).

    Loaded from ``data/action-kinds.json``; which kinds are proportionate for
    whom is the action policy's business (``ActionPolicy``), not this table's.
    A kind is retired (``active`` off), never deleted, so old actions keep it.
    """

    class Kind(models.TextChoices):
        ENFORCEMENT = "enforcement", "Enforcement"
        DIVERSION = "diversion", "Diversion"
        SAFEGUARDING = "safeguarding", "Safeguarding"

    code = models.SlugField(max_length=60, unique=True)
    label = models.CharField(max_length=120)
    kind = models.CharField(max_length=15, choices=Kind.choices)
    description = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "label"]

    def __str__(self) -> str:
        return self.label


class ActionPolicy(models.Model):
    """A version of the action policy: which action kinds each band and category allows.

    Policies are data. A new version is loaded, never edited in place; the
    active one is the newest with ``is_active``. Every action records the
    version it was allowed under.
    """

    version = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=120)
    definition = models.JSONField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "action policies"

    def __str__(self) -> str:
        return f"action policy v{self.version} ({self.name})"


class Action(models.Model):
    """An action taken because of the matrix, as the policy allowed it at the time.

    ``band``, ``basis`` and ``policy_version`` are what the policy was applied
    to when the action was recorded; they do not change when the band does.
    The notes are personal data, sealed with the person's data key.
    """

    class Basis(models.TextChoices):
        NOMINAL = "nominal", "Offender nominal (active nomination)"
        VICTIM = "victim", "Victim or witness"
        NOT_NOMINATED = "not_nominated", "Not on the matrix"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    nomination = models.ForeignKey(Nomination, on_delete=models.CASCADE, null=True, blank=True, related_name="actions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="actions")
    kind = models.ForeignKey(ActionKind, on_delete=models.PROTECT, related_name="actions")
    band = models.CharField(max_length=5, choices=Band.choices, blank=True)
    basis = models.CharField(max_length=15, choices=Basis.choices)
    taken_on = models.DateField()
    notes = EncryptedTextField()
    policy_version = models.PositiveIntegerField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_on", "-recorded_at"]
        indexes = [models.Index(fields=["person", "taken_on"]), models.Index(fields=["kind", "band"])]

    def __str__(self) -> str:
        return self.ref

    @property
    def ref(self) -> str:
        return f"action:{self.pk}"
