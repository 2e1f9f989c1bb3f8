"""Reading a definition file (a rubric, an action policy, a retention schedule): one JSON object that will be
stored as it is in a JSON column.

JSON as Python reads it is wider than what the database can keep: ``NaN`` and ``Infinity`` are not JSON
numbers, and PostgreSQL's ``jsonb`` refuses the NUL character (``\\u0000``) in any string. A file holding
either is refused here with its name and the reason, before anything is validated or written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class DefinitionFileError(ValueError):
    """The file cannot be a definition; the message names the file and the problem (never its contents)."""


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def json_parse(text: str) -> Any:
    """``json.loads`` without ``NaN`` and ``Infinity`` (``ValueError`` naming the constant)."""
    return json.loads(text, parse_constant=_no_constant)


def has_nul(value: Any) -> bool:
    """True when a string anywhere in a parsed JSON value (keys included) holds NUL."""
    return _has_nul(value)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def definition_from_file(path: Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path``; ``DefinitionFileError`` naming the problem. ``what`` says what it should be
    ("a rubric", "an action policy", …)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise DefinitionFileError(f"{path.name}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionFileError(f"{path.name}: cannot be read") from exc
    try:
        data = json_parse(text)
    except json.JSONDecodeError as exc:
        raise DefinitionFileError(f"{path.name}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    except ValueError as exc:
        raise DefinitionFileError(f"{path.name}: not valid JSON ({exc} is not a number)") from exc
    if not isinstance(data, dict):
        raise DefinitionFileError(f"{path.name}: {what} is a JSON object")
    if _has_nul(data):
        raise DefinitionFileError(f"{path.name}: holds a NUL character (\\u0000), which cannot be stored")
    return data
