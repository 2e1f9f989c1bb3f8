"""The scanner's file readers never crash on what they are given (issue 8).

Whatever the bytes and whatever the name says they are, ``documents()``
yields ``Document``s and ``Problem``s only, and reading a document's lines
either succeeds or raises ``CannotRead`` with a kind (encrypted, malformed,
unreadable) and a reason: never another exception, never a hang. Inputs are
arbitrary bytes under every scanned suffix, files of the right kind cut
short or with bytes flipped, and well-formed containers holding junk.
"""

from __future__ import annotations

import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custos.dlp.readers import SCANNED, CannotRead, Document, Problem, documents
from custos.dlp.tests.corpus import csv_bytes, docx_bytes, eml_bytes, json_bytes, pdf_bytes, xlsx_bytes, zip_bytes

MAX_BYTES = 1 << 20
KINDS = frozenset({"encrypted", "malformed", "unreadable"})
FUZZ = settings(
    max_examples=500, deadline=2000, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

HEADER = ["Full name", "Date of birth", "Address"]
ROWS = [["Alex Fictional", "01/02/2003", "1 Nowhere Street"], ["Sam Madeup", "2004-05-06", "2 Imaginary Road"]]
#: One good file of each kind, to cut short and damage.
GOOD = {
    ".csv": csv_bytes(HEADER, ROWS),
    ".json": json_bytes(HEADER, ROWS),
    ".xlsx": xlsx_bytes(HEADER, ROWS),
    ".docx": docx_bytes(["A note about nobody"], HEADER, ROWS),
    ".pdf": pdf_bytes(["A page about nobody", "Alex Fictional 01/02/2003"]),
    ".eml": eml_bytes(["The list"], ("list.csv", csv_bytes(HEADER, ROWS))),
    ".zip": zip_bytes([("inner/list.csv", csv_bytes(HEADER, ROWS)), ("note.txt", b"nothing")]),
}


def _is_a_reported_problem(kind: str, reason: str) -> None:
    assert kind in KINDS
    assert reason


def read_all(name: str, data: bytes) -> list[Document | Problem]:
    """Everything ``documents`` yields, with every document's lines read; only ``CannotRead`` may stop a read."""
    found = list(documents(name, data, max_bytes=MAX_BYTES))
    for item in found:
        assert isinstance(item, Document | Problem)
        if isinstance(item, Problem):
            _is_a_reported_problem(item.kind, item.reason)
            continue
        try:
            for chunk in item.lines():
                assert isinstance(chunk, bytes | str)
        except CannotRead as exc:
            _is_a_reported_problem(exc.kind, exc.reason)
    return found


suffixes = st.sampled_from(sorted(SCANNED))


@FUZZ
@given(suffix=suffixes, data=st.binary(max_size=4096))
def test_arbitrary_bytes_under_any_name_are_read_or_reported(suffix: str, data: bytes) -> None:
    read_all(f"file{suffix}", data)


@FUZZ
@given(suffix=suffixes, data=st.data())
def test_a_good_file_of_the_wrong_kind_is_read_or_reported(suffix: str, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(sorted(GOOD)))
    read_all(f"misnamed{suffix}", GOOD[kind])


@FUZZ
@given(kind=st.sampled_from(sorted(GOOD)), data=st.data())
def test_a_file_cut_short_is_read_or_reported(kind: str, data: st.DataObject) -> None:
    good = GOOD[kind]
    cut = data.draw(st.integers(min_value=0, max_value=len(good) - 1))
    read_all(f"cut{kind}", good[:cut])


@FUZZ
@given(kind=st.sampled_from(sorted(GOOD)), data=st.data())
def test_a_file_with_damaged_bytes_is_read_or_reported(kind: str, data: st.DataObject) -> None:
    damaged = bytearray(GOOD[kind])
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        at = data.draw(st.integers(min_value=0, max_value=len(damaged) - 1))
        damaged[at] = data.draw(st.integers(min_value=0, max_value=255))
    read_all(f"damaged{kind}", bytes(damaged))


@FUZZ
@given(
    members=st.lists(
        st.tuples(
            st.builds("{}{}".format, st.from_regex(r"[a-z0-9_/]{0,18}[a-z0-9]", fullmatch=True), suffixes),
            st.binary(max_size=1024),
        ),
        max_size=5,
        unique_by=lambda member: member[0],
    )
)
def test_a_zip_of_junk_members_is_read_or_reported(members: list[tuple[str, bytes]]) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members:
            archive.writestr(name, content)
    read_all("junk.zip", out.getvalue())


@FUZZ
@given(
    headers=st.dictionaries(
        st.sampled_from(
            [
                "From",
                "To",
                "Cc",
                "Subject",
                "Content-Type",
                "Content-Transfer-Encoding",
                "Content-Disposition",
                "MIME-Version",
            ]
        ),
        st.text(max_size=80),
    ),
    body=st.binary(max_size=1024),
)
def test_an_email_with_junk_headers_is_read_or_reported(headers: dict[str, str], body: bytes) -> None:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    read_all("junk.eml", head.encode("utf-8", errors="surrogatepass") + b"\r\n" + body)


@FUZZ
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
        max_leaves=30,
    )
)
def test_any_json_value_is_read(value: object) -> None:
    import json

    found = read_all("any.json", json.dumps(value).encode())
    assert all(isinstance(item, Document) for item in found)


def test_archives_nested_too_deep_are_reported_not_followed() -> None:
    data = GOOD[".zip"]
    for depth in range(6):
        data = zip_bytes([(f"level{depth}.zip", data)])
    found = read_all("deep.zip", data)
    assert any(isinstance(item, Problem) and item.kind == "unreadable" for item in found)
