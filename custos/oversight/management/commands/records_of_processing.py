"""custos records_of_processing: the s.61 record from the running system, as text or JSON."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from custos.accounts.models import User
from custos.audit.services import Actor, AuditUnavailable
from custos.oversight.dpia import selectors


class Command(BaseCommand):
    """Print the records of processing (DPA 2018 s.61), generated from the same inventory as the DPIA."""

    help = "Print the records of processing (s.61) generated from the running system; --json for JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--as-user", metavar="USERNAME", help="a reader (default: system:records_of_processing)")

    def handle(self, *args: Any, **options: Any) -> None:
        viewer: User | Actor = Actor.system("records_of_processing")
        if options["as_user"]:
            found = User.objects.filter(username=options["as_user"]).first()
            if found is None:
                raise CommandError(f"no user named {options['as_user']!r}")
            viewer = found
        try:
            record = selectors.records_of_processing_for(viewer=viewer)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except AuditUnavailable as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False))
            return
        self._text(record)

    def _text(self, r: dict[str, Any]) -> None:
        out = self.stdout.write
        out("Records of processing (DPA 2018 s.61)")
        out(f"Controller: {r['controller']}")
        out("Purposes:")
        for p in r["purposes"]:
            out(f"  - {p}")
        out(f"Legal basis: {r['legal_basis']}")
        out("Categories of data subjects: " + ", ".join(s["label"] for s in r["data_subject_categories"]))
        out("Categories of personal data:")
        for k in r["personal_data_categories"]:
            out(f"  - {k['category']}: {len(k['fields'])} fields")
        out("Recipients:")
        for x in r["recipients"] or [{"code": "none", "recipient": "", "kind": "", "status": ""}]:
            out(f"  - {x['code']} {x['recipient']} {x['kind']} {x['status']}".rstrip())
        out(f"Transfers: {r['transfers']}")
        retention = r["retention"]
        out(f"Retention: schedule version {retention['version']}, {retention['name']}")
        out("Security measures:")
        for m in r["security_measures"]:
            out(f"  - {m['title']}")
        out(f"Profiling: {r['profiling']}")
