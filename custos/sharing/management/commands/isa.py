"""custos isa: information sharing agreements from the command line (list, show, draft, approve, revoke, guidance)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils import timezone

from custos.accounts.models import User
from custos.register.definitions import has_nul, json_parse
from custos.sharing import rules, services
from custos.sharing.models import Agreement


def refusal(exc: Exception) -> str:
    """A service's refusal as one line: ``field: message; …`` for field errors, the message otherwise."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return " ".join(str(exc).split()) or type(exc).__name__


def acting_user(username: str | None) -> User:
    """The account a change is made as (``--as-user``): every rule of that account's role applies."""
    if not username:
        raise CommandError("say who is acting: --as-user USERNAME")
    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user named {username!r}")
    return user


def agreement_by_code(code: str) -> Agreement:
    agreement = Agreement.objects.filter(code=code.strip().upper()).first()
    if agreement is None:
        raise CommandError(f"{code.strip()}: no such agreement (custos isa list shows them)")
    return agreement


def agreement_as_json(agreement: Agreement, today: dt.date) -> dict[str, Any]:
    return {
        "id": str(agreement.pk),
        "code": agreement.code,
        "title": agreement.title,
        "status": agreement.effective_status(today),
        "in_force": agreement.in_force(today),
        "recipient_name": agreement.recipient_name,
        "recipient_kind": agreement.recipient_kind,
        "parties": agreement.parties,
        "legal_basis": agreement.legal_basis,
        "purpose": agreement.purpose,
        "fields": agreement.fields,
        "categories": agreement.categories,
        "bands": agreement.bands,
        "onward_sharing": agreement.onward_sharing,
        "retention_days": agreement.retention_days,
        "retention_rules": agreement.retention_rules,
        "security": agreement.security,
        "recipient_key": agreement.recipient_key,
        "review_date": agreement.review_date.isoformat(),
        "signatories": agreement.signatories,
        "exceptions": agreement.exceptions,
        "approval_notes": agreement.approval_notes,
        "guidance_version": agreement.guidance_version,
        "end_reasons": agreement.end_reasons,
    }


def _input_from(path: str) -> services.AgreementInput:
    """The draft in a JSON file: an object whose keys are the parts of an agreement."""
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise CommandError(f"{Path(path).name}: not UTF-8 text (save the JSON file as UTF-8)") from None
    try:
        data = json_parse(raw)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{Path(path).name}: not valid JSON (line {exc.lineno})") from None
    except ValueError as exc:
        raise CommandError(f"{Path(path).name}: not valid JSON ({exc} is not a number)") from None
    if not isinstance(data, dict):
        raise CommandError(f"{Path(path).name}: give one JSON object with the parts of the agreement")
    if has_nul(data):
        raise CommandError(f"{Path(path).name}: holds a NUL character (\\u0000), which cannot be stored")
    known = set(services.AgreementInput.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise CommandError(f"{Path(path).name}: an agreement has no such part: {', '.join(unknown)}")
    review = data.get("review_date")
    if review is not None:
        try:
            data["review_date"] = dt.date.fromisoformat(str(review))
        except ValueError:
            raise CommandError(f"{Path(path).name}: review_date {review!r} is not a date (YYYY-MM-DD)") from None
    retention = data.get("retention_days")
    if retention is not None and not isinstance(retention, int):
        raise CommandError(f"{Path(path).name}: retention_days must be a whole number of days")
    lists = ("parties", "fields", "categories", "bands", "signatories")
    for name in lists:
        if name in data and not isinstance(data[name], list):
            raise CommandError(f"{Path(path).name}: {name} must be a list")
    if not all(isinstance(s, dict) for s in data.get("signatories", [])):
        raise CommandError(f"{Path(path).name}: each signatory is an object with name, role and organisation")
    return services.AgreementInput(**data)


def _exceptions(given: list[str]) -> dict[str, str]:
    exceptions: dict[str, str] = {}
    for item in given:
        code, sep, reasons = item.partition("=")
        if not sep or not code.strip():
            raise CommandError(f"--exception {item!r}: write RULE=REASONS, e.g. low_risk='Referred with consent…'")
        exceptions[code.strip()] = reasons
    return exceptions


class Command(BaseCommand):
    """Information sharing agreements (ISAs): read them, draft, approve, revoke; print the sharing guidance.

    Policy: agreements hold no personal data; any account may read them.
    Drafting is for the Information Rights Unit or central governance;
    approving is for the IRU only and never by the drafter, within the
    guidance (``custos isa guidance``) or with an exception and reasons for
    each rule departed from; revoking is the IRU's. Changes are made as the
    ``--as-user`` account, through the same services (and audit events:
    ``isa.drafted``, ``isa.approved``, ``isa.revoked``) as the web and API.
    A refusal changes nothing and is one line on stderr.
    """

    help = (
        "Information sharing agreements: list, show CODE, draft FILE.json, approve CODE, revoke CODE, guidance. "
        "Changes need --as-user (IRU or central governance drafts; the IRU approves, never its drafter)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        listing = actions.add_parser("list", help="every agreement, with its status today")
        listing.add_argument("--json", action="store_true", help="print JSON")

        show = actions.add_parser("show", help="one agreement in full")
        show.add_argument("code", help="e.g. ISA-0001")
        show.add_argument("--json", action="store_true", help="print JSON")

        draft = actions.add_parser("draft", help="draft an agreement from a JSON file")
        draft.add_argument("file", help="a JSON object with the parts of the agreement (see custos isa guidance)")
        draft.add_argument("--as-user", metavar="USERNAME", help="the IRU or central governance user drafting")

        approve = actions.add_parser("approve", help="approve a draft (IRU, not its drafter)")
        approve.add_argument("code")
        approve.add_argument("--as-user", metavar="USERNAME", help="the IRU user approving")
        approve.add_argument(
            "--exception",
            action="append",
            default=[],
            metavar="RULE=REASONS",
            help="a guidance rule departed from, with the reasons (repeat for each)",
        )
        approve.add_argument("--notes", default="", help="notes on the approval")

        revoke = actions.add_parser("revoke", help="end an agreement at once (IRU)")
        revoke.add_argument("code")
        revoke.add_argument("--as-user", metavar="USERNAME", help="the IRU user revoking")
        revoke.add_argument("--reasons", default="", help="why (at least 20 characters)")

        guidance = actions.add_parser("guidance", help="the sharing guidance: fields, categories, bands, exceptions")
        guidance.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            getattr(self, f"_{action}")(options)
        except (ValidationError, PermissionDenied, Http404) as exc:
            raise CommandError(refusal(exc)) from exc

    def _list(self, options: dict[str, Any]) -> None:
        today = timezone.localdate()
        agreements = list(Agreement.objects.order_by("code"))
        if options["json"]:
            self.stdout.write(json.dumps([agreement_as_json(a, today) for a in agreements], indent=2))
            return
        if not agreements:
            self.stdout.write("no agreements")
            return
        for a in agreements:
            self.stdout.write(
                f"{a.code}  {a.effective_status(today):<8}  review {a.review_date.isoformat()}  "
                f"{a.recipient_name} ({a.get_recipient_kind_display().lower()}): {a.title}"
            )

    def _show(self, options: dict[str, Any]) -> None:
        agreement = agreement_by_code(options["code"])
        data = agreement_as_json(agreement, timezone.localdate())
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        for key, value in data.items():
            shown = ", ".join(map(str, value)) if isinstance(value, list) and key != "signatories" else value
            if key == "signatories":
                shown = "; ".join(f"{s['name']}, {s['role']}, {s['organisation']}" for s in value)
            elif isinstance(value, dict):
                shown = "; ".join(f"{k}: {v}" for k, v in value.items())
            self.stdout.write(f"{key}: {shown}")

    def _draft(self, options: dict[str, Any]) -> None:
        actor = acting_user(options["as_user"])
        data = _input_from(options["file"])
        agreement = services.agreement_draft(actor=actor, data=data)
        self.stdout.write(f"{agreement.code} drafted: {agreement.title} (awaiting the IRU's approval)")

    def _approve(self, options: dict[str, Any]) -> None:
        actor = acting_user(options["as_user"])
        agreement = agreement_by_code(options["code"])
        approved = services.agreement_approve(
            actor=actor, agreement=agreement, exceptions=_exceptions(options["exception"]), notes=options["notes"]
        )
        extra = f" with exceptions: {', '.join(sorted(approved.exceptions))}" if approved.exceptions else ""
        self.stdout.write(f"{approved.code} approved{extra}; in force until {approved.review_date.isoformat()}")

    def _revoke(self, options: dict[str, Any]) -> None:
        actor = acting_user(options["as_user"])
        agreement = agreement_by_code(options["code"])
        revoked = services.agreement_revoke(actor=actor, agreement=agreement, reasons=options["reasons"])
        self.stdout.write(f"{revoked.code} revoked: nothing more can be shared under it")

    def _guidance(self, options: dict[str, Any]) -> None:
        data = guidance()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(f"Sharing guidance, version {data['version']}")
        self.stdout.write("")
        self.stdout.write("Fields an agreement may allow (nothing else can be shared):")
        for code, field in data["fields"].items():
            self.stdout.write(f"  {code:<14} {field['label']}: {field['description']}")
        self.stdout.write("Categories of people: " + ", ".join(data["categories"]))
        self.stdout.write("Bands: " + ", ".join(f"{k} ({v})" for k, v in data["bands"].items()))
        self.stdout.write("")
        self.stdout.write("A recipient with no statutory function needs an IRU exception, with reasons, for each of:")
        for code, label in data["exceptions"].items():
            self.stdout.write(f"  {code:<18} {label}")
        self.stdout.write("")
        limits = data["limits"]
        self.stdout.write(
            f"Limits: review at least every {limits['max_review_years']} years; retention 1 to "
            f"{limits['max_retention_days']} days; at least {limits['min_signatories']} signatories; reasons of "
            f"at least {limits['min_reasons']} characters; at most {limits['max_people']} people a disclosure."
        )


def guidance() -> dict[str, Any]:
    """The sharing guidance as data, from ``custos.sharing.rules`` (the same definitions the checks use)."""
    return {
        "version": rules.GUIDANCE_VERSION,
        "fields": {code: {"label": label, "description": text} for code, (label, text) in rules.FIELDS.items()},
        "categories": dict(rules.CATEGORIES),
        "bands": dict(rules.BANDS),
        "exceptions": dict(rules.EXCEPTIONS),
        "limits": {
            "max_review_years": rules.MAX_REVIEW_YEARS,
            "max_retention_days": rules.MAX_RETENTION_DAYS,
            "min_signatories": rules.MIN_SIGNATORIES,
            "min_reasons": rules.MIN_REASONS,
            "min_necessity": rules.MIN_NECESSITY,
            "max_people": rules.MAX_PEOPLE,
        },
    }
