"""The oversight hub: each role sees the sections it reaches, and the navigation links to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from custos.accounts.models import Role, User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


@pytest.mark.parametrize(
    ("role", "sections"),
    [
        (Role.BCU_SPOC, ["BCU audits", "Equality monitor"]),
        (
            Role.CENTRAL_GOVERNANCE,
            [
                "BCU audits",
                "Equality monitor",
                "Breach register",
                "Data protection impact assessment",
                "Records of processing",
                "Annex 1 tracker",
            ],
        ),
        (
            Role.IRU,
            ["Equality monitor", "Breach register", "Data protection impact assessment", "Records of processing"],
        ),
        (
            Role.DPO,
            [
                "BCU audits",
                "Equality monitor",
                "Breach register",
                "Data protection impact assessment",
                "Records of processing",
                "Annex 1 tracker",
            ],
        ),
        (
            Role.AUDITOR,
            [
                "BCU audits",
                "Equality monitor",
                "Breach register",
                "Data protection impact assessment",
                "Records of processing",
                "Annex 1 tracker",
            ],
        ),
    ],
)
def test_each_role_sees_the_sections_it_reaches(
    role: str, sections: list[str], make_user: Any, bcu_a: Any, client_for: ClientFor
) -> None:
    user = make_user(f"user_{role}", role, bcu_a if role == Role.BCU_SPOC else None)
    page = client_for(user).get("/oversight/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = [
        title
        for title in (
            "BCU audits",
            "Equality monitor",
            "Breach register",
            "Data protection impact assessment",
            "Records of processing",
            "Annex 1 tracker",
        )
        if f">{title}</a>" in html
    ]
    assert shown == sections
    assert 'href="/oversight/"' in html  # in the navigation


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ANALYST, Role.SYSADMIN])
def test_roles_without_oversight_pages_are_refused_and_get_no_link(
    role: str, make_user: Any, bcu_a: Any, client_for: ClientFor
) -> None:
    user = make_user(f"user_{role}", role, bcu_a if role in (Role.OFFICER, Role.ANALYST) else None)
    client = client_for(user)
    assert client.get("/oversight/").status_code == 403
    assert 'href="/oversight/"' not in client.get("/account/").content.decode()


def test_the_footer_links_the_public_transparency_page() -> None:
    page = Client().get("/sign-in/")
    assert 'href="/transparency/"' in page.content.decode()
