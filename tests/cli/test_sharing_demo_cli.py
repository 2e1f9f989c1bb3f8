"""The demo's sharing data and the daily sharing sweep, as an operator runs them; a package opened with `age`."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.server import custos_instance

pytestmark = pytest.mark.cli

PACKAGE = (
    "import json; from custos.sharing.models import Agreement, Disclosure; from custos.sharing import services; "
    "d = Disclosure.objects.get(status='disclosed'); "
    "print(json.dumps({'agreements': Agreement.objects.count(), 'statuses': sorted(Disclosure.objects.values_list("
    "'status', flat=True)), 'path': str(services.package_path(d)), 'ref': d.short_ref, 'fields': d.fields, "
    "'people': d.people_count}))"
)
VERBS = (
    "import json; from custos.audit.models import AuditEvent as E; "
    "print(json.dumps([e.verb for e in E.objects.order_by('seq')]))"
)
#: What seed_sharing_demo writes, in order (tests/test_event_completeness.py points here).
DEMO_VERBS = [
    "isa.drafted",
    "isa.approved",
    "isa.drafted",
    "isa.approved",
    "sharing_log.imported",
    "disclosure.requested",
    "notification.sent",
    "notification.sent",
    "dlp.canary_registered",
    "disclosure.made",
    "disclosure.requested",
    "notification.sent",
    "notification.sent",
    "disclosure.requested",
    "notification.sent",
    "notification.sent",
    "disclosure.refused",
]
EXPIRE = (
    "import datetime as dt; from custos.sharing.models import Agreement; "
    "Agreement.objects.filter(code='ISA-0002').update(review_date=dt.date(2020, 1, 1))"
)


def test_make_demo_shares_under_agreements_and_the_recipient_opens_the_package(tmp_path: Path) -> None:
    age = shutil.which("age")
    assert age is not None, "the Debian package 'age' is needed (make test installs it)"
    with custos_instance(demo_users=True) as inst:
        inst.custos("seed_demo", "--people", "900", "--seed", "3")
        before = len(json.loads(inst.custos("shell", "-v", "0", "-c", VERBS).stdout.strip().splitlines()[-1]))
        made = inst.custos("seed_sharing_demo")
        verbs = json.loads(inst.custos("shell", "-v", "0", "-c", VERBS).stdout.strip().splitlines()[-1])
        assert verbs[before:] == DEMO_VERBS
        assert "Made 2 agreements and 3 disclosures" in made.stdout
        assert "Imported 15 lines of the example legacy share log." in made.stdout
        again = inst.custos("seed_sharing_demo")
        assert again.stdout.strip() == "Agreements already exist: nothing to do."
        state = json.loads(inst.custos("shell", "-v", "0", "-c", PACKAGE).stdout.strip().splitlines()[-1])
        assert state["agreements"] == 2
        assert state["statuses"] == ["disclosed", "pending", "refused"]
        key = inst.data_dir / "demo-recipient-age-key.txt"
        assert key.stat().st_mode & 0o777 == 0o600
        out = tmp_path / "package.zip"
        subprocess.run([age, "--decrypt", "--identity", str(key), "--output", str(out), state["path"]], check=True)
        document = json.loads(zipfile.ZipFile(out).read("disclosure.json"))
        assert document["disclosure"] == state["ref"]
        assert len(document["people"]) == state["people"] + 1  # and the canary
        for record in document["people"]:
            assert set(record) == {"watermark", *state["fields"]}

        inst.custos("shell", "-v", "0", "-c", EXPIRE)
        swept = inst.custos("sharing_sweep")
        assert swept.stdout.strip() == "1 agreement(s) expired; 0 expired package(s) removed from the server."
        verbs = json.loads(inst.custos("shell", "-v", "0", "-c", VERBS).stdout.strip().splitlines()[-1])
        assert verbs[-1] == "isa.expired"
        assert inst.custos("sharing_sweep").stdout.startswith("0 agreement(s) expired")
        assert inst.custos("audit_verify").returncode == 0


def test_seed_sharing_demo_needs_the_demo_accounts() -> None:
    with custos_instance(demo_users=False) as inst:
        result = inst.custos("seed_sharing_demo", check=False)
        assert result.returncode != 0
        assert "run 'custos demo_users' first" in result.stderr
        assert len([line for line in result.stderr.splitlines() if line.strip()]) == 1
