"""Shared pieces of the hypothesis tests on file loaders (issue 8): wrong JSON, and commands that refuse cleanly."""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

from django.core.management import CommandError, call_command
from django.db import transaction
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from custos.audit.models import AuditEvent

#: For pure functions.
FUZZ = settings(max_examples=300, deadline=2000, derandomize=True, database=None)
#: For tests that write to the database: each example in a savepoint that is rolled back.
FUZZ_DB = settings(
    max_examples=150,
    deadline=10_000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=10,
)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one to four changes deep inside it: a value replaced, a key dropped or added."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        parent: Any = None
        key: Any = None
        node = document
        while isinstance(node, dict | list) and node and draw(st.booleans()):
            keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
            parent, key = node, draw(st.sampled_from(keys))
            node = node[key]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if parent is None:
            if action == "replace" or not isinstance(document, dict):
                document = draw(json_values)
            elif action == "drop" and document:
                document.pop(draw(st.sampled_from(sorted(document))))
            else:
                document[draw(st.text(max_size=10))] = draw(json_values)
        elif action == "drop" and isinstance(parent, dict):
            parent.pop(key)
        elif action == "drop":
            del parent[key]
        elif action == "add" and isinstance(node, dict):
            node[draw(st.text(max_size=10))] = draw(json_values)
        else:
            parent[key] = draw(json_values)
    return document


def json_files(base: Any) -> st.SearchStrategy[bytes]:
    """What a JSON file given to a loader might hold: the shipped one changed, cut short, or not JSON at all."""
    good = json.dumps(base).encode()
    return st.one_of(
        mutated(base).map(lambda value: json.dumps(value).encode()),
        st.integers(min_value=0, max_value=len(good) - 1).map(lambda cut: good[:cut]),
        json_values.map(lambda value: json.dumps(value).encode()),
        st.binary(max_size=512),
        st.just(good.decode().encode("utf-16")),
    )


def command_all_or_nothing(
    *args: str, tables: tuple[type[Any], ...] = (), then: Callable[[], None] | None = None
) -> bool:
    """Run a command in a savepoint that is rolled back; ``False`` if it refused with a ``CommandError``.

    A refusal must carry a message and leave the event log and ``tables`` as they were. After a success,
    ``then`` (if given) looks at what was written, before it is rolled back.
    """

    def counts() -> dict[str, int]:
        return {model.__name__: model.objects.count() for model in (AuditEvent, *tables)}

    with transaction.atomic():
        before = counts()
        try:
            call_command(*args, stdout=StringIO(), stderr=StringIO())
        except CommandError as exc:
            event("refused")
            says_why(exc)
            assert counts() == before, "a refused file must change nothing"
            return False
        else:
            if then is not None:
                then()
        finally:
            transaction.set_rollback(True)
    event("loaded")
    return True


def says_why(refusal: BaseException) -> None:
    """A refusal carries a message for the person who gave the file."""
    assert str(refusal).strip(), f"{type(refusal).__name__} without a message"


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> None:
    """A CSV file of ``header`` and ``rows``, written in ``encoding`` (what it cannot encode becomes ``?``)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding, errors="replace"))


def xlsx_bytes(header: list[Any], rows: list[list[Any]], *, sheet: str = "Sheet") -> bytes:
    """A workbook of one sheet holding ``header`` and ``rows`` (characters no worksheet can hold are dropped)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def legal(value: Any) -> Any:
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet)
    worksheet.append([legal(v) for v in header])
    for row in rows:
        worksheet.append([legal(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
