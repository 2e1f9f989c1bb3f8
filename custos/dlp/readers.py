"""Reading files for the scanner: each kind of file as lines of text, containers opened.

``documents(name, data)`` yields a ``Document`` (lines of text to match) for
every readable thing in a file, and a ``Problem`` for every part that cannot
be read: ``encrypted`` (a password-protected zip member, PDF or Office
file), ``malformed`` (a truncated workbook, junk named .pdf, invalid JSON)
or ``unreadable`` (too large, nested too deep). A problem never stops the
scan; its reason names the kind of failure, never a word of the content.

Kinds: .csv .tsv (rows), .txt, .json (one line per record), .xlsx
(openpyxl, one line per row), .docx (python-docx: paragraphs and table
rows), .pdf (pypdf: the text of each page), .eml (the standard library's
email parser: headers, text parts, attachments as files of their own) and
.zip (zipfile, recursively).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import logging
import lzma
import re
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import PurePosixPath
from typing import Any

from custos.dlp.scanner import chunks_of, decode

#: File name endings the scanner reads.
SCANNED = frozenset({".csv", ".tsv", ".txt", ".json", ".xlsx", ".docx", ".pdf", ".eml", ".zip"})
TABULAR = frozenset({".csv", ".tsv", ".json", ".xlsx"})
#: Office files saved with a password are OLE compound files, not zip archives.
_CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAX_DEPTH = 4
_CHUNK_CHARS = 1 << 20
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")

logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed PDFs are reported as findings, not logged


class CannotRead(Exception):
    """A file or part that cannot be read: ``kind`` is encrypted, malformed or unreadable."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


@dataclass
class Document:
    """Something to match: ``lines()`` gives chunks of whole lines (may raise ``CannotRead``)."""

    name: str
    size: int
    tabular: bool
    lines: Callable[[], Iterator[bytes | str]]


@dataclass
class Problem:
    name: str
    size: int
    kind: str
    reason: str


def suffix(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def documents(name: str, data: bytes, *, max_bytes: int, depth: int = 0) -> Iterator[Document | Problem]:
    """Everything readable in one file (``name`` is its display path), and what could not be read."""
    kind = suffix(name)
    try:
        if kind == ".zip":
            yield from _zip(name, data, max_bytes=max_bytes, depth=depth)
            return
        if kind == ".eml":
            yield from _eml(name, data, max_bytes=max_bytes, depth=depth)
            return
        reader = _READERS.get(kind)
        if reader is None:
            return
        yield Document(name, len(data), kind in TABULAR, reader(data))
    except CannotRead as exc:
        yield Problem(name, len(data), exc.kind, exc.reason)


def _text(data: bytes) -> Callable[[], Iterator[bytes | str]]:
    if data.isascii():
        return lambda: chunks_of(data)
    return lambda: iter([decode(data)])


def _joined(lines: Iterable[str]) -> Iterator[str]:
    """Lines gathered into chunks of about a megabyte."""
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line) + 1
        if size >= _CHUNK_CHARS:
            yield "\n".join(batch)
            batch, size = [], 0
    if batch:
        yield "\n".join(batch)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return _SPACE.sub(" ", str(value))


# --- JSON ----------------------------------------------------------------------------------------------------


def _json(data: bytes) -> Callable[[], Iterator[bytes | str]]:
    text = decode(data)
    try:
        values: list[Any] = [json.loads(text)]
    except ValueError:
        try:  # JSON lines: one value a line
            values = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise CannotRead("malformed", "not valid JSON") from exc
    return lambda: _joined(line for value in values for line in _records(value))


def _records(value: Any) -> Iterator[str]:
    """One line per object (its scalars, and those of objects inside it); lists split into records."""
    if isinstance(value, list):
        scalars = [_cell(v) for v in value if not isinstance(v, dict | list)]
        if scalars:
            yield " | ".join(scalars)
        for item in value:
            if isinstance(item, dict | list):
                yield from _records(item)
        return
    if isinstance(value, dict):
        cells: list[str] = []
        nested: list[Any] = []
        _flatten(value, cells, nested)
        if cells:
            yield " | ".join(cells)
        for item in nested:
            yield from _records(item)
        return
    yield _cell(value)


def _flatten(value: dict[str, Any], cells: list[str], nested: list[Any]) -> None:
    for item in value.values():
        if isinstance(item, dict):
            _flatten(item, cells, nested)
        elif isinstance(item, list):
            if all(not isinstance(v, dict | list) for v in item):
                cells.extend(_cell(v) for v in item)
            else:
                nested.append(item)
        else:
            cells.append(_cell(item))


# --- Office and PDF ------------------------------------------------------------------------------------------


def _office_container(data: bytes, what: str) -> None:
    if data.startswith(_CFB):
        raise CannotRead("encrypted", f"password-protected {what}")
    if not data.startswith(b"PK"):
        raise CannotRead("malformed", f"not a {what} (no zip container)")


def _xlsx(data: bytes) -> Callable[[], Iterator[bytes | str]]:
    from openpyxl import load_workbook

    _office_container(data, "workbook")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise CannotRead("malformed", f"damaged workbook ({type(exc).__name__})") from exc

    def rows() -> Iterator[str]:
        try:
            for sheet in book.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    line = "\t".join(_cell(v) for v in row).strip()
                    if line:
                        yield line
        except Exception as exc:  # noqa: BLE001 - a truncated sheet fails part-way, in many ways
            raise CannotRead("malformed", f"damaged workbook ({type(exc).__name__})") from exc
        finally:
            book.close()

    return lambda: _joined(rows())


def _docx(data: bytes) -> Callable[[], Iterator[bytes | str]]:
    import docx

    _office_container(data, "Word document")
    try:
        document = docx.Document(io.BytesIO(data))
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append(" | ".join(cell.text for cell in row.cells))
        for section in document.sections:
            lines.extend(p.text for p in section.header.paragraphs)
            lines.extend(p.text for p in section.footer.paragraphs)
    except Exception as exc:  # noqa: BLE001 - python-docx and lxml raise many kinds for a damaged file
        raise CannotRead("malformed", f"damaged Word document ({type(exc).__name__})") from exc
    return lambda: _joined(line for line in lines if line.strip())


def _pdf(data: bytes) -> Callable[[], Iterator[bytes | str]]:
    from pypdf import PdfReader

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise CannotRead("malformed", "not a PDF")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CannotRead("encrypted", "password-protected PDF")
        pages = list(reader.pages)
    except CannotRead:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds for a damaged file
        raise CannotRead("malformed", f"damaged PDF ({type(exc).__name__})") from exc

    def text() -> Iterator[str]:
        for page in pages:
            try:
                yield page.extract_text() or ""
            except Exception as exc:  # noqa: BLE001 - as above, page by page
                raise CannotRead("malformed", f"damaged PDF ({type(exc).__name__})") from exc

    return text


_READERS: dict[str, Callable[[bytes], Callable[[], Iterator[bytes | str]]]] = {
    ".csv": _text,
    ".tsv": _text,
    ".txt": _text,
    ".json": _json,
    ".xlsx": _xlsx,
    ".docx": _docx,
    ".pdf": _pdf,
}


# --- Containers ----------------------------------------------------------------------------------------------


#: What reading a damaged member raises: a corrupt deflate or LZMA stream (zlib.error, LZMAError), a compression
#: method or zip version zipfile does not implement (NotImplementedError), a local header that says the member
#: is encrypted when the directory did not (RuntimeError), a cut-short or inconsistent member (the rest).
_DAMAGED_MEMBER = (
    zipfile.BadZipFile,
    OSError,
    ValueError,
    EOFError,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
    RuntimeError,
)


def _zip(name: str, data: bytes, *, max_bytes: int, depth: int) -> Iterator[Document | Problem]:
    if depth >= _MAX_DEPTH:
        raise CannotRead("unreadable", f"archives nested more than {_MAX_DEPTH} deep")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CannotRead("malformed", "damaged zip archive") from exc
    locked = [m for m in members if m.flag_bits & 0x1]
    if locked:
        yield Problem(name, len(data), "encrypted", f"password-protected zip: {len(locked)} of {len(members)} files")
    budget = max_bytes * 4  # a zip bomb stops here
    for member in members:
        if member in locked or suffix(member.filename) not in SCANNED:
            continue
        inner = f"{name}!/{member.filename}"
        if member.file_size > max_bytes or member.file_size > budget:
            yield Problem(inner, member.file_size, "unreadable", "too large to scan")
            continue
        try:
            content = archive.read(member)
        except _DAMAGED_MEMBER as exc:
            yield Problem(inner, member.file_size, "malformed", f"damaged zip member ({type(exc).__name__})")
            continue
        budget -= len(content)
        yield from documents(inner, content, max_bytes=max_bytes, depth=depth + 1)


def _eml(name: str, data: bytes, *, max_bytes: int, depth: int) -> Iterator[Document | Problem]:
    if depth >= _MAX_DEPTH:
        raise CannotRead("unreadable", f"messages nested more than {_MAX_DEPTH} deep")
    try:
        message = email.message_from_bytes(data, policy=email.policy.default)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; anything it raises means damage
        raise CannotRead("malformed", "damaged e-mail message") from exc
    assert isinstance(message, EmailMessage)
    lines = [str(message.get(header, "")) for header in ("From", "To", "Cc", "Subject")]
    attachments: list[tuple[str, bytes]] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        try:
            if filename:
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    attachments.append((filename, payload))
            elif part.get_content_type() == "text/plain":
                lines.append(str(part.get_content()))
            elif part.get_content_type() == "text/html":
                lines.append(_TAGS.sub(" ", str(part.get_content())))
        except (LookupError, ValueError, AssertionError) as exc:
            yield Problem(name, len(data), "malformed", f"damaged e-mail part ({type(exc).__name__})")
    text = "\n".join(line for line in lines if line)
    yield Document(name, len(data), False, lambda: iter([text]))
    for filename, payload in attachments:
        yield from documents(f"{name}!/{filename}", payload, max_bytes=max_bytes, depth=depth + 1)
