"""custos dlp_scan: look for copies of register data, canaries and erased people in files."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from custos.accounts.models import User
from custos.audit.services import Actor
from custos.crypto.keys import KeyUnavailable
from custos.dlp.models import Finding, ScanRun
from custos.dlp.scanning import FileOutcome, cursor_from_json, total_bytes
from custos.dlp.services import scan_run
from custos.register.services import RuleBroken

SYSTEM = Actor.system("dlp_scan")


class Command(BaseCommand):
    """Scan folders and files for copies of the register (docs/dlp.md).

    Policy: reads .csv .tsv .txt .json .xlsx .docx .pdf .eml and .zip (inside
    archives and e-mails too) and reports a file holding the data of at least
    CUSTOS_DLP_MIN_PEOPLE people with CUSTOS_DLP_MIN_FIELDS corroborating
    fields each, any canary (naming its export), any erased person, and any
    file it cannot read (encrypted, malformed, unreadable). Findings hold
    counts, field kinds and pseudonymous references, never a value. Run by
    central governance or a system administrator (--as-user), or as
    system:dlp_scan; --resume carries on an interrupted scan of the same
    paths. Safe to re-run: a file already reported is updated, not
    reported twice.
    """

    help = (
        "Scan folders and files (.csv .tsv .txt .json .xlsx .docx .pdf .eml, and .zip archives) for copies of "
        "register data, canaries of exports and erased people; report unreadable, encrypted and malformed files. "
        "Findings never hold plaintext. --resume carries on the last unfinished scan of the same paths."
    )

    # Django's system checks (URLs, templates, security settings) say nothing about a scan, and import the
    # whole web layer: about a second of every scan, on a scanning host that never serves a page.
    requires_system_checks = ()

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="folders or files to scan")
        parser.add_argument("--resume", action="store_true", help="carry on the last unfinished scan of these paths")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")
        parser.add_argument(
            "--workers", type=int, default=os.cpu_count() or 1, help="processes reading files (default: one a core)"
        )
        parser.add_argument("--as-user", metavar="USERNAME", help="the central governance or sysadmin user running it")

    def handle(self, *args: Any, **options: Any) -> None:
        actor: User | Actor = SYSTEM
        if options["as_user"]:
            user = User.objects.filter(username=options["as_user"]).first()
            if user is None:
                raise CommandError(f"no user named {options['as_user']!r}")
            actor = user
        quiet = options["no_progress"] or not sys.stderr.isatty()
        bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, disable=quiet)

        def on_start(run: ScanRun) -> None:
            if not quiet:
                bar.reset(total=total_bytes([Path(p) for p in run.paths], cursor_from_json(run.cursor)))

        def on_file(outcome: FileOutcome) -> None:
            bar.update(outcome.size)

        try:
            run = scan_run(
                actor=actor,
                paths=options["paths"],
                resume=options["resume"],
                workers=max(1, options["workers"]),
                on_file=on_file,
                on_start=on_start,
            )
        except (RuleBroken, ValidationError, PermissionDenied, KeyUnavailable) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from exc
        except KeyboardInterrupt as exc:
            raise CommandError("scan interrupted: carry on with --resume") from exc
        finally:
            bar.close()
        findings = list(run.findings.filter(last_seen_at__gte=run.started_at).order_by("path", "kind"))
        if options["json"]:
            self.stdout.write(json.dumps(_as_json(run, findings), indent=2))
            return
        for line in _summary(run, findings):
            self.stdout.write(line)


def _rate(run: ScanRun) -> float:
    return run.bytes_scanned / (1 << 20) / run.seconds if run.seconds else 0.0


def _as_json(run: ScanRun, findings: list[Finding]) -> dict[str, Any]:
    return {
        "scan": run.ref,
        "status": run.status,
        "files_scanned": run.files_scanned,
        "bytes_scanned": run.bytes_scanned,
        "seconds": round(run.seconds, 3),
        "mb_per_second": round(_rate(run), 2),
        "files_flagged": run.files_flagged,
        "files_failed": run.files_failed,
        "findings": [
            {
                "finding": f.ref,
                "kind": f.kind,
                "path": f.path,
                "owner": f.owner,
                "size": f.size,
                "people": f.people,
                "field_kinds": f.field_kinds,
                "refs": f.refs,
                "detail": f.detail,
            }
            for f in findings
        ],
    }


def _summary(run: ScanRun, findings: list[Finding]) -> list[str]:
    lines = [
        f"scanned {run.files_scanned:,} files ({run.bytes_scanned / (1 << 20):,.1f} MB of text) in "
        f"{run.seconds:.1f} s ({_rate(run):.1f} MB/s); {run.files_flagged:,} with copies, "
        f"{run.files_failed:,} could not be read ({run.ref})"
    ]
    for f in findings:
        if f.kind == Finding.Kind.CANARY:
            what = "; ".join(
                f"{c.get('export')} by {c.get('exported_by')} on {str(c.get('exported_at'))[:10]}"
                for c in f.detail.get("canaries", [])
            )
            lines.append(f"  CANARY     {f.path}  (owner {f.owner}): export {what}")
        elif f.kind == Finding.Kind.ERASED_PERSON:
            lines.append(
                f"  ERASED     {f.path}  (owner {f.owner}): {f.people} erased people: informal list of someone "
                "who should no longer be held"
            )
        elif f.kind == Finding.Kind.REGISTER_DATA:
            kinds = ", ".join(f"{k} {n}" for k, n in f.field_kinds.items())
            lines.append(f"  REGISTER   {f.path}  (owner {f.owner}): {f.people} people ({kinds})")
        else:
            lines.append(f"  {f.kind.upper():<10} {f.path}: {f.detail.get('reason', '')}")
    return lines
