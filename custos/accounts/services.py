"""Account writes: each one authorised, validated, written and audited together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from custos.accounts.mfa import session_mfa_verified
from custos.accounts.models import (
    BCU_SCOPED_ROLES,
    ApiToken,
    Attestation,
    Course,
    Notification,
    Role,
    Suspension,
    TrainingRecord,
    User,
    quarter_of,
)
from custos.accounts.policies import (
    may_attest,
    may_declare_purpose,
    may_issue_own_token,
    may_manage_users,
    may_record_training,
    may_reinstate,
    may_revoke_token,
    may_suspend,
)
from custos.accounts.purpose import DeclaredPurpose, purpose_clean
from custos.accounts.selectors import SweepFinding, access_sweep_findings, training_cache_clear
from custos.audit.models import Verb
from custos.audit.services import Actor, event_record
from custos.crypto.tokens import token_digest, token_new


@transaction.atomic
def user_create(
    *,
    actor: User | Actor,
    username: str,
    password: str,
    role: str,
    bcu_code: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    check_password: bool = True,
) -> User:
    """Create a staff account with a role and (for scoped roles) a BCU.

    Only a system administrator (or an operator at the command line, acting
    as the system) may create accounts. The caller has already checked the
    BCU exists. The account starts a recertification period and has no
    training: it can sign in but sees no personal data until both courses
    are recorded. Audited as ``user.created``.
    """
    if isinstance(actor, User) and not may_manage_users(actor):
        raise PermissionDenied("only a system administrator may create accounts")
    if role not in Role.values:
        raise ValidationError(f"unknown role {role!r}")
    if role in BCU_SCOPED_ROLES and not bcu_code:
        raise ValidationError(f"a {role} must be given a BCU")
    if role not in BCU_SCOPED_ROLES:
        bcu_code = ""
    if User.objects.filter(username=username).exists():
        raise ValidationError(f"user {username!r} already exists")
    user = User(
        username=username,
        role=role,
        bcu_code=bcu_code,
        first_name=first_name,
        last_name=last_name,
        email=email,
        access_confirmed_at=timezone.now(),
    )
    if check_password:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    event_record(
        actor=actor,
        verb=Verb.USER_CREATED,
        object_type="user",
        object_ref=f"user:{user.pk}",
        detail={"role": role, "bcu": bcu_code},
    )
    return user


@transaction.atomic
def api_token_issue(*, actor: User | Actor, owner: User, label: str) -> tuple[ApiToken, str]:
    """Issue a token for ``owner``; returns the row and the token, shown once.

    Only the owner may issue their own token (from the profile page), or an
    operator at the command line acting as the system. A user must have
    passed the second factor in the session they issue it from: the token
    inherits that session's MFA (ADR 9). Audited.
    """
    if isinstance(actor, User) and actor.pk != owner.pk:
        raise PermissionDenied("a token can only be issued to yourself")
    if isinstance(actor, User) and not session_mfa_verified(actor):
        raise PermissionDenied("sign in with your authenticator app before issuing a token")
    if not may_issue_own_token(owner):
        raise PermissionDenied("this account cannot use the API")
    label = label.strip() or "API token"
    token = token_new()
    row = ApiToken.objects.create(user=owner, label=label[:100], prefix=token[:10], digest=token_digest(token))
    event_record(
        actor=actor,
        verb=Verb.API_TOKEN_ISSUED,
        object_type="api_token",
        object_ref=f"api_token:{row.pk}",
        targets=[f"user:{owner.pk}"],
    )
    return row, token


@transaction.atomic
def api_token_revoke(*, actor: User | Actor, token: ApiToken) -> ApiToken:
    """Revoke a token at once; idempotent. Audited."""
    if isinstance(actor, User) and not may_revoke_token(actor, token):
        raise PermissionDenied("you may not revoke this token")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        event_record(
            actor=actor,
            verb=Verb.API_TOKEN_REVOKED,
            object_type="api_token",
            object_ref=f"api_token:{token.pk}",
            targets=[f"user:{token.user_id}"],
        )
    return token


# Access governance: training, recertification, suspension, moves, purpose --------------------------------------------


def _user_ref(user: User) -> str:
    return f"user:{user.pk}"


@transaction.atomic
def training_record(
    *,
    actor: User | Actor,
    user: User,
    course: str,
    completed_on: dt.date,
    evidence_reference: str,
    expires_on: dt.date | None = None,
) -> TrainingRecord:
    """Record that ``user`` completed a course (Annex 1 terms 8 and 9).

    Authorises: the user's BCU SPOC, central governance or a system
    administrator, never the user themselves (an operator's system actor
    too). ``expires_on`` defaults to ``CUSTOS_TRAINING_VALID_DAYS`` after
    completion. Logs ``training.recorded`` naming the user, with the course
    and dates.
    """
    if isinstance(actor, User) and not may_record_training(actor, user):
        raise PermissionDenied("you may not record training for this user")
    if course not in Course.values:
        raise ValidationError({"course": ["Choose a course."]})
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if completed_on > today:
        errors["completed_on"] = ["The date completed must be today or in the past."]
    if expires_on is None:
        expires_on = completed_on + dt.timedelta(days=settings.CUSTOS_TRAINING_VALID_DAYS)
    if expires_on <= completed_on:
        errors["expires_on"] = ["The expiry date must be after the date completed."]
    evidence_reference = " ".join(evidence_reference.split())
    if not evidence_reference:
        errors["evidence_reference"] = ["Enter where the evidence is, for example the certificate number."]
    if len(evidence_reference) > 100:
        errors["evidence_reference"] = ["The evidence reference must be 100 characters or fewer."]
    if errors:
        raise ValidationError(errors)
    record = TrainingRecord.objects.create(
        user=user,
        course=course,
        completed_on=completed_on,
        expires_on=expires_on,
        evidence_reference=evidence_reference,
        recorded_by=actor if isinstance(actor, User) else None,
    )
    training_cache_clear(user)
    event_record(
        actor=actor,
        verb=Verb.TRAINING_RECORDED,
        object_type="training",
        object_ref=f"training:{record.pk}",
        targets=[_user_ref(user)],
        detail={"course": course, "completed_on": completed_on.isoformat(), "expires_on": expires_on.isoformat()},
    )
    return record


def _suspend(*, actor: User | Actor, user: User, reason: str, detail: dict[str, str] | None = None) -> bool:
    """Suspend in the caller's transaction; False if the account was already suspended."""
    if not user.is_active:
        return False
    user.is_active = False
    user.suspended_at = timezone.now()
    user.suspended_reason = reason
    user.save(update_fields=["is_active", "suspended_at", "suspended_reason"])
    event_record(
        actor=actor,
        verb=Verb.USER_SUSPENDED,
        object_type="user",
        object_ref=_user_ref(user),
        detail={"reason": reason, **(detail or {})},
    )
    return True


@transaction.atomic
def user_suspend(
    *, actor: User | Actor, user: User, reason: str = Suspension.BY_ADMINISTRATOR, detail: dict[str, str] | None = None
) -> bool:
    """Suspend an account at once: no sign-in, no session, no API token (``is_active`` False).

    Authorises: a system administrator (not on themselves), or the system
    (``access_sweep``, ``import_hr``). Idempotent: returns False if already
    suspended. Logs ``user.suspended`` with the reason.
    """
    if isinstance(actor, User) and not may_suspend(actor, user):
        raise PermissionDenied("you may not suspend this account")
    if reason not in Suspension.values:
        raise ValidationError(f"unknown reason {reason!r}")
    return _suspend(actor=actor, user=user, reason=reason, detail=detail)


@transaction.atomic
def user_reinstate(*, actor: User | Actor, user: User) -> bool:
    """Lift a suspension; recertification and dormancy periods start again from now.

    Authorises: a system administrator, or the user's SPOC (not for leavers),
    never the user themselves; or an operator as the system. Idempotent:
    returns False if the account was not suspended. Logs ``user.reinstated``
    with the reason it had been suspended.
    """
    if isinstance(actor, User) and not may_reinstate(actor, user):
        raise PermissionDenied("you may not reinstate this account")
    if user.is_active:
        return False
    was = user.suspended_reason
    now = timezone.now()
    user.is_active = True
    user.suspended_at = None
    user.suspended_reason = ""
    user.reinstated_at = now
    user.access_confirmed_at = now
    user.save(update_fields=["is_active", "suspended_at", "suspended_reason", "reinstated_at", "access_confirmed_at"])
    event_record(
        actor=actor, verb=Verb.USER_REINSTATED, object_type="user", object_ref=_user_ref(user), detail={"was": was}
    )
    return True


@transaction.atomic
def attestation_record(*, actor: User | Actor, user: User, decision: str) -> Attestation:
    """A SPOC (or central governance) attests, for this quarter, whether ``user`` still needs access.

    Authorises: the user's BCU SPOC or central governance, never the user
    themselves. One attestation per user, quarter and BCU. "keep" starts a
    new recertification period; "remove" suspends the account at once.
    Logs ``access.attested`` (and ``user.suspended`` on removal).
    """
    if isinstance(actor, User) and not may_attest(actor, user):
        raise PermissionDenied("you may not attest this user's access")
    if decision not in Attestation.Decision.values:
        raise ValidationError({"decision": ["Choose whether the user still needs access."]})
    if not user.is_active:
        raise ValidationError(f"{user.username}'s account is suspended: reinstate it before attesting.")
    now = timezone.now()
    quarter = quarter_of(timezone.localdate())
    if Attestation.objects.filter(user=user, quarter=quarter, bcu_code=user.bcu_code).exists():
        raise ValidationError(f"{user.username}'s access has already been attested for {quarter}.")
    attestation = Attestation.objects.create(
        user=user,
        bcu_code=user.bcu_code,
        quarter=quarter,
        decision=decision,
        attested_by=actor if isinstance(actor, User) else None,
        attested_at=now,
    )
    event_record(
        actor=actor,
        verb=Verb.ACCESS_ATTESTED,
        object_type="attestation",
        object_ref=f"attestation:{attestation.pk}",
        targets=[_user_ref(user)],
        detail={"quarter": quarter, "decision": decision, "bcu": user.bcu_code},
    )
    if decision == Attestation.Decision.KEEP:
        user.access_confirmed_at = now
        user.save(update_fields=["access_confirmed_at"])
    else:
        _suspend(actor=actor, user=user, reason=Suspension.NOT_NEEDED, detail={"quarter": quarter})
    return attestation


@transaction.atomic
def user_move(*, actor: User | Actor, user: User, bcu_code: str, effective_on: dt.date | None = None) -> bool:
    """Re-scope a user to another BCU at once (an HR mover); their attestation starts again.

    Authorises: a system administrator or the system (``import_hr``). Only
    BCU-scoped roles move; the caller has checked the BCU exists.
    Idempotent: returns False if the user is already in that BCU. Logs
    ``user.moved`` with the old and new BCU.
    """
    if isinstance(actor, User) and not may_manage_users(actor):
        raise PermissionDenied("only a system administrator may move accounts")
    if user.role not in BCU_SCOPED_ROLES:
        raise ValidationError(f"{user.username} has a London-wide role; a system administrator must change it")
    if user.bcu_code == bcu_code:
        return False
    was = user.bcu_code
    user.bcu_code = bcu_code
    user.access_confirmed_at = timezone.now()
    user.save(update_fields=["bcu_code", "access_confirmed_at"])
    detail = {"from": was, "to": bcu_code}
    if effective_on is not None:
        detail["effective_on"] = effective_on.isoformat()
    event_record(actor=actor, verb=Verb.USER_MOVED, object_type="user", object_ref=_user_ref(user), detail=detail)
    return True


@transaction.atomic
def leaver_process(*, actor: User | Actor, user: User, effective_on: dt.date | None = None) -> bool:
    """Suspend a leaver at once and revoke their API tokens (HR leavers list).

    Authorises: a system administrator or the system. Idempotent. Logs
    ``user.suspended`` (reason ``leaver``) and ``api_token.revoked`` per token.
    """
    detail = {"effective_on": effective_on.isoformat()} if effective_on else {}
    if isinstance(actor, User) and not may_suspend(actor, user):
        raise PermissionDenied("you may not suspend this account")
    suspended = _suspend(actor=actor, user=user, reason=Suspension.LEAVER, detail=detail)
    if not suspended and user.suspended_reason != Suspension.LEAVER:
        # Already suspended for another reason: a leaver stays out, so only an administrator may reinstate.
        detail["was"] = user.suspended_reason
        user.suspended_reason = Suspension.LEAVER
        user.save(update_fields=["suspended_reason"])
        event_record(
            actor=actor,
            verb=Verb.USER_SUSPENDED,
            object_type="user",
            object_ref=_user_ref(user),
            detail={"reason": Suspension.LEAVER, **detail},
        )
        suspended = True
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        api_token_revoke(actor=actor, token=token)
    return suspended


@transaction.atomic
def access_sweep(*, actor: Actor, dry_run: bool = False, now: dt.datetime | None = None) -> Sequence[SweepFinding]:
    """Suspend dormant accounts and accounts not re-attested in time (Annex 1 term 11).

    Dormant: no sign-in or API token use for ``CUSTOS_DORMANCY_DAYS``.
    Not re-attested: no attestation within ``CUSTOS_RECERTIFICATION_DAYS``
    plus ``CUSTOS_RECERTIFICATION_GRACE_DAYS``. Returns what it suspended
    (or, with ``dry_run``, would suspend). Logs ``user.suspended`` with the
    reason for each. Safe to re-run: suspended accounts are not looked at.
    """
    findings = access_sweep_findings(now=now)
    if not dry_run:
        for finding in findings:
            _suspend(actor=actor, user=finding.user, reason=finding.reason, detail={"due": finding.since.isoformat()})
    return findings


@transaction.atomic
def purpose_declare(*, actor: User, reference: str, reason: str) -> DeclaredPurpose:
    """Declare why one is about to consult personal data (s.62); returns it, cleaned.

    Authorises: an account that may see personal data. Validates the
    reference and reason (``custos.accounts.purpose``). Logs
    ``purpose.declared`` with the purpose text; nothing else logs it.
    """
    if not may_declare_purpose(actor):
        raise PermissionDenied("your account may not see personal data")
    purpose = purpose_clean(reference=reference, reason=reason)
    event_record(
        actor=actor,
        verb=Verb.PURPOSE_DECLARED,
        object_type="user",
        object_ref=_user_ref(actor),
        purpose=purpose.text,
        detail={"reference": purpose.reference},
    )
    return purpose


def notify(
    *,
    actor: User | Actor,
    role: str,
    kind: str,
    message: str,
    link: str = "",
    bcu_code: str | None = None,
) -> list[Notification]:
    """Put a notice on the task list of every active user with ``role`` (in ``bcu_code`` if given).

    ``message`` must hold no personal data: counts and references only. An
    open notice of the same kind and link is replaced, not repeated.
    Records ``notification.sent`` with how many were told.
    """
    users = User.objects.filter(role=role, is_active=True)
    if bcu_code is not None:
        users = users.filter(bcu_code=bcu_code)
    recipients = list(users)
    with transaction.atomic():
        Notification.objects.filter(recipient__in=recipients, kind=kind, link=link, done_at__isnull=True).update(
            done_at=timezone.now()
        )
        made = Notification.objects.bulk_create(
            [Notification(recipient=user, kind=kind, message=message, link=link) for user in recipients]
        )
        event_record(
            actor=actor,
            verb=Verb.NOTIFICATION_SENT,
            object_type="notification",
            object_ref=f"notification:{kind}",
            targets=[_user_ref(user) for user in recipients],
            detail={"kind": kind, "role": role, "bcu": bcu_code or "", "recipients": len(recipients)},
        )
    return made


def notification_done(*, actor: User, notification: Notification) -> Notification:
    """Mark one of the actor's own notices done."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied("This notice is not yours.")
    if notification.done_at is None:
        notification.done_at = timezone.now()
        notification.save(update_fields=["done_at"])
    return notification
