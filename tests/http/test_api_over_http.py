"""The API over real HTTP, against ``custos runserver`` with its own data.

A token is issued the way an operator would (``custos api_token``); the
calls are plain ``urllib`` requests, as any client would make them.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.server import CustosInstance


@pytest.fixture(scope="module")
def token(server: CustosInstance) -> str:
    result = server.custos("api_token", "demo_officer", "--label", "over-http tests")
    assert "shown once" in result.stderr
    return result.stdout.strip()


#: The purpose every call declares unless told otherwise (``X-Custos-Purpose`` is required on personal data).
PURPOSE = "OP-HTTP: over-HTTP tests"


def call(
    server: CustosInstance,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: Any = None,
    purpose: str | None = PURPOSE,
) -> tuple[int, Any, dict[str, str]]:
    """One request; returns status, decoded JSON body and headers."""
    headers = {"Accept": "application/json"}
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
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None, dict(error.headers)


def test_without_a_token_the_api_answers_401(server: CustosInstance) -> None:
    status, body, headers = call(server, "GET", "/api/v1/people/")
    assert status == 401
    assert "detail" in body
    assert headers["WWW-Authenticate"].startswith("Bearer")


def test_a_made_up_token_is_refused(server: CustosInstance) -> None:
    status, _, _ = call(server, "GET", "/api/v1/people/", token="cst_" + uuid.uuid4().hex)
    assert status == 401


def test_an_unknown_record_answers_404(server: CustosInstance, token: str) -> None:
    for path in ("people", "intelligence", "nominals"):
        status, body, _ = call(server, "GET", f"/api/v1/{path}/{uuid.uuid4()}/", token=token)
        assert status == 404
        assert "detail" in body


def test_record_a_person_add_intelligence_and_read_them_back(server: CustosInstance, token: str) -> None:
    person_body = {"bcu": "central-east", "full_name": "Robin Synthetic", "date_of_birth": "2002-03-04"}
    status, person, headers = call(
        server, "POST", "/api/v1/people/", token=token, body=person_body, purpose="Over-HTTP test"
    )
    assert status == 201, person
    assert headers["Location"] == f"/api/v1/people/{person['id']}/"

    occurred = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=10)).isoformat()
    item_body = {
        "person": person["id"],
        "category": "suspected_offender",
        "occurred_on": occurred,
        "source_type": "police",
        "source_reference": "CAD 555",
        "source_grade": "1",
        "intel_grade": "B",
        "handling": "P",
        "nature": "fact",
        "criterion": "weapon_knife",
        "summary": "Stopped with a knife on the high street",
    }
    status, item, _ = call(server, "POST", "/api/v1/intelligence/", token=token, body=item_body)
    assert status == 201, item
    assert item["grade"] == "1BP"
    assert item["nature"] == "fact"

    status, listed, _ = call(server, "GET", "/api/v1/people/?limit=100", token=token)
    assert status == 200
    assert person["id"] in {row["id"] for row in listed["results"]}

    status, read, _ = call(server, "GET", f"/api/v1/people/{person['id']}/", token=token)
    assert status == 200
    assert read["full_name"] == "Robin Synthetic"
    assert read["categories"] == ["suspected_offender"]
    assert read["score"]["counted"][0]["item"] == item["id"]

    status, items, _ = call(server, "GET", f"/api/v1/intelligence/?person={person['id']}", token=token)
    assert status == 200
    assert [row["id"] for row in items["results"]] == [item["id"]]

    status, one, _ = call(server, "GET", f"/api/v1/intelligence/{item['id']}/", token=token)
    assert status == 200
    assert one["summary"] == "Stopped with a knife on the high street"

    status, matrix, _ = call(server, "GET", "/api/v1/nominals/", token=token)
    assert status == 200
    assert "results" in matrix


def test_without_a_purpose_personal_data_answers_400(server: CustosInstance, token: str) -> None:
    for path in ("/api/v1/people/", "/api/v1/nominals/", "/api/v1/intelligence/", f"/api/v1/people/{uuid.uuid4()}/"):
        status, body, _ = call(server, "GET", path, token=token, purpose=None)
        assert status == 400, path
        assert "X-Custos-Purpose" in body["purpose"][0]


def test_the_declared_purpose_is_recorded_on_the_consultation(server: CustosInstance, token: str) -> None:
    status, _, _ = call(server, "GET", "/api/v1/people/?limit=1", token=token, purpose="OP-7788: weekly tasking review")
    assert status == 200
    code = (
        "from custos.audit.models import AuditEvent; "
        "print(AuditEvent.objects.filter(verb='people.listed').order_by('seq').last().purpose)"
    )
    assert server.custos("shell", "-v", "0", "-c", code).stdout.strip() == "OP-7788: weekly tasking review"


def test_invalid_input_answers_400_with_field_errors(server: CustosInstance, token: str) -> None:
    status, body, _ = call(server, "POST", "/api/v1/people/", token=token, body={"bcu": "central-east"})
    assert status == 400
    assert "full_name" in body


def test_the_schema_is_served_to_a_token_holder(server: CustosInstance, token: str) -> None:
    status, schema, _ = call(server, "GET", "/api/v1/openapi.json", token=token)
    assert status == 200
    assert "/api/v1/people/" in schema["paths"]
    assert call(server, "GET", "/api/v1/openapi.json")[0] == 401


def test_a_revoked_token_stops_working(server: CustosInstance) -> None:
    fresh = server.custos("api_token", "demo_officer", "--label", "to revoke").stdout.strip()
    assert call(server, "GET", "/api/v1/people/", token=fresh)[0] == 200
    listing = server.custos("api_token", "demo_officer", "--list").stdout
    assert fresh[:10] in listing
    assert fresh not in listing
    server.custos("api_token", "demo_officer", "--revoke", fresh[:10])
    assert call(server, "GET", "/api/v1/people/", token=fresh)[0] == 401


def test_a_leaver_from_hr_loses_the_api_at_once(server: CustosInstance, tmp_path: Any) -> None:
    leaver_token = server.custos("api_token", "demo_iru", "--label", "leaver").stdout.strip()
    assert call(server, "GET", "/api/v1/people/?limit=1", token=leaver_token)[0] == 200
    hr = tmp_path / "leavers.csv"
    hr.write_text("username,event,effective_date\ndemo_iru,leaver,2026-11-30\n", encoding="utf-8")
    assert "leavers suspended: 1 (demo_iru)" in server.custos("import_hr", str(hr)).stdout
    assert call(server, "GET", "/api/v1/people/?limit=1", token=leaver_token)[0] == 401


def test_the_command_fails_cleanly_for_an_unknown_user(server: CustosInstance) -> None:
    result = server.custos("api_token", "nobody", check=False)
    assert result.returncode != 0
    assert "no user 'nobody'" in result.stderr
    assert "Traceback" not in result.stderr
