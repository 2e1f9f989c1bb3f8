"""custos guidance: the guidance library from the command line (list, show, seed, draft, publish)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from custos.oversight.guidance import selectors, services
from custos.register.guidance import TOPICS, decisions_governed_by
from custos.sharing.management.commands.isa import acting_user, refusal


def _topic(slug: str) -> str:
    if slug not in TOPICS:
        raise CommandError(f"{slug}: no such topic; the topics are {', '.join(TOPICS)}")
    return slug


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text}: give the day as YYYY-MM-DD") from None


class Command(BaseCommand):
    """The written guidance register decisions are made under (docs/guidance.md).

    Policy: anyone may list and show; central governance or the DPO draft
    (``--as-user``) and a second one of them publishes. ``seed`` loads the
    starting text shipped with Custos for topics not yet started: as drafts,
    or with ``--publish`` in force today (``make demo`` does this). Audited as
    ``guidance.drafted`` and ``guidance.published``.
    """

    help = (
        "The guidance library: 'list' the topics and versions in force, 'show TOPIC [--version N]', 'seed "
        "[--publish]' the starting text, 'draft TOPIC --file F --summary TEXT --as-user U', 'publish TOPIC "
        "--in-force-from YYYY-MM-DD --as-user U'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="{list,show,seed,draft,publish}")
        sub.add_parser("list", help="the topics, the version of each in force and any draft")
        show = sub.add_parser("show", help="print a version's text (default: the one in force)")
        show.add_argument("topic", help=f"one of: {', '.join(TOPICS)}")
        show.add_argument("--version", type=int, help="a published version number")
        seed = sub.add_parser("seed", help="load the starting text shipped with Custos for topics not yet started")
        seed.add_argument("--publish", action="store_true", help="publish it, in force today (for a demo)")
        draft = sub.add_parser("draft", help="write or replace a topic's draft from a Markdown file")
        draft.add_argument("topic")
        draft.add_argument("--file", required=True, help="the guidance, in Markdown")
        draft.add_argument("--summary", required=True, help="what this version changes")
        draft.add_argument("--as-user", required=True, metavar="USERNAME")
        publish = sub.add_parser("publish", help="publish a topic's draft as its next version")
        publish.add_argument("topic")
        publish.add_argument("--in-force-from", required=True, metavar="YYYY-MM-DD")
        publish.add_argument("--as-user", required=True, metavar="USERNAME")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, f"_{options['action']}")(options)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(refusal(exc)) from exc

    def _list(self, options: dict[str, Any]) -> None:
        for row in selectors.topic_rows(timezone.localdate()):
            current = (
                f"version {row.in_force.version} in force since {row.in_force.in_force_from}"
                if row.in_force
                else "NONE IN FORCE"
            )
            extra = []
            if row.scheduled:
                extra.append(f"version {row.scheduled.version} from {row.scheduled.in_force_from}")
            if row.draft:
                extra.append(f"draft by {row.draft.drafted_by_name}")
            suffix = f" ({'; '.join(extra)})" if extra else ""
            self.stdout.write(f"{row.topic.slug}: {row.topic.title}: {current}{suffix}")

    def _show(self, options: dict[str, Any]) -> None:
        slug = _topic(options["topic"])
        if options["version"] is not None:
            found = selectors.version_get_or_none(slug, options["version"])
            if found is None:
                raise CommandError(f"{slug} has no published version {options['version']}")
        else:
            found = selectors.version_in_force(slug, timezone.localdate())
            if found is None:
                raise CommandError(f"{slug}: no version is in force")
        self.stdout.write(
            f"{found.label}, in force from {found.in_force_from}; governs: {'; '.join(decisions_governed_by(slug))}"
        )
        self.stdout.write("")
        self.stdout.write(found.body, ending="")

    def _seed(self, options: dict[str, Any]) -> None:
        loaded = services.guidance_seed(publish=options["publish"])
        for version in loaded:
            when = f", in force from {version.in_force_from}" if version.version else " as a draft"
            self.stdout.write(f"{version.label} loaded{when}")
        self.stdout.write(f"{len(loaded)} topic(s) loaded; {len(TOPICS) - len(loaded)} already started, left alone.")

    def _draft(self, options: dict[str, Any]) -> None:
        slug = _topic(options["topic"])
        actor = acting_user(options["as_user"])
        path = Path(options["file"])
        try:
            body = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"{path}: cannot read it as UTF-8 text ({type(exc).__name__})") from None
        draft = services.guidance_draft(actor=actor, topic=slug, body=body, change_summary=options["summary"])
        self.stdout.write(f"Draft of {draft.title} saved; someone else publishes it: custos guidance publish {slug} …")

    def _publish(self, options: dict[str, Any]) -> None:
        slug = _topic(options["topic"])
        actor = acting_user(options["as_user"])
        draft = selectors.draft_of(slug)
        if draft is None:
            raise CommandError(f"{slug} has no draft to publish")
        published = services.guidance_publish(actor=actor, draft=draft, in_force_from=_day(options["in_force_from"]))
        self.stdout.write(f"{published.label} published, in force from {published.in_force_from}.")
