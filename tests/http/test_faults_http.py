"""Fault injection over HTTP (issue 8): the database going away, the key provider unavailable, a full disk on export.

Against a real server (``tests.server.serve``) with its own data, as a user
meets each fault: a signed-in browser session (password, authenticator code,
declared purpose) and an API token. For each fault the answer is a clear
refusal with status 503 that shows no personal data and no traceback (in the
response or the server's log); nothing is half-written (rows and audit events
are counted before and after); the audit chain still verifies; and once the
fault is gone the same request works.

The database is made to go away in the middle of a request deterministically:
an admin session holds a lock the request needs, the request waits on it
(seen in ``pg_stat_activity``), and its backend is terminated. On SQLite the
equivalent is the file held by another writer beyond the busy timeout
(``CUSTOS_DB_BUSY_TIMEOUT``, 1 s here). The server keeps its database
connection between requests (``CUSTOS_DB_CONN_MAX_AGE``), so a connection
dropped between requests is the health check's to replace.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.parse
from base64 import b32decode
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django_otp.oath import TOTP

from custos.audit.services import UNAVAILABLE_MESSAGE
from custos.web.fail_closed import DATABASE_UNAVAILABLE_MESSAGE
from tests.cli.test_faults import full_disk, key_file_gone, sqlite_write_locked, table_counts
from tests.server import DEMO_PASSWORD, DEMO_TOTP_SECRET, CustosInstance, custos_instance, serve

PURPOSE = "OP-FAULT: fault injection tests"
#: A person recorded through the API before the faults; their name must never appear in a refusal or a log.
NAME = "Faultina Keysworth"
COUNTS = {
    "people": "SELECT count(*) FROM register_person",
    "events": "SELECT count(*) FROM audit_auditevent",
    "data_keys": "SELECT count(*) FROM crypto_datakey",
    "exports": "SELECT count(*) FROM dlp_export",
    "canaries": "SELECT count(*) FROM dlp_canary",
    "canary_fingerprints": "SELECT count(*) FROM dlp_canaryfingerprint",
    "fingerprints": "SELECT count(*) FROM dlp_fingerprint",
    "export_events": "SELECT count(*) FROM audit_auditevent WHERE verb = 'export.created'",
}


def _postgres(inst: CustosInstance) -> bool:
    return inst.database_url.startswith(("postgres://", "postgresql://"))


# -- a browser without a browser: cookies, CSRF tokens, forms ---------------------------------------------------


class Session:
    """A signed-in web session over plain HTTP (the pages' own forms; no redirects followed)."""

    def __init__(self, inst: CustosInstance) -> None:
        parts = urllib.parse.urlsplit(inst.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, form: dict[str, str] | list[tuple[str, str]] | None = None
    ) -> tuple[int, str, dict[str, str]]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            fields = list(form.items()) if isinstance(form, dict) else form
            body = urllib.parse.urlencode([("csrfmiddlewaretoken", self.cookies.get("csrftoken", "")), *fields])
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response.status, text, dict(response.headers)

    def csrf_form(self, path: str, form: dict[str, str] | list[tuple[str, str]]) -> tuple[int, str, dict[str, str]]:
        """GET the page (for its CSRF cookie), then POST the form to it."""
        status, _, _ = self.request("GET", path)
        assert status == 200, (path, status)
        return self.request("POST", path, form)


def _code(username: str, used: dict[str, int]) -> str:
    """A TOTP code the server has not seen for this user (it refuses a code twice)."""
    while True:
        now = time.time()
        step = max(int(now // 30), used.get(username, -1) + 1)
        if step <= int(now // 30) + 1:
            break
        time.sleep(30 - now % 30 + 0.2)
    used[username] = step
    secret = b32decode(DEMO_TOTP_SECRET + "=" * (-len(DEMO_TOTP_SECRET) % 8))
    generator = TOTP(secret, step=30, t0=0, digits=6)
    generator.time = step * 30
    return f"{generator.token():06d}"


def sign_in(inst: CustosInstance, username: str, used: dict[str, int]) -> Session:
    session = Session(inst)
    status, _, headers = session.csrf_form("/sign-in/", {"username": username, "password": DEMO_PASSWORD})
    assert status == 302, status
    status, _, headers = session.csrf_form("/account/mfa/verify/", {"code": _code(username, used)})
    assert status == 302, status
    status, _, _ = session.csrf_form("/purpose/", {"reference": "OP-FAULT", "reason": "Fault injection tests"})
    assert status == 302, status
    return session


# -- the instance ------------------------------------------------------------------------------------------------


class Faulty:
    """The running server, a central governance user's web session, an officer's API token, and a person."""

    def __init__(self, inst: CustosInstance, web: Session, token: str, person_id: str) -> None:
        self.inst, self.web, self.token, self.person_id = inst, web, token, person_id

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        connection = http.client.HTTPConnection(self.web.host, self.web.port, timeout=60)
        headers = {"Authorization": f"Bearer {self.token}", "X-Custos-Purpose": PURPOSE, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            connection.request(method, path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        return response.status, json.loads(raw) if raw else None

    def counts(self) -> dict[str, int]:
        return table_counts(self.inst, COUNTS)

    def log(self) -> str:
        return (self.inst.data_dir / "server.log").read_text(errors="replace")

    def chain_verifies(self) -> None:
        assert "audit chain intact" in self.inst.custos("audit_verify").stdout


@pytest.fixture(scope="module")
def faulty() -> Iterator[Faulty]:
    with custos_instance() as inst:
        inst.custos("seed_demo", "--people", "8", "--seed", "5", "--no-progress")
        # Refuse a locked database after 1 s (SQLite) and keep connections between requests (health-checked).
        inst.env |= {"CUSTOS_DB_BUSY_TIMEOUT": "1", "CUSTOS_DB_CONN_MAX_AGE": "600"}
        (inst.data_dir / "exports").mkdir(mode=0o700, exist_ok=True)  # `custos init` makes it
        serve(inst)
        token = inst.custos("api_token", "demo_officer", "--label", "fault tests").stdout.strip()
        web = sign_in(inst, "demo_central_governance", {})
        state = Faulty(inst, web, token, "")
        status, person = state.api("POST", "/api/v1/people/", {"bcu": "central-east", "full_name": NAME})
        assert status == 201, person
        state.person_id = person["id"]
        yield state


def assert_clean_refusal(status: int, body: str, expected: str, faulty: Faulty) -> None:
    assert status == 503, body[:2000]
    assert expected in body
    for leak in (NAME, "Traceback", 'File "'):
        assert leak not in body
    log = faulty.log()
    assert "Traceback" not in log
    assert NAME not in log


# -- the key provider -------------------------------------------------------------------------------------------


def test_without_the_key_provider_pages_and_the_api_answer_503_and_write_nothing(faulty: Faulty) -> None:
    person_page = f"/people/{faulty.person_id}/"
    status, body, _ = faulty.web.request("GET", person_page)
    assert status == 200
    assert NAME in body  # the page works while the key is there
    before = faulty.counts()
    with key_file_gone(faulty.inst):
        status, body, headers = faulty.web.request("GET", person_page)
        assert_clean_refusal(status, body, 'id="keys-unavailable"', faulty)
        assert headers["Retry-After"] == "60"
        # answered before the middlewares that set them: the security headers are there all the same
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Frame-Options"] == "DENY"
        status, body, _ = faulty.web.request(
            "POST", "/people/add/", {"bcu": "1", "full_name": "Never Written", "reason": "fault injection"}
        )
        assert_clean_refusal(status, body, "encryption keys", faulty)
        status, answer = faulty.api("GET", f"/api/v1/people/{faulty.person_id}/")
        assert status == 503, answer
        assert "encryption keys" in answer["detail"], answer
        status, answer = faulty.api("POST", "/api/v1/people/", {"bcu": "central-east", "full_name": "Never Written"})
        assert status == 503, answer
        assert "encryption keys" in answer["detail"], answer
        assert faulty.counts() == before  # nothing read, logged or written
    assert "key provider unavailable: refused GET /people/" in faulty.log()
    status, body, _ = faulty.web.request("GET", person_page)
    assert status == 200
    assert NAME in body  # back once the key is
    faulty.chain_verifies()


# -- the database going away ------------------------------------------------------------------------------------


def _pg(inst: CustosInstance) -> Any:
    import psycopg

    return psycopg.connect(inst.database_url, autocommit=True)


def _dbname(inst: CustosInstance) -> str:
    return urllib.parse.urlsplit(inst.database_url).path.lstrip("/")


@contextmanager
def _in_thread(call: Any) -> Iterator[dict[str, Any]]:
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(answer=call()), daemon=True)
    thread.start()
    try:
        yield result
    finally:
        thread.join(timeout=120)
    assert not thread.is_alive()


def _terminate_when_waiting(inst: CustosInstance, admin: Any, *, wrote: bool) -> None:
    """Wait until the server's backend waits on our lock (having written, if ``wrote``), then terminate it."""
    query = (
        "SELECT pid, backend_xid IS NOT NULL FROM pg_stat_activity "
        "WHERE datname = %s AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + 60
    with _pg(inst) as watcher:
        while True:
            row = watcher.execute(query, (_dbname(inst),)).fetchone()
            if row is not None:
                break
            assert time.monotonic() < deadline, "the request never waited on the lock"
            time.sleep(0.05)
        pid, has_written = row
        assert has_written == wrote, "the request's transaction had not written yet" if wrote else "it had written"
        assert watcher.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


def test_postgres_a_write_whose_connection_is_killed_mid_transaction_is_all_or_nothing(faulty: Faulty) -> None:
    if not _postgres(faulty.inst):
        pytest.skip("PostgreSQL only (SQLite: the locked-file test)")
    before = faulty.counts()
    with _pg(faulty.inst) as admin:
        admin.execute("BEGIN")
        # The event table is the last a change writes (after the person and their data key): the request
        # inserts those, then waits here, inside its transaction.
        admin.execute("LOCK TABLE audit_auditevent IN ACCESS EXCLUSIVE MODE")
        try:
            body = {"bcu": "central-east", "full_name": "Half Written"}
            with _in_thread(lambda: faulty.api("POST", "/api/v1/people/", body)) as result:
                _terminate_when_waiting(faulty.inst, admin, wrote=True)
        finally:
            admin.execute("ROLLBACK")
    status, answer = result["answer"]
    assert status == 503, answer
    # The connection died while the event was being written, which the API reports as the log being unavailable.
    assert answer["detail"] in {DATABASE_UNAVAILABLE_MESSAGE, UNAVAILABLE_MESSAGE}, answer
    assert faulty.counts() == before  # no person, no data key, no event
    assert "Traceback" not in faulty.log()
    assert "Half Written" not in faulty.log()
    status, person = faulty.api("POST", "/api/v1/people/", {"bcu": "central-east", "full_name": "Whole Written"})
    assert status == 201, person  # the next request has a new connection
    after = faulty.counts()
    assert after["people"] == before["people"] + 1
    faulty.chain_verifies()


def test_postgres_a_page_whose_connection_is_killed_mid_read_answers_503_then_recovers(faulty: Faulty) -> None:
    if not _postgres(faulty.inst):
        pytest.skip("PostgreSQL only (SQLite: the locked-file test)")
    page = f"/people/{faulty.person_id}/"
    with _pg(faulty.inst) as admin:
        admin.execute("BEGIN")
        admin.execute("LOCK TABLE register_person IN ACCESS EXCLUSIVE MODE")  # even a read of a person waits
        try:
            with _in_thread(lambda: faulty.web.request("GET", page)) as result:
                _terminate_when_waiting(faulty.inst, admin, wrote=False)
        finally:
            admin.execute("ROLLBACK")
    status, body, _ = result["answer"]
    assert_clean_refusal(status, body, 'id="database-unavailable"', faulty)
    assert "database unavailable: refused GET /people/" in faulty.log()
    status, body, _ = faulty.web.request("GET", page)
    assert status == 200
    assert NAME in body
    faulty.chain_verifies()


def test_postgres_a_connection_dropped_between_requests_is_replaced(faulty: Faulty) -> None:
    if not _postgres(faulty.inst):
        pytest.skip("PostgreSQL only")
    status, _ = faulty.api("GET", f"/api/v1/people/{faulty.person_id}/")
    assert status == 200
    with _pg(faulty.inst) as admin:
        killed = admin.execute(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()) AS t",
            (_dbname(faulty.inst),),
        ).fetchone()
    assert killed is not None
    assert killed[0] >= 1  # the server's kept connection
    status, person = faulty.api("GET", f"/api/v1/people/{faulty.person_id}/")
    assert status == 200, person  # the health check found it dead and opened another
    assert person["full_name"] == NAME


def test_sqlite_a_database_locked_beyond_the_busy_timeout_refuses_with_503_and_writes_nothing(faulty: Faulty) -> None:
    if _postgres(faulty.inst):
        pytest.skip("SQLite only (PostgreSQL: the terminated-connection tests)")
    before = faulty.counts()
    with sqlite_write_locked(faulty.inst):
        status, answer = faulty.api("POST", "/api/v1/people/", {"bcu": "central-east", "full_name": "Half Written"})
        assert status == 503, answer
        assert "database is unavailable" in answer["detail"]
        status, body, _ = faulty.web.request("GET", f"/people/{faulty.person_id}/")  # the consultation is a write
        assert_clean_refusal(status, body, 'id="database-unavailable"', faulty)
    assert faulty.counts() == before
    assert "Half Written" not in faulty.log()
    status, person = faulty.api("POST", "/api/v1/people/", {"bcu": "central-east", "full_name": "Whole Written"})
    assert status == 201, person
    status, body, _ = faulty.web.request("GET", f"/people/{faulty.person_id}/")
    assert status == 200
    assert NAME in body
    faulty.chain_verifies()


# -- a full disk on export --------------------------------------------------------------------------------------


EXPORT_FORM = [
    ("purpose", "OP-FAULT: export to a full disk"),
    ("fmt", "csv"),
    *[("columns", c) for c in ("reference", "full_name", "date_of_birth", "postcode")],
]


def test_an_export_to_a_full_disk_is_refused_and_leaves_no_file_and_no_record(faulty: Faulty) -> None:
    exports = faulty.inst.data_dir / "exports"
    before = faulty.counts()
    with full_disk(exports) as filler:
        status, page, _ = faulty.web.csrf_form("/exports/new/", EXPORT_FORM)
        assert_clean_refusal(status, page, "no space left on the device", faulty)
        assert "Purpose of the export" in page  # the form again, to try later
        assert sorted(p.name for p in exports.iterdir()) == [filler.name]  # no partial file
        assert faulty.counts() == before  # no export, canary, fingerprint or event recorded
    faulty.chain_verifies()
    status, page, _ = faulty.web.csrf_form("/exports/new/", EXPORT_FORM)  # room again
    assert status == 302, page[:2000]
    after = faulty.counts()
    assert after["exports"] == before["exports"] + 1
    assert after["export_events"] == before["export_events"] + 1
    assert after["canaries"] == before["canaries"] + 1
    assert after["canary_fingerprints"] > before["canary_fingerprints"]
    assert len(list(exports.iterdir())) == 1


def test_the_refusal_pages_name_no_fault_detail(faulty: Faulty) -> None:
    """The log lines of every refusal above name the fault, method and path only."""
    for line in faulty.log().splitlines():
        if "refused" in line and "unavailable" in line:
            assert re.search(
                r"(database|key provider|audit log) unavailable: refused (GET|POST)( /[\w/.-]*)?$", line
            ), line
