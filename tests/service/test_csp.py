"""The pages' Content-Security-Policy: scripts from this origin or carrying the response's own
nonce, never 'unsafe-inline'; a new nonce on every response, on every <script> of the page;
no inline event handlers or javascript: URLs in what the pages send."""

from __future__ import annotations

import re

import pytest

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
SCRIPT_BODY = re.compile(r"<script\b[^>]*>.*?</script>", re.IGNORECASE | re.DOTALL)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
NONCE_SOURCE = re.compile(r"^'nonce-([A-Za-z0-9_-]{16,64})'$")

PAGES = [
    "/",
    "/login",
    "/pages/villages/W01/visit",
    "/maps/issues?basemap=plain",
    "/maps/status?basemap=osm",
    "/maps/hotspots?basemap=plain",
    "/sites/map?basemap=plain",
    "/docs",
]


def _directives(csp: str) -> dict[str, str]:
    pairs = (d.strip().partition(" ") for d in csp.split(";"))
    return {name: value for name, _, value in pairs}


def _nonce(response) -> str:
    """The script nonce the response's policy names (and checks the rest of script-src)."""
    script_src = _directives(response.headers["Content-Security-Policy"])["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    self_source, nonce_source = script_src.split()
    assert self_source == "'self'"
    found = NONCE_SOURCE.match(nonce_source)
    assert found, script_src
    return found.group(1)


@pytest.mark.parametrize("path", PAGES)
def test_every_script_of_a_page_carries_the_nonce_of_its_own_response(client, path):
    nonces = []
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200, response.text[:300]
        nonce = _nonce(response)
        tags = SCRIPT_TAG.findall(response.text)
        assert tags, "every page has scripts"
        assert [t for t in tags if f'nonce="{nonce}"' not in t] == []
        markup = SCRIPT_BODY.sub("", response.text)
        assert INLINE_HANDLER.findall(markup) == []
        assert "javascript:" not in markup.lower()
        nonces.append(nonce)
    assert nonces[0] != nonces[1]  # a new nonce for every response


def test_error_pages_have_a_nonce_and_the_api_no_policy(client):
    missing = client.get("/pages/villages/NOPE/visit")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    nonce = _nonce(missing)
    assert all(f'nonce="{nonce}"' in t for t in SCRIPT_TAG.findall(missing.text))
    api = client.get("/villages")
    assert api.status_code == 200 and "Content-Security-Policy" not in api.headers


def test_a_map_for_a_signed_in_user_loads_offline_js_with_its_nonce(client, tokens):
    response = client.get("/maps/status?basemap=plain", headers=tokens["inspector"])
    assert response.status_code == 200
    nonce = _nonce(response)
    assert f'<script nonce="{nonce}" src="/static/offline.js"></script>' in response.text
    assert [t for t in SCRIPT_TAG.findall(response.text) if f'nonce="{nonce}"' not in t] == []
