"""The sharing API over real HTTP, against ``custos runserver`` with its own data.

Tokens are issued as an operator would (``custos api_token``); calls are
plain ``urllib`` requests. The package is opened with the Debian ``age``
command and the recipient's identity file, exactly as a recipient would.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from custos.crypto.age import age_identity_new
from tests.server import CustosInstance

IDENTITY, RECIPIENT = age_identity_new()
PURPOSE = "OP-2207: referral to the youth offending service"
NECESSITY = "Open referral: the service must assess risk before the panel on Friday."
FIELDS = ["reference", "full_name", "date_of_birth", "postcode", "band", "categories"]


def token_of(server: CustosInstance, username: str) -> str:
    return server.custos("api_token", username, "--label", "sharing over HTTP").stdout.strip()


def call(
    server: CustosInstance,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    purpose: str | None = "OP-HTTP: sharing over HTTP",
) -> tuple[int, bytes, dict[str, str]]:
    """One request; returns status, raw body and headers."""
    headers = {"Accept": "application/json, application/octet-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if purpose:
        headers["X-Custos-Purpose"] = purpose
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(server.url + path, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback only
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def call_json(server: CustosInstance, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
    status, raw, _ = call(server, method, path, **kwargs)
    return status, json.loads(raw or b"null")


def shell(server: CustosInstance, code: str) -> Any:
    return json.loads(server.custos("shell", "-v", "0", "-c", code).stdout.strip().splitlines()[-1])


def nominal(server: CustosInstance, name: str, band: str) -> dict[str, str]:
    return dict(
        shell(
            server,
            "import json\n"
            "from custos.accounts.models import User\n"
            "from custos.retention.tests.builders import a_nominal\n"
            "officer = User.objects.get(username='demo_officer')\n"
            "spoc = User.objects.get(username='demo_bcu_spoc')\n"
            f"p = a_nominal(officer, spoc, band={band!r}, name={name!r})\n"
            "print(json.dumps({'id': str(p.pk), 'short': p.short_ref, 'dob': str(p.date_of_birth or ''), "
            "'bcu': p.bcu.code}))",
        )
    )


def agreement_body() -> dict[str, Any]:
    return {
        "title": "Youth offending service referrals",
        "recipient_name": "Hackney Youth Offending Service",
        "recipient_kind": "statutory",
        "parties": ["Metropolitan Police Service", "London Borough of Hackney"],
        "legal_basis": "DPA 2018 s.35(2)(b) and s.31; Crime and Disorder Act 1998 s.115",
        "purpose": "Assessment and support of young people referred by the police.",
        "fields": FIELDS,
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


def age_decrypt_cli(ciphertext: bytes, tmp_path: Path) -> bytes:
    age = shutil.which("age")
    if age is None:
        pytest.fail("the `age` command is missing: `make test` installs the Debian package 'age'")
    key = tmp_path / "recipient-key.txt"
    key.write_text(IDENTITY + "\n")
    package = tmp_path / "package.age"
    package.write_bytes(ciphertext)
    out = tmp_path / "package.zip"
    subprocess.run([age, "--decrypt", "--identity", str(key), "--output", str(out), str(package)], check=True)
    return out.read_bytes()


def test_the_sharing_api_needs_a_token_except_for_the_recipient(server: CustosInstance) -> None:
    for path in ("/api/v1/sharing/agreements/", "/api/v1/sharing/disclosures/"):
        status, _, headers = call(server, "GET", path)
        assert status == 401
        assert headers["WWW-Authenticate"].startswith("Bearer")
    status, body = call_json(
        server,
        "POST",
        "/api/v1/sharing/destruction/",
        body={"reference": "D-00000000", "code": "x", "confirmed_by": "Me"},
    )
    assert status == 400
    assert "reference or the code is not right" in body["code"][0]


def test_draft_approve_request_approve_download_open_and_destroy(server: CustosInstance, tmp_path: Path) -> None:
    central, iru, officer = (token_of(server, u) for u in ("demo_central_governance", "demo_iru", "demo_officer"))

    status, drafted = call_json(server, "POST", "/api/v1/sharing/agreements/", token=central, body=agreement_body())
    assert status == 201, drafted
    assert drafted["status"] == "draft"
    status, refused = call_json(
        server, "POST", f"/api/v1/sharing/agreements/{drafted['id']}/approve/", token=central, body={}
    )
    assert status == 403
    assert "Only the Information Rights Unit" in refused["detail"]
    status, approved = call_json(
        server, "POST", f"/api/v1/sharing/agreements/{drafted['id']}/approve/", token=iru, body={"notes": "Fine."}
    )
    assert status == 200, approved
    assert approved["in_force"] is True
    status, listed = call_json(server, "GET", "/api/v1/sharing/agreements/", token=officer)
    assert status == 200
    assert drafted["id"] in {a["id"] for a in listed["results"]}

    red = nominal(server, "Tariq Okonkwo-Brennan", "red")
    amber = nominal(server, "Siobhan Achterberg", "amber")
    request_body = {
        "agreement": drafted["id"],
        "purpose": PURPOSE,
        "people": [{"person": red["id"], "necessity": NECESSITY}, {"person": amber["id"], "necessity": NECESSITY}],
    }
    status, unknown = call_json(
        server,
        "POST",
        "/api/v1/sharing/disclosures/",
        token=officer,
        body={**request_body, "agreement": str(uuid.uuid4())},
    )
    assert (status, unknown) == (404, {"detail": "No such agreement."})
    status, made = call_json(server, "POST", "/api/v1/sharing/disclosures/", token=officer, body=request_body)
    assert status == 201, made
    assert (made["status"], made["people_count"]) == ("pending", 2)
    disclosure = f"/api/v1/sharing/disclosures/{made['id']}/"

    status, own = call_json(server, "POST", disclosure + "approve/", token=officer, body={"reasons": "Mine."})
    assert status == 403
    assert "never the person who asked" in own["detail"]
    status, done = call_json(
        server, "POST", disclosure + "approve/", token=iru, body={"reasons": "Necessary for the panel; checked."}
    )
    assert status == 200, done
    assert done["status"] == "disclosed"

    status, read = call_json(server, "GET", disclosure, token=officer, purpose="OP-77: checking what went")
    assert status == 200
    assert {p["reference"] for p in read["people"]} == {red["short"], amber["short"]}
    assert {p["necessity"] for p in read["people"]} == {NECESSITY}
    consulted = shell(
        server,
        "import json; from custos.audit.models import AuditEvent as E; "
        "e = E.objects.filter(verb='disclosure.consulted').order_by('seq').last(); "
        "print(json.dumps([e.purpose, sorted(e.targets), e.actor_username]))",
    )
    assert consulted == [
        "OP-77: checking what went",
        sorted([f"person:{red['id']}", f"person:{amber['id']}"]),
        "demo_officer",
    ]

    status, ciphertext, headers = call(server, "GET", disclosure + "package", token=officer)
    assert status == 200
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"] == f'attachment; filename="{made["reference"]}.age"'
    assert ciphertext.startswith(b"age-encryption.org/v1")
    assert b"Okonkwo" not in ciphertext

    archive = zipfile.ZipFile(io.BytesIO(age_decrypt_cli(ciphertext, tmp_path)))
    assert {"README.txt", "disclosure.json", "people.csv"} <= set(archive.namelist())
    document = json.loads(archive.read("disclosure.json"))
    assert document["disclosure"] == made["reference"]
    assert document["purpose"] == PURPOSE
    assert document["fields"] == FIELDS
    assert document["destruction"]["page"] == server.url + "/sharing/destroyed/"
    assert document["agreement"]["code"] == approved["code"]
    assert document["agreement"]["recipient"] == "Hackney Youth Offending Service"
    assert document["agreement"]["legal_basis"] == agreement_body()["legal_basis"]
    assert document["agreement"]["onward_sharing"] == agreement_body()["onward_sharing"]
    assert document["agreement"]["retention"] == "30 days. Destroy after the panel decision."
    assert document["people_count"] == len(document["people"])
    by_ref = {p["reference"]: p for p in document["people"]}
    for person, name, band in ((red, "Tariq Okonkwo-Brennan", "red"), (amber, "Siobhan Achterberg", "amber")):
        record = by_ref[person["short"]]
        assert set(record) == {"watermark", *FIELDS}
        assert record["full_name"] == name
        assert record["band"] == band
        assert record["date_of_birth"] == person["dob"]
        assert record["categories"] == ["suspected_offender"]
        assert record["watermark"] == document["watermark"]

    confirmation = {
        "reference": made["reference"],
        "code": document["destruction"]["code"],
        "confirmed_by": "B. Signer, Head of Youth Justice",
    }
    status, wrong = call_json(
        server, "POST", "/api/v1/sharing/destruction/", body={**confirmation, "code": "not-the-code"}
    )
    assert status == 400
    status, destroyed = call_json(server, "POST", "/api/v1/sharing/destruction/", body=confirmation)
    assert status == 200, destroyed
    assert destroyed["reference"] == made["reference"]
    status, gone = call_json(server, "GET", disclosure + "package", token=officer)
    assert (status, gone) == (400, {"detail": "The recipient has confirmed this package destroyed."})


def test_bad_input_is_refused_with_field_messages(server: CustosInstance) -> None:
    central = token_of(server, "demo_central_governance")
    officer = token_of(server, "demo_officer")
    count = (
        "import json; from custos.sharing.models import Agreement; from custos.audit.models import AuditEvent; "
        "print(json.dumps([Agreement.objects.count(), AuditEvent.objects.filter(verb='isa.drafted').count()]))"
    )
    before = shell(server, count)
    for overrides, field, message in (
        ({"fields": ["full_name", "ethnicity"]}, "fields", "These fields cannot be shared: ethnicity."),
        ({"recipient_key": "age1notakey"}, "recipient_key", "This is not a valid age public key"),
    ):
        status, body = call_json(
            server, "POST", "/api/v1/sharing/agreements/", token=central, body={**agreement_body(), **overrides}
        )
        assert status == 400
        assert message in body[field][0]
    status, body = call_json(server, "POST", "/api/v1/sharing/agreements/", token=officer, body=agreement_body())
    assert status == 403
    assert "may draft agreements" in body["detail"]
    assert shell(server, count) == before
