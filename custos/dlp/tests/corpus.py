"""A labelled corpus of files, for the scanner's tests and for ``bench/dlp.py``.

Positive files hold people of the register disguised as people disguise
copies: columns reordered, case and spacing changed, dates written other
ways, names split across cells, partial lists (some people, some columns).
Decoys hold fictional people who are not in the register, and ordinary
text. Bad files are truncated, encrypted or junk. Every file carries its
label: which register people it holds, or that it holds none.

Everything is fictional (Faker en_GB and synthetic registers).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

_POSTCODE = re.compile(r"([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
_STREET = re.compile(r"^[0-9]+[A-Za-z]? \S")

FILE_KINDS = ("csv", "txt", "xlsx", "docx", "pdf", "eml", "json", "zip")
DISGUISES = ("plain", "reordered", "case_spacing", "date_formats", "split_names", "partial")


@dataclass(frozen=True)
class Someone:
    """One person's values as a file would hold them; ``ref`` is empty for a fictional person."""

    ref: str
    full_name: str
    dob: dt.date
    street: str
    postcode: str
    borough: str = "Hackney"
    alias: str = ""

    @property
    def first(self) -> str:
        return self.full_name.split()[0]

    @property
    def last(self) -> str:
        return " ".join(self.full_name.split()[1:])


def someone(ref: str, full_name: str, dob: dt.date, address: str, alias: str = "") -> Someone:
    """From a register address such as ``Flat 3, 12 Mare Street, Hackney, London E8 1HE``."""
    parts = [p.strip() for p in address.split(",")]
    street = next((p for p in parts if _STREET.match(p)), parts[0])
    match = _POSTCODE.search(parts[-1])
    postcode = f"{match.group(1)} {match.group(2)}" if match else ""
    borough = parts[-2] if len(parts) >= 3 else "London"
    return Someone(ref, full_name, dob, street, postcode, borough, alias)


@dataclass
class Labelled:
    path: Path
    file_kind: str
    disguise: str
    refs: frozenset[str] = frozenset()
    expect: str = "none"  # register_data, none, encrypted, malformed

    @property
    def positive(self) -> bool:
        return self.expect == "register_data"


# --- how dates and rows are disguised ---------------------------------------------------------------------------

DATE_FORMATS: tuple[Callable[[dt.date], str], ...] = (
    lambda d: f"{d:%d/%m/%Y}",
    lambda d: d.isoformat(),
    lambda d: f"{d.day} {d:%B %Y}",
    lambda d: f"{d:%d.%m.%y}",
    lambda d: f"{d:%B} {d.day}, {d.year}",
    lambda d: f"{d.day}{_ordinal(d.day)} {d:%b %Y}",
    lambda d: f"{d:%d%m%Y}",
    lambda d: f"{d.day}/{d.month}/{d.year}",
    lambda d: f"{d:%d-%b-%Y}",
    lambda d: f"{d:%Y%m%d}",
)


def _ordinal(day: int) -> str:
    if 11 <= day <= 13:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def _shout(rng: random.Random, text: str) -> str:
    style = rng.randrange(3)
    text = text.upper() if style == 0 else text.lower() if style == 1 else text.swapcase()
    return "  ".join(text.split()) + rng.choice(["", " ", "  "])


Row = list[str]


def rows_for(disguise: str, people: Sequence[Someone], rng: random.Random) -> tuple[Row, list[Row]]:
    """A header and one row per person, disguised."""
    if disguise == "plain":
        return ["Name", "DOB", "Address", "Postcode"], [
            [p.full_name, f"{p.dob:%d/%m/%Y}", p.street, p.postcode] for p in people
        ]
    if disguise == "reordered":
        return ["Postcode", "Born", "Nominal", "Street", "Borough"], [
            [p.postcode, p.dob.isoformat(), p.full_name, p.street, p.borough] for p in people
        ]
    if disguise == "case_spacing":
        return ["NAME", "D.O.B.", "ADDRESS"], [
            [_shout(rng, p.full_name), f" {p.dob:%d / %m / %Y} ", _shout(rng, f"{p.street}, {p.postcode}")]
            for p in people
        ]
    if disguise == "date_formats":
        return ["Subject", "Date of birth", "Area"], [
            [p.full_name, rng.choice(DATE_FORMATS)(p.dob), p.postcode.replace(" ", rng.choice(["", " "]))]
            for p in people
        ]
    if disguise == "split_names":
        if rng.random() < 0.5:
            return ["Surname", "Forename", "DOB", "Post code"], [
                [p.last.upper(), p.first, f"{p.dob:%d/%m/%Y}", p.postcode] for p in people
            ]
        return ["First", "Born", "Last", "Address"], [[p.first, f"{p.dob:%d.%m.%Y}", p.last, p.street] for p in people]
    if disguise == "partial":
        columns = rng.choice([("name", "dob"), ("name", "postcode"), ("last_first", "street"), ("dob", "name")])
        cells: dict[str, Callable[[Someone], str]] = {
            "name": lambda p: p.full_name,
            "dob": lambda p: f"{p.dob:%d/%m/%Y}",
            "postcode": lambda p: p.postcode,
            "last_first": lambda p: f"{p.last}, {p.first}",
            "street": lambda p: p.street,
        }
        return list(columns), [[cells[c](p) for c in columns] for p in people]
    raise ValueError(disguise)


def prose_for(disguise: str, people: Sequence[Someone], rng: random.Random) -> list[str]:
    """The same people as sentences in a letter or notes."""
    lines = ["Notes from the tasking meeting (informal copy).", ""]
    for p in people:
        name = p.full_name if disguise != "split_names" else f"{p.last.upper()}, {p.first}"
        if disguise == "case_spacing":
            name = _shout(rng, name)
        born = rng.choice(DATE_FORMATS)(p.dob) if disguise != "plain" else f"{p.dob:%d/%m/%Y}"
        if disguise == "partial":
            lines.append(f"{name} (DOB {born}) was mentioned again.")
        elif rng.random() < 0.5:
            lines.append(f"{name}, born {born}, lives at {p.street}, {p.borough}, {p.postcode}.")
        else:
            lines.append(f"Subject: {name}")
            lines.append(f"Date of birth: {born}")
            lines.append(f"Address: {p.street}, {p.postcode}")
            lines.append("")
    return lines


# --- file kinds -------------------------------------------------------------------------------------------------


def csv_bytes(header: Row, rows: Sequence[Row]) -> bytes:
    def cell(value: str) -> str:
        return f'"{value}"' if "," in value else value

    return ("\n".join(",".join(cell(v) for v in row) for row in [header, *rows]) + "\n").encode("utf-8")


def xlsx_bytes(header: Row, rows: Sequence[Row]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def docx_bytes(lines: Sequence[str], header: Row | None = None, rows: Sequence[Row] = ()) -> bytes:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    if header is not None:
        table = document.add_table(rows=1, cols=len(header))
        for cell, value in zip(table.rows[0].cells, header, strict=True):
            cell.text = value
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(lines: Sequence[str], lines_per_page: int = 60) -> bytes:
    """A plain PDF with the lines as text (Helvetica), pages of ``lines_per_page`` lines."""
    pages = [lines[i : i + lines_per_page] for i in range(0, max(len(lines), 1), lines_per_page)] or [[]]
    objects: list[bytes] = []
    font = 3
    first_page = 4
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for i, page in enumerate(pages):
        text = ["BT", "/F1 9 Tf", "11 TL", "40 800 Td"]
        for line in page:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            text.append(f"({escaped}) Tj T*")
        text.append("ET")
        stream = "\n".join(text).encode("cp1252", errors="replace")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font} 0 R >> >> "
            f"/Contents {first_page + 2 * i + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def json_bytes(header: Row, rows: Sequence[Row]) -> bytes:
    keys = [re.sub(r"\W+", "_", h.strip().lower()).strip("_") or f"c{i}" for i, h in enumerate(header)]
    records = [dict(zip(keys, row, strict=True)) for row in rows]
    return json.dumps({"exported": "informal", "people": records}, indent=1).encode("utf-8")


def eml_bytes(body: Sequence[str], attachment: tuple[str, bytes] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "someone@example.police.uk"
    message["To"] = "someone.else@example.org"
    message["Subject"] = "The list, as promised"
    message.set_content("\n".join(body))
    if attachment is not None:
        name, data = attachment
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return message.as_bytes()


def zip_bytes(members: Sequence[tuple[str, bytes]], *, encrypted: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    if not encrypted:
        return out.getvalue()
    # Mark every member password-protected (bit 0 of the flags), as an encrypting zip tool does.
    data = bytearray(out.getvalue())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at != -1:
            data[at + offset] |= 0x1
            at = data.find(signature, at + 4)
    return bytes(data)


def file_bytes(kind: str, disguise: str, people: Sequence[Someone], rng: random.Random) -> bytes:
    """One file of ``kind`` holding ``people`` disguised by ``disguise``."""
    header, rows = rows_for(disguise, people, rng)
    if kind == "csv":
        return csv_bytes(header, rows)
    if kind == "txt":
        return ("\n".join(prose_for(disguise, people, rng)) + "\n").encode("utf-8")
    if kind == "xlsx":
        return xlsx_bytes(header, rows)
    if kind == "docx":
        if rng.random() < 0.5:
            return docx_bytes(["Informal list", ""], header, rows)
        return docx_bytes(prose_for(disguise, people, rng))
    if kind == "pdf":
        return pdf_bytes(prose_for(disguise, people, rng))
    if kind == "eml":
        if rng.random() < 0.5:
            return eml_bytes(["Here it is.", ""], ("list.csv", csv_bytes(header, rows)))
        return eml_bytes(prose_for(disguise, people, rng))
    if kind == "json":
        return json_bytes(header, rows)
    if kind == "zip":
        inner = zip_bytes([("copy/list.xlsx", xlsx_bytes(header, rows))])
        return zip_bytes([("readme.txt", b"nothing here\n"), ("nested.zip", inner)])
    raise ValueError(kind)


# --- decoys and bad files ---------------------------------------------------------------------------------------


def filler_text(rng: random.Random, words: Sequence[str], size: int) -> bytes:
    """Ordinary text of about ``size`` bytes: sentences of ``words``, with numbers and dates now and then."""
    out: list[str] = []
    total = 0
    while total < size:
        sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 18))).capitalize()
        if rng.random() < 0.1:
            sentence += f" on {rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(2015, 2024)}"
        if rng.random() < 0.1:
            sentence += f", ref {rng.randint(1000, 99999)}"
        out.append(sentence + ".")
        total += len(out[-1]) + 1
    return "\n".join(out).encode("utf-8") + b"\n"


def bad_files() -> dict[str, tuple[bytes, str]]:
    """name -> (content, expected finding kind)."""
    from pypdf import PdfWriter

    book = xlsx_bytes(["Name", "DOB"], [["Nobody Here", "01/01/2001"]] * 200)
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    locked_pdf = io.BytesIO()
    writer.write(locked_pdf)
    return {
        "truncated.xlsx": (book[: len(book) // 2], "malformed"),
        "locked.zip": (zip_bytes([("list.csv", b"secret")], encrypted=True), "encrypted"),
        "junk.pdf": (bytes(random.Random(7).randrange(256) for _ in range(4096)), "malformed"),
        "locked.pdf": (locked_pdf.getvalue(), "encrypted"),
        "locked.docx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048, "encrypted"),
        "broken.json": (b'{"people": [{"name": "x"', "malformed"),
        "notreally.docx": (b"this is not a Word document", "malformed"),
    }


@dataclass
class CorpusPlan:
    """How much of what to write."""

    per_kind_and_disguise: int = 1
    people_per_file: tuple[int, int] = (3, 12)
    decoys_per_kind: int = 2
    filler_files: int = 3
    filler_bytes: int = 20_000
    extra: dict[str, Any] = field(default_factory=dict)


def write_corpus(
    root: Path,
    people: Sequence[Someone],
    fictional: Sequence[Someone],
    words: Sequence[str],
    *,
    plan: CorpusPlan | None = None,
    seed: int = 1,
) -> list[Labelled]:
    """Write the labelled corpus under ``root`` and return the labels."""
    plan = plan or CorpusPlan()
    rng = random.Random(seed)
    labels: list[Labelled] = []
    root.mkdir(parents=True, exist_ok=True)
    low, high = plan.people_per_file
    for kind in FILE_KINDS:
        folder = root / kind
        folder.mkdir(exist_ok=True)
        for disguise in DISGUISES:
            for n in range(plan.per_kind_and_disguise):
                chosen = rng.sample(list(people), min(len(people), rng.randint(low, high)))
                path = folder / f"{disguise}-{n}.{kind}"
                path.write_bytes(file_bytes(kind, disguise, chosen, rng))
                labels.append(Labelled(path, kind, disguise, frozenset(p.ref for p in chosen), "register_data"))
        for n in range(plan.decoys_per_kind):
            disguise = DISGUISES[n % len(DISGUISES)]
            chosen = rng.sample(list(fictional), min(len(fictional), rng.randint(low, high * 2)))
            path = folder / f"decoy-{disguise}-{n}.{kind}"
            path.write_bytes(file_bytes(kind, disguise, chosen, rng))
            labels.append(Labelled(path, kind, f"decoy:{disguise}"))
    filler = root / "filler"
    filler.mkdir(exist_ok=True)
    for n in range(plan.filler_files):
        path = filler / f"notes-{n}.txt"
        path.write_bytes(filler_text(rng, words, plan.filler_bytes))
        labels.append(Labelled(path, "txt", "decoy:text"))
    bad = root / "bad"
    bad.mkdir(exist_ok=True)
    for name, (content, expect) in bad_files().items():
        path = bad / name
        path.write_bytes(content)
        labels.append(Labelled(path, name.rsplit(".", 1)[-1], "bad", expect=expect))
    return labels
