"""The labelled corpus: every file kind, every disguise, decoys and bad files; recall and precision.

The scanner must find at least 99% of the planted people and of the files
holding them, and flag no file that holds no register data.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from custos.accounts.models import User
from custos.dlp.models import Finding
from custos.dlp.services import scan_run
from custos.dlp.tests.conftest import filler_words
from custos.dlp.tests.corpus import DISGUISES, FILE_KINDS, CorpusPlan, Labelled, Someone, write_corpus

pytestmark = pytest.mark.django_db


def _findings_by_file(labels: list[Labelled]) -> dict[str, list[Finding]]:
    found: dict[str, list[Finding]] = defaultdict(list)
    for finding in Finding.objects.all():
        outer = finding.path.split("!/", 1)[0]
        found[outer].append(finding)
    return found


def test_recall_and_precision_on_the_labelled_corpus(
    register: list[Someone], fictional: list[Someone], central: User, corpus_root: Path
) -> None:
    labels = write_corpus(corpus_root, register, fictional, filler_words(), plan=CorpusPlan(per_kind_and_disguise=2))
    assert {label.file_kind for label in labels} >= set(FILE_KINDS)
    assert {label.disguise for label in labels} >= set(DISGUISES)
    scan_run(actor=central, paths=[str(corpus_root)])
    found = _findings_by_file(labels)
    planted = found_people = 0
    missed_files = []
    for label in labels:
        kinds = {f.kind for f in found.get(str(label.path), [])}
        if label.positive:
            refs = {ref for f in found.get(str(label.path), []) if f.kind == "register_data" for ref in f.refs}
            planted += len(label.refs)
            found_people += len(label.refs & refs)
            if "register_data" not in kinds:
                missed_files.append(f"{label.file_kind}/{label.disguise}")
            assert refs <= set(label.refs) | {p.ref for p in register}
        elif label.expect == "none":
            assert not kinds, f"decoy {label.path.name} flagged: {kinds}"
        else:
            assert label.expect in kinds, f"{label.path.name}: expected {label.expect}, got {kinds}"
    positives = [label for label in labels if label.positive]
    recall_files = 1 - len(missed_files) / len(positives)
    recall_people = found_people / planted
    assert recall_files >= 0.99, missed_files
    assert recall_people >= 0.99, (found_people, planted)
