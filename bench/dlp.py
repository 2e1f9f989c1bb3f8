"""Copy-scanner benchmark: MB/s on a mixed corpus, side by side with ripgrep, and precision and recall.

    make bench                                   # part of the whole run
    .venv/bin/python bench/dlp.py                # this part only
    BENCH_DLP_PEOPLE=10000 BENCH_DLP_MB=20 .venv/bin/python bench/dlp.py

In a fresh instance (SQLite) it seeds ``BENCH_DLP_PEOPLE`` synthetic people
(default 100,000; their fingerprints are written as they are recorded),
then writes a labelled corpus of about ``BENCH_DLP_MB`` megabytes (default
200) of mixed files: plain text and CSV (notes, unrelated tables, lists of
fictional people, copies of register data disguised as people disguise
them), and XLSX, DOCX, PDF, JSON, EML and ZIP files. It then:

- runs ``custos dlp_scan`` over the whole corpus and prints MB/s;
- runs it over the plain-text part only, and ``rg -F -c -f patterns.txt``
  (Debian ripgrep) over the same files with the register's values as fixed
  patterns (full names, aliases, dates of birth as dd/mm/yyyy, street lines,
  postcodes), and prints both rates and their ratio;
- prints precision and recall on the labelled corpus (files, and people).

The corpus and the values written for ripgrep are synthetic and deleted
afterwards. It prints figures; nothing here is a test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "custos.settings")
django.setup()  # tests.server reads model enums

from custos.dlp.tests.corpus import (  # noqa: E402
    DISGUISES,
    Labelled,
    Someone,
    csv_bytes,
    file_bytes,
    filler_text,
    someone,
)
from tests.server import CustosInstance, custos_instance  # noqa: E402

PEOPLE = int(os.environ.get("BENCH_DLP_PEOPLE", "100000"))
MEGABYTES = float(os.environ.get("BENCH_DLP_MB", "200"))
WORKERS = int(os.environ.get("BENCH_DLP_WORKERS", str(os.cpu_count() or 1)))

EXPORT_VALUES = """
import json
from custos.crypto.envelope import preload
from custos.register.models import Person
rows = []
ids = list(Person.objects.order_by("created_at").values_list("pk", flat=True))
for start in range(0, len(ids), 2000):
    people = list(Person.objects.filter(pk__in=ids[start:start + 2000]))
    preload([p.data_key_id for p in people])
    for p in people:
        rows.append([p.ref, p.full_name, p.date_of_birth.isoformat() if p.date_of_birth else "",
                     (p.addresses or [""])[0], (p.aliases or [""])[0]])
with open(%(path)r, "w", encoding="utf-8") as out:
    json.dump(rows, out)
print(len(rows))
"""


def timed(label: str, run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"  {label:<58} {elapsed:8.1f} s", flush=True)
    return elapsed


def register_values(inst: CustosInstance) -> list[Someone]:
    path = inst.data_dir / "values.json"
    inst.custos("shell", "-v", "0", "-c", EXPORT_VALUES % {"path": str(path)}, timeout=7200)
    rows = json.loads(path.read_text(encoding="utf-8"))
    path.unlink()
    return [someone(ref, name, dt.date.fromisoformat(dob), address, alias) for ref, name, dob, address, alias in rows]


def fictional_people(count: int, taken: set[str]) -> list[Someone]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(4242)
    rng = random.Random(4242)
    made: list[Someone] = []
    while len(made) < count:
        name = f"{fake.first_name()} {fake.last_name()}"
        if name.lower() in taken:
            continue
        dob = dt.date(1985, 1, 1) + dt.timedelta(days=rng.randint(0, 9000))
        made.append(Someone("", name, dob, f"{rng.randint(1, 300)} {fake.street_name()}", "N22 1ZZ", "Camden"))
    return made


def filler_words() -> list[str]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(7)
    words = [*fake.words(4000)]
    return [*words, *words, *(fake.first_name() for _ in range(120)), *(fake.last_name() for _ in range(120))]


def unrelated_table(rng: random.Random, size: int) -> bytes:
    rows = []
    total = 0
    while total < size:
        row = [
            f"INV-{rng.randint(10000, 99999)}",
            f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(2018, 2025)}",
            f"{rng.random() * 1000:.2f}",
            rng.choice(["stationery", "fuel", "vehicle repair", "overtime", "training", "catering"]),
            str(rng.randint(1, 500)),
        ]
        rows.append(row)
        total += sum(len(c) for c in row) + 5
    return csv_bytes(["Invoice", "Date", "Amount", "Category", "Qty"], rows)


def write_corpus(root: Path, people: list[Someone], fictional: list[Someone]) -> list[Labelled]:
    """About MEGABYTES of files; plain text (txt/csv) under plain/, the rest under other/."""
    rng = random.Random(2026)
    words = filler_words()
    target = int(MEGABYTES * 1_000_000)
    labels: list[Labelled] = []
    plain, other = root / "plain", root / "other"
    plain.mkdir(parents=True)
    other.mkdir()
    written = 0
    n = 0
    while written < target:
        n += 1
        roll = rng.random()
        folder = plain if roll < 0.8 else other
        if roll < 0.45:  # notes and letters: ordinary text
            path = folder / f"notes-{n}.txt"
            data = filler_text(rng, words, rng.randint(200_000, 2_000_000))
            label = Labelled(path, "txt", "decoy:text")
        elif roll < 0.6:  # unrelated tables
            path = folder / f"ledger-{n}.csv"
            data = unrelated_table(rng, rng.randint(200_000, 2_000_000))
            label = Labelled(path, "csv", "decoy:table")
        elif roll < 0.7:  # lists of fictional people
            kind = rng.choice(["csv", "txt"])
            disguise = rng.choice(DISGUISES)
            path = folder / f"contacts-{n}.{kind}"
            data = file_bytes(kind, disguise, rng.sample(fictional, rng.randint(200, 2000)), rng)
            label = Labelled(path, kind, f"decoy:{disguise}")
        elif roll < 0.8:  # copies of register data
            kind = rng.choice(["csv", "txt"])
            disguise = rng.choice(DISGUISES)
            chosen = rng.sample(people, rng.randint(3, 40) if disguise == "partial" else rng.randint(50, 3000))
            path = folder / f"list-{n}.{kind}"
            data = file_bytes(kind, disguise, chosen, rng)
            label = Labelled(path, kind, disguise, frozenset(p.ref for p in chosen), "register_data")
        else:  # other kinds, a third of them copies
            kind = rng.choice(["xlsx", "docx", "pdf", "json", "eml", "zip"])
            disguise = rng.choice(DISGUISES)
            if rng.random() < 0.33:
                chosen = rng.sample(people, rng.randint(3, 300))
                label = Labelled(
                    other / f"copy-{n}.{kind}", kind, disguise, frozenset(p.ref for p in chosen), "register_data"
                )
            else:
                chosen = rng.sample(fictional, rng.randint(3, 300))
                label = Labelled(other / f"doc-{n}.{kind}", kind, f"decoy:{disguise}")
            path = label.path
            data = file_bytes(kind, disguise, chosen, rng)
        path.write_bytes(data)
        labels.append(label)
        written += len(data)
    return labels


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def children_cpu() -> float:
    """CPU seconds used so far by finished child processes (and theirs): the figure other load does not skew."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scan(inst: CustosInstance, folder: Path) -> tuple[dict[str, object], float, float]:
    """The scan's result, its wall-clock seconds and its CPU seconds (every worker's)."""
    start, cpu = time.perf_counter(), children_cpu()
    result = inst.custos("dlp_scan", str(folder), "--json", "--no-progress", "--workers", str(WORKERS), timeout=7200)
    return json.loads(result.stdout), time.perf_counter() - start, children_cpu() - cpu


def patterns(people: list[Someone], path: Path) -> int:
    values: set[str] = set()
    for p in people:
        values.update(v for v in (p.full_name, p.alias, f"{p.dob:%d/%m/%Y}", p.street, p.postcode) if v)
    path.write_text("\n".join(sorted(values)) + "\n", encoding="utf-8")
    return len(values)


def quality(labels: list[Labelled], found: dict[str, object]) -> None:
    flagged: dict[str, set[str]] = {}
    for finding in found["findings"]:  # type: ignore[attr-defined]
        if finding["kind"] in ("register_data", "canary", "erased_person"):
            outer = finding["path"].split("!/", 1)[0]
            flagged.setdefault(outer, set()).update(finding["refs"])
    positives = [label for label in labels if label.positive]
    negatives = [label for label in labels if not label.positive]
    true_files = sum(1 for label in positives if str(label.path) in flagged)
    false_files = sum(1 for label in negatives if str(label.path) in flagged)
    planted = sum(len(label.refs) for label in positives)
    found_people = sum(len(label.refs & flagged.get(str(label.path), set())) for label in positives)
    precision = true_files / (true_files + false_files) if true_files + false_files else 1.0
    print(f"  {'files: ' + str(len(positives)) + ' with copies, ' + str(len(negatives)) + ' without':<58}")
    print(f"  {'precision (files)':<58} {precision:8.4f}   ({false_files} file(s) without copies flagged)")
    print(f"  {'recall (files)':<58} {true_files / len(positives):8.4f}")
    print(f"  {'recall (people in the copies)':<58} {found_people / planted:8.4f}   ({found_people:,} of {planted:,})")


def main() -> None:
    if shutil.which("rg") is None:
        print("ripgrep (rg) is missing: make debian-packages installs it", file=sys.stderr)
    print(f"Copy-scanner benchmark ({os.cpu_count()} cores, {WORKERS} scan workers)")
    os.environ.pop("CUSTOS_DATABASE_URL", None)  # SQLite: the scan reads its index once
    work = Path(tempfile.mkdtemp(prefix="custos-dlp-bench-"))
    try:
        with custos_instance(demo_users=False) as inst:
            print(f"\n{PEOPLE:,} synthetic people")
            timed(
                f"seed_demo --people {PEOPLE} (fingerprints written as recorded)",
                lambda: inst.custos("seed_demo", "--people", str(PEOPLE), "--seed", "1", "--no-progress", timeout=7200),
            )
            people = register_values(inst)
            fictional = fictional_people(5000, {p.full_name.lower() for p in people})
            labels: list[Labelled] = []
            timed(
                f"writing a labelled corpus of about {MEGABYTES:.0f} MB",
                lambda: labels.extend(write_corpus(work, people, fictional)),
            )
            total = folder_bytes(work)
            plain_bytes = folder_bytes(work / "plain")
            print(
                f"  {'corpus':<58} {total / 1e6:8.1f} MB in {len(labels):,} files "
                f"({plain_bytes / 1e6:.1f} MB plain text)"
            )

            result, elapsed, _ = scan(inst, work)
            print(
                f"  {'custos dlp_scan, whole corpus':<58} {elapsed:8.1f} s  {total / 1e6 / elapsed:7.1f} MB/s"
                f"  (scanning only: {result['mb_per_second']} MB/s of text read)"
            )
            quality(labels, result)

            plain_result, plain_elapsed, plain_cpu = scan(inst, work / "plain")
            ours = plain_bytes / 1e6 / plain_elapsed
            print(
                f"\n  {'plain text: custos dlp_scan':<58} {plain_elapsed:8.1f} s  {ours:7.1f} MB/s"
                f"  ({plain_cpu:.1f} s CPU: {plain_bytes / 1e6 / plain_cpu:.1f} MB per CPU second)"
            )
            if shutil.which("rg"):
                count = patterns(people, work / "patterns.txt")
                start, cpu = time.perf_counter(), children_cpu()
                subprocess.run(
                    ["rg", "-F", "-c", "-f", str(work / "patterns.txt"), str(work / "plain")],
                    capture_output=True,
                    check=False,
                )
                rg_elapsed, rg_cpu = time.perf_counter() - start, children_cpu() - cpu
                theirs = plain_bytes / 1e6 / rg_elapsed
                print(
                    f"  {'plain text: rg -F -c -f patterns.txt (' + format(count, ',') + ' patterns)':<58} "
                    f"{rg_elapsed:8.1f} s  {theirs:7.1f} MB/s"
                    f"  ({rg_cpu:.1f} s CPU: {plain_bytes / 1e6 / rg_cpu:.1f} MB per CPU second)"
                )
                scanning = float(plain_result["mb_per_second"]) * (1 << 20) / 1e6  # type: ignore[arg-type]
                print(f"  {'ratio custos / ripgrep (end to end, index load included)':<58} {ours / theirs:8.2f}")
                print(
                    f"  {'ratio custos / ripgrep (scanning only: ' + format(scanning, '.1f') + ' MB/s)':<58} "
                    f"{scanning / theirs:8.2f}"
                )
                print(f"  {'ratio custos / ripgrep (CPU time, end to end)':<58} {rg_cpu / plain_cpu:8.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
