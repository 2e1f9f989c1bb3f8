"""Every URL pattern, walked: nobody who has not signed in gets anything but a refusal.

New URLs are covered automatically: the list comes from the URLconf.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

#: The only pages an anonymous visitor may load.
#: Pages anyone may open: signing in, a sharing recipient's confirmation of destruction (the code is the
#: proof), and the public transparency page (published aggregates only, small numbers suppressed).
PUBLIC = {"/sign-in/", "/sharing/destroyed/", "/api/v1/sharing/destruction/", "/transparency/"}

_SAMPLE = {
    "uuid": "6f1c2d3e-0000-4000-8000-000000000001",  # fixed: the same test ids in every xdist worker
    "int": "1",
    "str": "x",
    "slug": "x",
    "path": "x",
}


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        else:
            yield prefix + str(entry.pattern)


def _concrete(route: str) -> str:
    import re

    def fill(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return _SAMPLE.get(converter, "x")

    path = re.sub(r"<(?:(\w+):)?\w+>", fill, route)
    return "/" + path.lstrip("^").rstrip("$")


def all_paths() -> list[str]:
    return sorted({_concrete(route) for route in _walk(get_resolver().url_patterns)})


def test_walk_finds_the_register_and_the_api():
    paths = all_paths()
    assert "/matrix/" in paths
    assert "/api/v1/openapi.json" in paths
    assert len(paths) >= 5


@pytest.mark.parametrize("path", all_paths())
def test_anonymous_user_is_refused(reference_data, path):
    client = Client(enforce_csrf_checks=False)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if path in PUBLIC:
            answered = response.status_code
            assert answered in {200, 302, 400, 405, 415}, f"{method.upper()} {path} -> {answered}"
            continue
        if path.startswith("/api/"):
            assert response.status_code in {401, 403}, f"{method.upper()} {path} -> {response.status_code}"
        else:
            assert response.status_code in {302, 405}, f"{method.upper()} {path} -> {response.status_code}"
            if response.status_code == 302:
                assert response["Location"].startswith("/sign-in/"), f"{path} -> {response['Location']}"
