"""custos disclosure: ask for, decide and package disclosures under an agreement from the command line."""

from __future__ import annotations

import csv
import json
import os
import uuid
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from custos.accounts.models import User
from custos.audit.selectors import person_ref_parse
from custos.register.selectors import people_visible_to
from custos.sharing import policies, selectors, services
from custos.sharing.management.commands.isa import acting_user, agreement_by_code, refusal
from custos.sharing.models import Disclosure

#: The columns of the ``--people`` file.
COLUMNS = ("person_ref", "necessity")


def _people_from(path: str, actor: User) -> list[services.Asked]:
    """The people in the CSV, each resolved within the actor's reach; every unknown reference named at once."""
    name = Path(path).name
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            # The header row itself: a row's keys also hold None when it has more cells than the header.
            header = [h.strip() for h in reader.fieldnames or []]
    except FileNotFoundError:
        raise CommandError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"{name}: cannot be read as CSV ({type(exc).__name__})") from None
    if not rows:
        raise CommandError(f"{name}: no people (columns: {', '.join(COLUMNS)})")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CommandError(f"{name}: missing column(s) {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    visible = people_visible_to(viewer=actor)
    asked: list[services.Asked] = []
    problems: list[str] = []
    for number, row in enumerate(rows, start=2):
        given = " ".join((row.get("person_ref") or "").split())
        try:
            ref = person_ref_parse(given).removeprefix("person:")
        except ValueError:
            problems.append(f"line {number}: {given or '(blank)'} is not a person reference (P-1A2B3C4D)")
            continue
        matches = list(
            (visible.filter(pk__startswith=ref) if len(ref) == 8 else visible.filter(pk=uuid.UUID(ref))).values_list(
                "pk", flat=True
            )[:2]
        )
        if len(matches) != 1:
            why = "two people share this short reference: give person:<id>" if matches else "no person you may see"
            problems.append(f"line {number}: {given}: {why}")
            continue
        asked.append(services.Asked(matches[0], row.get("necessity") or ""))
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise CommandError(f"{name}: " + "; ".join(problems[:3]) + more + "; nothing requested")
    return asked


def _disclosure(reference: str, actor: User) -> Disclosure:
    """A disclosure by reference (``D-1A2B3C4D`` or its id), if the actor may see it; else one message for both."""
    text = reference.strip()
    short = text.upper().removeprefix("D-").lower()
    unknown = CommandError(f"{text}: no such disclosure you may see")
    if len(short) == 8 and all(c in "0123456789abcdef" for c in short):
        matches = list(Disclosure.objects.filter(pk__startswith=short).values_list("pk", flat=True)[:2])
    else:
        try:
            matches = [uuid.UUID(text)]
        except ValueError:
            raise unknown from None
    if len(matches) != 1:
        raise unknown
    try:
        return services.disclosure_get_for(viewer=actor, disclosure_id=matches[0])
    except Http404:
        raise unknown from None


def _as_json(d: Disclosure) -> dict[str, Any]:
    return {
        "id": str(d.pk),
        "reference": d.short_ref,
        "agreement": d.agreement.code,
        "status": d.status,
        "requested_at": d.requested_at.isoformat(timespec="seconds"),
        "decided_at": d.decided_at.isoformat(timespec="seconds") if d.decided_at else None,
        "people_count": d.people_count,
        "band_counts": d.band_counts,
        "category_counts": d.category_counts,
        "expires_on": d.expires_on.isoformat() if d.expires_on else None,
        "destroyed": d.is_destroyed,
    }


class Command(BaseCommand):
    """Disclosures under an information sharing agreement: request, approve, refuse, withdraw, package, list.

    Policy: the same services, checks and audit events as the web and API,
    as the ``--as-user`` account. A request names people by reference
    (``P-1A2B3C4D`` or ``person:<id>``) in a CSV with the reason each is
    necessary; a reference outside the account's reach is refused exactly
    as one that does not exist. The requester never approves their own
    request. The package written by ``package`` is the age ciphertext only
    the recipient's key opens. A refusal changes nothing and is one line on
    stderr; nothing here prints a name.
    """

    help = (
        "Disclosures: request --isa CODE --purpose 'REF: reason' --people FILE.csv; approve|refuse|withdraw "
        "D-XXXXXXXX; package D-XXXXXXXX --out FILE.age; list. Every action needs --as-user."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        request = actions.add_parser("request", help="ask to share people under an agreement")
        request.add_argument("--isa", required=True, metavar="CODE", help="the agreement, e.g. ISA-0001")
        request.add_argument("--purpose", required=True, help="REFERENCE: reason, e.g. 'OP-1234: referral'")
        request.add_argument(
            "--people", required=True, metavar="FILE.csv", help="CSV with columns person_ref and necessity"
        )
        request.add_argument("--as-user", metavar="USERNAME", help="who asks")
        request.add_argument("--json", action="store_true", help="print JSON")

        for verb, helptext in (("approve", "approve and make the package"), ("refuse", "refuse, with reasons")):
            decide = actions.add_parser(verb, help=helptext)
            decide.add_argument("reference", help="D-XXXXXXXX")
            decide.add_argument("--as-user", metavar="USERNAME", help="the IRU or SPOC deciding (never the requester)")
            decide.add_argument("--reasons", default="", help="why")

        withdraw = actions.add_parser("withdraw", help="withdraw your own pending request")
        withdraw.add_argument("reference", help="D-XXXXXXXX")
        withdraw.add_argument("--as-user", metavar="USERNAME")

        package = actions.add_parser("package", help="write the encrypted package, to send to the recipient")
        package.add_argument("reference", help="D-XXXXXXXX")
        package.add_argument("--out", required=True, metavar="FILE.age", help="a new file (never overwritten)")
        package.add_argument("--as-user", metavar="USERNAME")

        listing = actions.add_parser("list", help="the disclosures you may see (no names; records disclosure.listed)")
        listing.add_argument("--as-user", metavar="USERNAME")
        listing.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = acting_user(options["as_user"])
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except (ValidationError, PermissionDenied, Http404) as exc:
            raise CommandError(refusal(exc)) from exc

    def _request(self, actor: User, options: dict[str, Any]) -> None:
        agreement = agreement_by_code(options["isa"])
        if not policies.may_request_disclosure(actor):
            raise PermissionDenied("Your role may not ask for disclosures.")
        people = _people_from(options["people"], actor)
        disclosure = services.disclosure_request(
            actor=actor, agreement=agreement, purpose=options["purpose"], people=people
        )
        if options["json"]:
            self.stdout.write(json.dumps({**_as_json(disclosure), "checks": disclosure.checks}, indent=2))
            return
        self.stdout.write(
            f"{disclosure.short_ref} requested under {agreement.code}: {disclosure.people_count} people; "
            "awaiting approval"
        )

    def _approve(self, actor: User, options: dict[str, Any]) -> None:
        disclosure = _disclosure(options["reference"], actor)
        done = services.disclosure_approve(actor=actor, disclosure=disclosure, reasons=options["reasons"])
        self.stdout.write(
            f"{done.short_ref} approved: package of {done.package_bytes:,} bytes (sha256 {done.package_sha256}), "
            f"destroy by {done.expires_on.isoformat() if done.expires_on else '-'}; "
            f"write it with: custos disclosure package {done.short_ref} --out FILE.age"
        )

    def _refuse(self, actor: User, options: dict[str, Any]) -> None:
        disclosure = _disclosure(options["reference"], actor)
        done = services.disclosure_refuse(actor=actor, disclosure=disclosure, reasons=options["reasons"])
        self.stdout.write(f"{done.short_ref} refused")

    def _withdraw(self, actor: User, options: dict[str, Any]) -> None:
        disclosure = _disclosure(options["reference"], actor)
        done = services.disclosure_withdraw(actor=actor, disclosure=disclosure)
        self.stdout.write(f"{done.short_ref} withdrawn")

    def _package(self, actor: User, options: dict[str, Any]) -> None:
        out = Path(options["out"])
        if out.exists():
            raise CommandError(f"{out}: already exists; choose a new file")
        disclosure = _disclosure(options["reference"], actor)
        content = services.package_download(actor=actor, disclosure=disclosure)
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise CommandError(f"{out}: cannot be written ({exc.strerror})") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        self.stdout.write(
            f"{disclosure.short_ref}: package written to {out} ({len(content):,} bytes, age-encrypted to "
            f"{disclosure.agreement.code}'s recipient key)"
        )

    def _list(self, actor: User, options: dict[str, Any]) -> None:
        rows = selectors.disclosures_for(viewer=actor)
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(d) for d in rows], indent=2))
            return
        if not rows:
            self.stdout.write("no disclosures")
            return
        for d in rows:
            self.stdout.write(
                f"{d.short_ref}  {d.agreement.code}  {d.get_status_display():<18}  {d.people_count} people  "
                f"asked {d.requested_at:%Y-%m-%d}"
            )
