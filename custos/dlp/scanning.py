"""Walking folders and scanning files, in this process or in worker processes. No database.

The walk is deterministic (names sorted at every level, symbolic links not
followed), so the position of a file in it, ``(root index, path parts)``,
orders files: a scan records the last file done as its cursor and a resumed
scan skips everything up to it, whole folders at a time.

Each file becomes a ``FileOutcome``: what was read and what to report. A
report never carries a value that matched: counts, field kinds and
pseudonymous references only.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import pwd
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from custos.crypto.dlp_key import Hasher
from custos.dlp.models import Finding
from custos.dlp.readers import SCANNED, CannotRead, Document, Problem, documents, suffix
from custos.dlp.scanner import SUBJECT_CANARY, SUBJECT_ERASED, SUBJECT_REGISTER, Index, Match, Matcher

Cursor = tuple[int, tuple[str, ...]]
#: The most references a finding keeps (the count is always exact).
MAX_REFS = 10_000


@dataclass
class Report:
    """One thing to report about a file (or a member of an archive)."""

    kind: str
    path: str
    size: int
    people: int = 0
    field_kinds: dict[str, int] = field(default_factory=dict)
    refs: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class FileOutcome:
    cursor: Cursor
    path: str
    owner: str
    size: int
    modified: dt.datetime | None
    bytes_read: int = 0
    reports: list[Report] = field(default_factory=list)


@dataclass(frozen=True)
class Thresholds:
    min_people: int
    min_fields: int
    max_bytes: int


def cursor_from_json(value: Any) -> Cursor | None:
    if not value:
        return None
    root, parts = value
    return int(root), tuple(str(p) for p in parts)


def walk(roots: Sequence[Path], after: Cursor | None = None) -> Iterator[tuple[Cursor, Path]]:
    """Files the scanner reads under ``roots``, in a stable order, after ``after`` if given."""
    for number, root in enumerate(roots):
        if after is not None and number < after[0]:
            continue
        if root.is_symlink():
            continue
        if root.is_file():
            key: Cursor = (number, ())
            if after is None or key > after:
                yield key, root
        elif root.is_dir():
            yield from _walk(number, root, (), after)


def _walk(number: int, folder: Path, parts: tuple[str, ...], after: Cursor | None) -> Iterator[tuple[Cursor, Path]]:
    try:
        with os.scandir(folder) as entries:
            listed = sorted(entries, key=lambda e: e.name)
    except OSError:
        key: Cursor = (number, parts)
        if after is None or key > after:
            yield key, folder  # reported as unreadable by scan_file
        return
    for entry in listed:
        path_parts = (*parts, entry.name)
        key = (number, path_parts)
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if after is not None and key < after and after[1][: len(path_parts)] != path_parts:
                continue  # the whole folder was done before the cursor
            yield from _walk(number, Path(entry.path), path_parts, after)
        elif entry.is_file() and suffix(entry.name) in SCANNED and (after is None or key > after):
            yield key, Path(entry.path)


def total_bytes(roots: Sequence[Path], after: Cursor | None = None) -> int:
    """What a scan will read, for a progress bar (a walk of metadata only)."""
    total = 0
    for _, path in walk(roots, after):
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            continue
    return total


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


class FileScanner:
    """Scans one file at a time with one ``Matcher`` (its caches kept from file to file)."""

    def __init__(self, index: Index, hasher: Hasher, thresholds: Thresholds, today: dt.date) -> None:
        self.index = index
        self.thresholds = thresholds
        self.matcher = Matcher(index, hasher, min_fields=thresholds.min_fields, today=today)

    def scan(self, cursor: Cursor, path: Path) -> FileOutcome:
        name = str(path)
        try:
            st = path.stat()
        except OSError:
            outcome = FileOutcome(cursor, name, "", 0, None)
            outcome.reports.append(Report(Finding.Kind.UNREADABLE, name, 0, detail={"reason": "cannot be read"}))
            return outcome
        modified = dt.datetime.fromtimestamp(st.st_mtime, tz=dt.UTC)
        outcome = FileOutcome(cursor, name, _owner(st.st_uid), st.st_size, modified)
        if path.is_dir():
            reason = {"reason": "folder cannot be listed"}
            outcome.reports.append(Report(Finding.Kind.UNREADABLE, name, 0, detail=reason))
            return outcome
        if st.st_size > self.thresholds.max_bytes:
            outcome.reports.append(
                Report(Finding.Kind.UNREADABLE, name, st.st_size, detail={"reason": "too large to scan"})
            )
            return outcome
        try:
            data = path.read_bytes()
        except OSError:
            outcome.reports.append(
                Report(Finding.Kind.UNREADABLE, name, st.st_size, detail={"reason": "cannot be read"})
            )
            return outcome
        for item in documents(name, data, max_bytes=self.thresholds.max_bytes):
            if isinstance(item, Problem):
                outcome.reports.append(Report(item.kind, item.name, item.size, detail={"reason": item.reason}))
                continue
            try:
                match = self.matcher.match(item.lines(), tabular=item.tabular)
            except CannotRead as exc:
                outcome.reports.append(Report(exc.kind, item.name, item.size, detail={"reason": exc.reason}))
                continue
            outcome.bytes_read += match.bytes_read
            outcome.reports.extend(self._reports(item, match))
        return outcome

    def _reports(self, item: Document, match: Match) -> list[Report]:
        index, reports = self.index, []
        people = match.subjects_of(index, SUBJECT_REGISTER)
        if people and len(people) >= self.thresholds.min_people:
            reports.append(
                Report(
                    Finding.Kind.REGISTER_DATA,
                    item.name,
                    item.size,
                    people=len(people),
                    field_kinds=match.kind_counts(index, SUBJECT_REGISTER),
                    refs=[subject.ref for subject, _ in people][:MAX_REFS],
                )
            )
        canaries = match.subjects_of(index, SUBJECT_CANARY)
        if canaries:
            reports.append(
                Report(
                    Finding.Kind.CANARY,
                    item.name,
                    item.size,
                    people=len(canaries),
                    field_kinds=match.kind_counts(index, SUBJECT_CANARY),
                    refs=[subject.ref for subject, _ in canaries],
                    detail={"canaries": [{"canary": s.ref, **dict(s.detail)} for s, _ in canaries]},
                )
            )
        erased = match.subjects_of(index, SUBJECT_ERASED)
        if erased:
            reports.append(
                Report(
                    Finding.Kind.ERASED_PERSON,
                    item.name,
                    item.size,
                    people=len(erased),
                    field_kinds=match.kind_counts(index, SUBJECT_ERASED),
                    refs=[subject.ref for subject, _ in erased][:MAX_REFS],
                    detail={"erased": [{"ref": s.ref, **dict(s.detail)} for s, _ in erased][:MAX_REFS]},
                )
            )
        return reports


_WORKER: FileScanner | None = None


def _scan_in_worker(item: tuple[Cursor, Path]) -> FileOutcome:
    assert _WORKER is not None
    return _WORKER.scan(*item)


def scan_files(
    files: Iterable[tuple[Cursor, Path]], scanner: FileScanner, *, workers: int = 1
) -> Iterator[FileOutcome]:
    """Outcomes in walk order; with ``workers`` > 1, files are read in forked worker processes.

    The workers inherit the index (copy-on-write) and never touch the database.
    """
    if workers <= 1:
        for cursor, path in files:
            yield scanner.scan(cursor, path)
        return
    global _WORKER
    _WORKER = scanner
    try:
        context = multiprocessing.get_context("fork")
        with context.Pool(workers) as pool:
            yield from pool.imap(_scan_in_worker, files, chunksize=2)
    finally:
        _WORKER = None


def scanner_for(index: Index, hasher: Hasher, thresholds: Thresholds) -> FileScanner:
    return FileScanner(index, hasher, thresholds, timezone.localdate())


ProgressCallback = Callable[[FileOutcome], None]
