"""Helpers for tests that sign in through the pages like a browser does."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

PASSWORDS = {
    "admin": "admin-pass-1",
    "inspector": "inspector-pass-1",
    "west": "west-pass-1",
    "east": "east-pass-1",
    "leader": "leader-pass-1",
    "planner": "planner-pass-1",
}
"""Sign-in passwords of the users of the `people` fixture."""

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page hands its forms."""
    found = _TOKEN.search(html) or _META.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def login(client: TestClient, name: str, password: str, *, next: str = "") -> Response:
    """Open the sign-in form, then post it (without following the redirect)."""
    form = client.get("/login")
    assert form.status_code == 200
    return client.post(
        "/login",
        data={
            "username": name,
            "password": password,
            "csrf_token": csrf_of(form.text),
            "next": next,
        },
        follow_redirects=False,
    )


def page_token(client: TestClient, path: str = "/account/password") -> str:
    """The CSRF token of a signed-in page."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)
