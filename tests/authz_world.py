"""The world the authorization matrix acts on: BCU A's records, the personas who call, and how they call.

BCU A's records are made by *authors* (an officer, an analyst, a SPOC, central governance, the IRU, an auditor
and a system administrator of their own) who are none of the personas, so a persona's column shows what
it may do to a colleague's records, not to its own. The records are those of
``tests/test_event_completeness.py`` (its ``World``, so that its builders of URL arguments and form data can
be reused), with people whose names, aliases and dates of birth are distinctive enough to find in a
response body.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpResponseBase
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from custos.accounts.models import Role, User
from custos.accounts.services import api_token_issue, user_suspend
from custos.accounts.tests.helpers import with_purpose
from custos.register import services
from custos.register.models import BCU, Person
from custos.register.tests.factories import a_person, an_item
from tests import test_event_completeness as completeness
from tests.mfa import mfa_verified

#: Who calls, in the order of the table's columns.
PERSONAS = (
    "officer",
    "analyst",
    "bcu_spoc",
    "central_governance",
    "iru",
    "dpo",
    "auditor",
    "sysadmin",
    "foreign_officer",
    "untrained",
    "suspended",
    "anonymous",
)

API_PURPOSE = "OP-AUTHZ: authorization matrix"
REASONS = completeness.REASONS


@dataclass(frozen=True)
class Subject:
    """A person of BCU A as recorded: what must never reach someone who may not see them."""

    full_name: str
    aliases: tuple[str, ...]
    date_of_birth: dt.date
    address: str

    def needles(self) -> list[str]:
        """Every way a page could show them: name, aliases, address, date of birth as pages write it."""
        born = self.date_of_birth
        dates = {
            born.isoformat(),
            born.strftime("%d/%m/%Y"),
            f"{born.day} {born:%B %Y}",
            f"{born.day} {born:%b %Y}",
            f"{born:%d} {born:%B %Y}",
        }
        return [self.full_name, *self.aliases, self.address, *sorted(dates)]


#: The people of BCU A: one with a proposed nomination, one activated, one not nominated.
SUBJECTS = {
    "person": Subject("Leakcheck Zebedee Quill", ("Zebbo Quillard",), dt.date(1999, 2, 13), "7 Xylophone Mews"),
    "active": Subject("Leakcheck Ottoline Vance", ("Ottovance",), dt.date(2000, 11, 27), "9 Quagga Yard"),
    "fresh": Subject("Leakcheck Barnaby Wren", ("Barnawren",), dt.date(2002, 6, 4), "3 Jackdaw Close"),
}


@dataclass
class AuthzWorld:
    """BCU A's records (``records``, as the completeness tables build on them) and the personas."""

    records: completeness.World
    personas: dict[str, User]

    def needles(self) -> list[str]:
        return [needle for subject in SUBJECTS.values() for needle in subject.needles()]

    def refresh(self) -> None:
        """Read the records and authors again: a service that ran in a rolled-back call may have changed them in
        memory. (The personas' rows are read afresh by every request.)"""
        r = self.records
        for instance in (r.person, r.proposed, r.active, r.active.person, r.fresh, r.item, r.social, r.token):
            instance.refresh_from_db()
        for user in (*r.users.values(), r.suspended):
            user.refresh_from_db()


def _subject(author: User, key: str) -> Person:
    """A person of the author's BCU, with two independent items (so they may be nominated)."""
    subject = SUBJECTS[key]
    person = a_person(
        author,
        full_name=subject.full_name,
        aliases=list(subject.aliases),
        date_of_birth=subject.date_of_birth,
        addresses=[subject.address],
    )
    an_item(author, person, source_reference="CAD 1")
    an_item(author, person, source_type="partner_agency", source_reference="YOS 2", criterion="weapon_knife")
    return person


def build_world(make_user: Callable[..., User], bcu_a: BCU, bcu_b: BCU) -> AuthzWorld:
    """BCU A's records, made by the authors, and the personas (none of them an author)."""
    authors = {
        "officer_a": make_user("author_officer", Role.OFFICER, bcu_a),
        "analyst_a": make_user("author_analyst", Role.ANALYST, bcu_a),
        "spoc_a": make_user("author_spoc", Role.BCU_SPOC, bcu_a),
        "central": make_user("author_central", Role.CENTRAL_GOVERNANCE),
        "auditor": make_user("author_auditor", Role.AUDITOR),
        "sysadmin": make_user("author_sysadmin", Role.SYSADMIN),
        "iru": make_user("author_iru", Role.IRU),
    }
    officer, spoc = authors["officer_a"], authors["spoc_a"]
    person = _subject(officer, "person")
    proposed = services.nomination_propose(actor=officer, person=person, reasons=REASONS)
    active = services.nomination_propose(actor=officer, person=_subject(officer, "active"), reasons=REASONS)
    services.nomination_activate(actor=spoc, nomination=active, reasons="Confirmed on the evidence.")
    social = an_item(
        officer, person, source_type="social_media", source_reference="post 9", criterion="gang_association"
    )
    token, _ = api_token_issue(actor=mfa_verified(officer), owner=officer, label="to revoke")
    bystander = make_user("bystander_suspended", Role.OFFICER, bcu_a)
    user_suspend(actor=authors["sysadmin"], user=bystander)
    records = completeness.World(
        users=authors,
        bcu=bcu_a,
        person=person,
        proposed=proposed,
        active=active,
        fresh=_subject(officer, "fresh"),
        item=person.intelligence.filter(source_type="police").get(),
        social=social,
        token=token,
        suspended=bystander,
    )
    personas = {
        "officer": make_user("officer", Role.OFFICER, bcu_a),
        "analyst": make_user("analyst", Role.ANALYST, bcu_a),
        "bcu_spoc": make_user("spoc", Role.BCU_SPOC, bcu_a),
        "central_governance": make_user("central", Role.CENTRAL_GOVERNANCE),
        "iru": make_user("iru", Role.IRU),
        "dpo": make_user("dpo", Role.DPO),
        "auditor": make_user("auditor", Role.AUDITOR),
        "sysadmin": make_user("sysadmin", Role.SYSADMIN),
        "foreign_officer": make_user("officer_b", Role.OFFICER, bcu_b),
        "untrained": make_user("untrained", Role.OFFICER, bcu_a, trained=False),
        "suspended": make_user("suspended", Role.OFFICER, bcu_a),
    }
    return AuthzWorld(records=records, personas=personas)


# --- calling as a persona ------------------------------------------------------------------------------


class Caller:
    """Makes calls as one persona: signed in past MFA with a declared purpose on the web, a bearer token and a
    purpose header on the API; nobody's credentials for ``anonymous``.

    Every call starts from the persona's session cookie alone, so a call that signs out (or is sent a new
    cookie) cannot change the next one; ``isolated()`` undoes what the calls wrote. The two clients are kept
    (a new client loads the middleware again, and WhiteNoise indexes every static file when it does).
    """

    def __init__(self, persona: str, world: AuthzWorld, client_for: Callable[[User], Client]) -> None:
        self.persona = persona
        self.session_key = ""
        self.web = Client(raise_request_exception=False)
        self.api = APIClient(raise_request_exception=False)
        self.api.defaults["HTTP_X_CUSTOS_PURPOSE"] = API_PURPOSE
        user = world.personas.get(persona)
        if user is None:
            return
        self.session_key = with_purpose(client_for(user)).cookies[settings.SESSION_COOKIE_NAME].value
        _, token = api_token_issue(actor=mfa_verified(user), owner=user, label="authorization matrix")
        self.api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        if persona == "suspended":
            user_suspend(actor=world.records.users["sysadmin"], user=user)

    def call(self, method: str, path: str, data: dict[str, Any] | None, *, api: bool) -> HttpResponseBase:
        client = self.api if api else self.web
        client.cookies = SimpleCookie()
        if self.session_key and not api:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.session_key
        if api:
            return getattr(client, method.lower())(path, data, format="json")  # type: ignore[no-any-return]
        return getattr(client, method.lower())(path, data or {})  # type: ignore[no-any-return]


@contextmanager
def isolated(world: AuthzWorld) -> Iterator[None]:
    """Whatever the calls inside write is rolled back (a savepoint), so each URL meets the same world."""
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        world.refresh()


# --- reading a response --------------------------------------------------------------------------------


def outcome(response: HttpResponseBase) -> str:
    """The class of a response: ``ok`` (the handler was reached: 2xx, a redirect not to sign-in, or input
    refused as invalid: 400, 409, 415), ``signin`` (sent to sign in), else the status (401, 403, 404, 405...).
    """
    status = response.status_code
    if 300 <= status < 400:
        location = response.get("Location", "")
        return "signin" if location.startswith(reverse("web:login")) else "ok"
    if 200 <= status < 300 or status in {400, 409, 415}:
        return "ok"
    return str(status)


def body_text(response: HttpResponseBase) -> str:
    """What a reader of the response could see: the body, with PDF text and ZIP members unpacked."""
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    else:
        raw = response.content  # type: ignore[attr-defined]
    kind = response.get("Content-Type", "")
    parts = [raw.decode("utf-8", errors="replace")]
    if kind.startswith("application/pdf") or raw.startswith(b"%PDF"):
        parts.append(_pdf_text(raw))
    if raw.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts.extend(archive.read(name).decode("utf-8", errors="replace") for name in archive.namelist())
    return "\n".join(parts)


def _pdf_text(raw: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(raw)).pages)
