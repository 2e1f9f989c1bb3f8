"""custos isa and custos disclosure as an operator runs them: the `custos` script in a subprocess.

One instance (its own data directory and database) with the demo accounts
is shared by the module; each refusal is checked to exit non-zero with one
line on stderr and to change nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from custos.crypto.age import age_identity_new
from tests.server import CustosInstance, custos_instance

pytestmark = pytest.mark.cli

IDENTITY, RECIPIENT = age_identity_new()
PURPOSE = "OP-2207: referral to the youth offending service"
NECESSITY = "Open referral: the service must assess risk before the panel on Friday."

STATE = (
    "import json; from custos.sharing.models import Agreement, Disclosure; "
    "from custos.audit.models import AuditEvent; "
    "print(json.dumps({'agreements': [[a.code, a.status, str(a.review_date)] "
    "for a in Agreement.objects.order_by('code')], "
    "'disclosures': sorted([str(d.pk), d.status, d.package_file] for d in Disclosure.objects.all()), "
    "'events': AuditEvent.objects.count()}))"
)


@pytest.fixture(scope="module")
def inst() -> Iterator[CustosInstance]:
    with custos_instance() as instance:
        yield instance


def query(inst: CustosInstance, code: str) -> Any:
    result = inst.custos("shell", "-v", "0", "-c", code)
    return json.loads(result.stdout.strip().splitlines()[-1])


def state(inst: CustosInstance) -> Any:
    return query(inst, STATE)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def refused(inst: CustosInstance, *args: str) -> str:
    """Run a command that must be refused; return its one line, having checked nothing changed."""
    before = state(inst)
    line = one_line_error(inst.custos(*args, check=False))
    assert state(inst) == before
    return line


def draft_file(tmp_path: Path, **overrides: Any) -> Path:
    body: dict[str, Any] = {
        "title": "Youth offending service referrals",
        "recipient_name": "Hackney Youth Offending Service",
        "recipient_kind": "statutory",
        "parties": ["Metropolitan Police Service", "London Borough of Hackney"],
        "legal_basis": "DPA 2018 s.35(2)(b) and s.31; Crime and Disorder Act 1998 s.115",
        "purpose": "Assessment and support of young people referred by the police.",
        "fields": ["reference", "full_name", "date_of_birth", "postcode", "band", "categories"],
        "categories": ["suspected_offender", "convicted_offender"],
        "bands": ["red", "amber"],
        "onward_sharing": "None without the police's written consent.",
        "retention_days": 30,
        "retention_rules": "Destroy after the panel decision.",
        "security": "OFFICIAL-SENSITIVE; encrypted storage; named staff only.",
        "recipient_key": RECIPIENT,
        "review_date": (dt.date.today() + dt.timedelta(days=365)).isoformat(),
        "signatories": [
            {"name": "A. Signer", "role": "Detective Superintendent", "organisation": "Metropolitan Police Service"},
            {"name": "B. Signer", "role": "Head of Youth Justice", "organisation": "London Borough of Hackney"},
        ],
    }
    body.update(overrides)
    path = tmp_path / "agreement.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def approved_agreement(inst: CustosInstance, tmp_path: Path) -> str:
    """A new approved agreement (drafted by central governance, approved by the IRU); its code."""
    out = inst.custos("isa", "draft", str(draft_file(tmp_path)), "--as-user", "demo_central_governance").stdout
    code = out.split()[0]
    inst.custos("isa", "approve", code, "--as-user", "demo_iru", "--notes", "Within the guidance.")
    return code


def nominal(inst: CustosInstance, name: str, band: str = "red") -> dict[str, str]:
    """A banded nominal of the demo officer's BCU; its id and short reference."""
    return dict(
        query(
            inst,
            "import json\n"
            "from custos.accounts.models import User\n"
            "from custos.retention.tests.builders import a_nominal\n"
            "officer = User.objects.get(username='demo_officer')\n"
            "spoc = User.objects.get(username='demo_bcu_spoc')\n"
            f"p = a_nominal(officer, spoc, band={band!r}, name={name!r})\n"
            "print(json.dumps({'id': str(p.pk), 'short': p.short_ref}))",
        )
    )


def people_csv(tmp_path: Path, *refs: str, necessity: str = NECESSITY, name: str = "people.csv") -> Path:
    path = tmp_path / name
    lines = ["person_ref,necessity", *(f'{ref},"{necessity}"' for ref in refs)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def age_decrypt_cli(package: Path, tmp_path: Path) -> bytes:
    """Open a package as the recipient would: the Debian `age` command and their identity file."""
    age = shutil.which("age")
    if age is None:
        pytest.fail("the `age` command is missing: `make test` installs the Debian package 'age'")
    key = tmp_path / "recipient-key.txt"
    key.write_text(IDENTITY + "\n")
    out = tmp_path / "package.zip"
    subprocess.run([age, "--decrypt", "--identity", str(key), "--output", str(out), str(package)], check=True)
    return out.read_bytes()


# custos isa ------------------------------------------------------------------------------------------------------


def test_guidance_prints_the_rules(inst: CustosInstance) -> None:
    text = inst.custos("isa", "guidance").stdout
    assert text.startswith("Sharing guidance, version 1")
    for word in ("full_name", "intelligence", "low_risk", "intelligence_text", "victims"):
        assert word in text
    data = json.loads(inst.custos("isa", "guidance", "--json").stdout)
    assert data["version"] == 1
    assert "ethnicity" not in data["fields"]
    assert set(data["exceptions"]) == {"intelligence_text", "victims", "low_risk"}


def test_draft_approve_show_list_and_revoke(inst: CustosInstance, tmp_path: Path) -> None:
    drafted = inst.custos("isa", "draft", str(draft_file(tmp_path)), "--as-user", "demo_central_governance")
    code = drafted.stdout.split()[0]
    assert drafted.stdout.strip() == f"{code} drafted: Youth offending service referrals (awaiting the IRU's approval)"
    shown = json.loads(inst.custos("isa", "show", code, "--json").stdout)
    assert (shown["status"], shown["in_force"], shown["recipient_key"]) == ("draft", False, RECIPIENT)

    approved = inst.custos("isa", "approve", code, "--as-user", "demo_iru", "--notes", "Within the guidance.")
    assert approved.stdout.startswith(f"{code} approved; in force until ")
    listed = {a["code"]: a for a in json.loads(inst.custos("isa", "list", "--json").stdout)}
    assert (listed[code]["status"], listed[code]["approval_notes"]) == ("approved", "Within the guidance.")
    assert f"{code}  approved" in inst.custos("isa", "list").stdout
    assert "legal_basis: DPA 2018" in inst.custos("isa", "show", code).stdout

    line = refused(inst, "isa", "revoke", code, "--as-user", "demo_iru", "--reasons", "short")
    assert line == "CommandError: reasons: Give the reasons (at least 20 characters)."
    inst.custos("isa", "revoke", code, "--as-user", "demo_iru", "--reasons", "The recipient breached the terms.")
    assert json.loads(inst.custos("isa", "show", code, "--json").stdout)["status"] == "revoked"
    verbs = query(
        inst,
        "import json; from custos.audit.models import AuditEvent; "
        f"from custos.sharing.models import Agreement; a = Agreement.objects.get(code={code!r}); "
        "print(json.dumps([e.verb for e in AuditEvent.objects.filter(object_ref=a.ref).order_by('seq')]))",
    )
    assert verbs == ["isa.drafted", "isa.approved", "isa.revoked"]


def test_a_non_statutory_agreement_is_approved_only_with_its_exception(inst: CustosInstance, tmp_path: Path) -> None:
    path = draft_file(tmp_path, recipient_kind="non_statutory", bands=["red", "green"])
    code = inst.custos("isa", "draft", str(path), "--as-user", "demo_central_governance").stdout.split()[0]
    line = refused(inst, "isa", "approve", code, "--as-user", "demo_iru")
    assert line.startswith("CommandError: exception_low_risk: The guidance does not allow this")
    line = refused(inst, "isa", "approve", code, "--as-user", "demo_iru", "--exception", "low_risk")
    assert line.startswith("CommandError: --exception 'low_risk': write RULE=REASONS")
    reasons = "low_risk=Green-band people referred to the housing panel with consent."
    done = inst.custos("isa", "approve", code, "--as-user", "demo_iru", "--exception", reasons)
    assert f"{code} approved with exceptions: low_risk;" in done.stdout


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"fields": ["full_name", "ethnicity"]},
            "CommandError: fields: These fields cannot be shared: ethnicity.",
        ),
        (
            {"recipient_key": "age1notakey"},
            "CommandError: recipient_key: This is not a valid age public key: check it was copied whole.",
        ),
        (
            {"recipient_key": "AGE-SECRET-KEY-1QQQ"},
            "CommandError: recipient_key: This is an age secret key: ask the recipient for their public key "
            "(age1…), never the secret one.",
        ),
        ({"ethnicity": "all"}, "CommandError: agreement.json: an agreement has no such part: ethnicity"),
        ({"review_date": "soon"}, "CommandError: agreement.json: review_date 'soon' is not a date (YYYY-MM-DD)"),
        ({"review_date": "2020-01-01"}, "CommandError: review_date: The review date must be in the future."),
    ],
)
def test_a_draft_outside_the_rules_is_refused(
    inst: CustosInstance, tmp_path: Path, overrides: dict[str, Any], expected: str
) -> None:
    path = draft_file(tmp_path, **overrides)
    assert refused(inst, "isa", "draft", str(path), "--as-user", "demo_central_governance") == expected


@pytest.mark.parametrize("username", ["demo_officer", "demo_auditor", "demo_dpo", "demo_sysadmin"])
def test_only_the_iru_and_central_governance_draft(inst: CustosInstance, tmp_path: Path, username: str) -> None:
    line = refused(inst, "isa", "draft", str(draft_file(tmp_path)), "--as-user", username)
    assert line == "CommandError: Only the Information Rights Unit or central governance may draft agreements."


def test_the_drafter_cannot_approve_and_only_the_iru_approves(inst: CustosInstance, tmp_path: Path) -> None:
    code = inst.custos("isa", "draft", str(draft_file(tmp_path)), "--as-user", "demo_iru").stdout.split()[0]
    expected = (
        "CommandError: Only the Information Rights Unit may approve an agreement, and not the person who drafted it."
    )
    assert refused(inst, "isa", "approve", code, "--as-user", "demo_iru") == expected
    assert refused(inst, "isa", "approve", code, "--as-user", "demo_central_governance") == expected


def test_unknown_codes_and_users_are_named(inst: CustosInstance, tmp_path: Path) -> None:
    assert refused(inst, "isa", "show", "ISA-0999") == (
        "CommandError: ISA-0999: no such agreement (custos isa list shows them)"
    )
    assert refused(inst, "isa", "approve", "ISA-0999", "--as-user", "demo_iru") == (
        "CommandError: ISA-0999: no such agreement (custos isa list shows them)"
    )
    assert refused(inst, "isa", "draft", str(draft_file(tmp_path)), "--as-user", "nobody") == (
        "CommandError: no user named 'nobody'"
    )
    assert refused(inst, "isa", "draft", str(draft_file(tmp_path))) == (
        "CommandError: say who is acting: --as-user USERNAME"
    )
    people = people_csv(tmp_path, "P-00000000")
    line = refused(
        inst, "disclosure", "request", "--isa", "ISA-0999", "--purpose", PURPOSE, "--people", str(people),
        "--as-user", "demo_officer",
    )  # fmt: skip
    assert line == "CommandError: ISA-0999: no such agreement (custos isa list shows them)"


# custos disclosure -----------------------------------------------------------------------------------------------


def test_request_approve_package_and_open_it_with_age(inst: CustosInstance, tmp_path: Path) -> None:
    code = approved_agreement(inst, tmp_path)
    red = nominal(inst, "Tariq Okonkwo-Brennan", "red")
    amber = nominal(inst, "Siobhan Achterberg", "amber")
    people = people_csv(tmp_path, red["short"], f"person:{amber['id']}")
    asked = inst.custos(
        "disclosure", "request", "--isa", code, "--purpose", PURPOSE, "--people", str(people),
        "--as-user", "demo_officer", "--json",
    )  # fmt: skip
    made = json.loads(asked.stdout)
    ref = made["reference"]
    assert (made["status"], made["people_count"], made["agreement"]) == ("pending", 2, code)
    assert all(check["passed"] for check in made["checks"])
    assert "Okonkwo" not in asked.stdout + asked.stderr

    line = refused(inst, "disclosure", "approve", ref, "--as-user", "demo_officer", "--reasons", "Mine.")
    assert line.startswith("CommandError: You may not decide this disclosure:")
    assert "never the person who asked" in line
    assert refused(
        inst, "disclosure", "package", ref, "--out", str(tmp_path / "early.age"), "--as-user", "demo_officer"
    ) == ("CommandError: There is no package: the disclosure was not approved.")
    assert not (tmp_path / "early.age").exists()

    listed = inst.custos("disclosure", "list", "--as-user", "demo_officer")
    assert f"{ref}  {code}  Awaiting approval" in listed.stdout
    assert "Okonkwo" not in listed.stdout

    approved = inst.custos("disclosure", "approve", ref, "--as-user", "demo_iru", "--reasons", "Necessary; checked.")
    assert approved.stdout.startswith(f"{ref} approved: package of ")
    out = tmp_path / "package.age"
    written = inst.custos("disclosure", "package", ref, "--out", str(out), "--as-user", "demo_officer")
    assert written.stdout.startswith(f"{ref}: package written to {out}")
    assert out.stat().st_mode & 0o077 == 0
    assert out.read_bytes().startswith(b"age-encryption.org/v1")
    line = refused(inst, "disclosure", "package", ref, "--out", str(out), "--as-user", "demo_officer")
    assert line == f"CommandError: {out}: already exists; choose a new file"

    verbs = query(
        inst,
        "import json; from custos.audit.models import AuditEvent; "
        f"print(json.dumps([[e.verb, e.actor_username] for e in AuditEvent.objects.filter("
        f"object_ref='disclosure:{made['id']}').order_by('seq')]))",
    )
    assert verbs == [
        ["disclosure.requested", "demo_officer"],
        ["disclosure.made", "demo_iru"],
        ["package.downloaded", "demo_officer"],
    ]
    archive = zipfile.ZipFile(io.BytesIO(age_decrypt_cli(out, tmp_path)))
    document = json.loads(archive.read("disclosure.json"))
    assert document["disclosure"] == ref
    assert document["purpose"] == PURPOSE
    assert document["agreement"]["code"] == code
    assert document["agreement"]["recipient"] == "Hackney Youth Offending Service"
    assert document["fields"] == ["reference", "full_name", "date_of_birth", "postcode", "band", "categories"]
    by_ref = {p["reference"]: p for p in document["people"]}
    assert by_ref[red["short"]]["full_name"] == "Tariq Okonkwo-Brennan"
    assert by_ref[red["short"]]["band"] == "red"
    assert by_ref[amber["short"]]["band"] == "amber"
    for record in document["people"]:
        assert set(record) == {"watermark", *document["fields"]}
    assert json.loads(inst.custos("disclosure", "list", "--as-user", "demo_iru", "--json").stdout)[0]["status"] == (
        "disclosed"
    )


def test_an_expired_agreement_refuses_a_request(inst: CustosInstance, tmp_path: Path) -> None:
    code = approved_agreement(inst, tmp_path)
    person = nominal(inst, "Expired Agreement Person")
    past = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    inst.custos(
        "shell", "-v", "0", "-c",
        "import datetime as dt; from custos.sharing.models import Agreement; "
        f"Agreement.objects.filter(code={code!r}).update(review_date=dt.date.fromisoformat({past!r}))",
    )  # fmt: skip
    line = refused(
        inst, "disclosure", "request", "--isa", code, "--purpose", PURPOSE, "--people",
        str(people_csv(tmp_path, person["short"])), "--as-user", "demo_officer",
    )  # fmt: skip
    assert line == f"CommandError: {code} expired on {past}: nothing can be shared under it."


def test_bad_requests_are_refused_naming_the_problem(inst: CustosInstance, tmp_path: Path) -> None:
    code = approved_agreement(inst, tmp_path)
    red = nominal(inst, "Refused Request Person")
    green = nominal(inst, "Green Band Person", "green")

    def request(people: Path, user: str = "demo_officer", purpose: str = PURPOSE) -> str:
        return refused(
            inst, "disclosure", "request", "--isa", code, "--purpose", purpose, "--people", str(people),
            "--as-user", user,
        )  # fmt: skip

    assert request(people_csv(tmp_path, red["short"]), user="demo_auditor") == (
        "CommandError: Your role may not ask for disclosures."
    )
    assert request(people_csv(tmp_path, red["short"]), user="demo_iru") == (
        "CommandError: Your role may not ask for disclosures."
    )
    assert request(people_csv(tmp_path, green["short"])) == (
        f"CommandError: people: {green['short']}: band green is not covered by the agreement"
    )
    assert request(people_csv(tmp_path, red["short"], necessity="needed")) == (
        f"CommandError: people: {red['short']}: say why sharing is necessary for this person (at least 20 characters)"
    )
    assert request(people_csv(tmp_path, "P-00000000", red["short"], "nonsense")) == (
        "CommandError: people.csv: line 2: P-00000000: no person you may see; line 4: nonsense is not a person "
        "reference (P-1A2B3C4D); nothing requested"
    )
    assert request(people_csv(tmp_path, red["short"]), purpose="because") == (
        "CommandError: purpose: Declare the purpose: a reference and a reason, like 'OP-1234: safeguarding referral'."
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("reference,why\nP-00000000,x\n", encoding="utf-8")
    assert (
        request(bad)
        == "CommandError: bad.csv: missing column(s) person_ref, necessity (columns: person_ref, necessity)"
    )


def test_a_person_out_of_reach_is_named_as_unknown(inst: CustosInstance, tmp_path: Path) -> None:
    code = approved_agreement(inst, tmp_path)
    person = nominal(inst, "Other BCU Person")
    other = query(
        inst,
        "import json, datetime as dt\n"
        "from custos.accounts.models import Course, Role, TrainingRecord, User\n"
        "from custos.register.models import BCU\n"
        "mine = User.objects.get(username='demo_officer').bcu_code\n"
        "bcu = BCU.objects.exclude(code=mine).order_by('code').first()\n"
        "o = User.objects.create(username='other_bcu_officer', role=Role.OFFICER, bcu_code=bcu.code)\n"
        "done = dt.date.today() - dt.timedelta(days=30)\n"
        "for course in Course:\n"
        "    TrainingRecord.objects.create(user=o, course=course, completed_on=done,\n"
        "        expires_on=done + dt.timedelta(days=365), evidence_reference='LMS test certificate')\n"
        "print(json.dumps(o.username))",
    )
    line = refused(
        inst, "disclosure", "request", "--isa", code, "--purpose", PURPOSE, "--people",
        str(people_csv(tmp_path, person["short"])), "--as-user", other,
    )  # fmt: skip
    assert line == f"CommandError: people.csv: line 2: {person['short']}: no person you may see; nothing requested"
    assert refused(inst, "disclosure", "approve", "D-00000000", "--as-user", "demo_iru") == (
        "CommandError: D-00000000: no such disclosure you may see"
    )
