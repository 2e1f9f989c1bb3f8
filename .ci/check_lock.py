"""Every requirement in the lock file is pinned with ``==`` and carries sha256 hashes; nothing else is in it.

``make setup`` installs with ``pip install --require-hashes``, which refuses an unpinned or unhashed line, but only
when the stamp is out of date, and it accepts what this check does not: ``===`` pins, editable and URL requirements,
and option lines such as ``--extra-index-url`` or ``--trusted-host`` that would send the install to another index.
Usage: ``python .ci/check_lock.py requirements.lock``; exit 1 with one line per fault.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
EXTRAS = r"(?:\[[A-Za-z0-9._,-]+\])?"
VERSION = r"[0-9][A-Za-z0-9.+!_-]*"
MARKER = r"(?:\s*;\s*[^-][^;]*?)?"
HASH = r"--hash=sha256:[0-9a-f]{64}"
REQUIREMENT = re.compile(rf"^(?P<name>{NAME}){EXTRAS}==(?P<version>{VERSION}){MARKER}(?P<hashes>(?:\s+{HASH})+)$")


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) for each requirement, continuation lines joined and comments dropped."""
    entries: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not current:
            start = number
        if line.endswith("\\"):
            current.append(line[:-1].strip())
            continue
        current.append(line)
        joined = " ".join(part for part in current if part)
        current = []
        if joined:
            entries.append((start, joined))
    if current:
        entries.append((start, " ".join(current)))
    return entries


def faults(text: str) -> tuple[list[str], int]:
    """The faults found, and how many requirements were read."""
    found: list[str] = []
    seen: dict[str, int] = {}
    for number, entry in logical_lines(text):
        match = REQUIREMENT.match(entry)
        if match is None:
            found.append(f"line {number}: not a '==' pin with sha256 hashes: {entry[:100]}")
            continue
        name = re.sub(r"[-_.]+", "-", match["name"]).lower()
        if name in seen:
            found.append(f"line {number}: {name} is pinned twice (first on line {seen[name]})")
        seen[name] = number
    if not seen:
        found.append("no requirements found")
    return found, len(seen)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: check_lock.py REQUIREMENTS_FILE\n")
        return 2
    path = Path(argv[0])
    found, count = faults(path.read_text(encoding="utf-8"))
    if found:
        sys.stderr.write("".join(f"{path}: {fault}\n" for fault in found))
        return 1
    sys.stdout.write(f"{path}: {count} requirements, each pinned with == and hashed\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
