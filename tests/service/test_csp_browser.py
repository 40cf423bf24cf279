"""Every page and every map, as each role that can see it, in headless Chromium under the
Content-Security-Policy (script-src 'self' and the response's nonce, no 'unsafe-inline'):
nothing is refused by the policy, no script fails, and the maps draw.

The pages are every HTML route of the app (the first test checks the list here is complete);
each role opens those it may see (200) and is refused the others (403/303 are not opened)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.datastructures import DefaultPlaceholder
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from playwright.sync_api import Frame, Page
from sqlalchemy import create_engine, text

import service.routes
from service.web import HOME, NAV
from tests.server import deployed_app, serving

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

PAGES = {
    "/": "/",
    "/login": "/login",
    "/account/password": "/account/password",
    "/pages/report": "/pages/report",
    "/pages/my-village": "/pages/my-village",
    "/pages/recheck": "/pages/recheck",
    "/pages/inbox": "/pages/inbox",
    "/pages/office/": "/pages/office/",
    "/pages/office/rounds": "/pages/office/rounds",
    "/pages/office/scores": "/pages/office/scores",
    "/pages/office/third-party": "/pages/office/third-party",
    "/pages/office/publish": "/pages/office/publish",
    "/pages/office/users": "/pages/office/users",
    "/pages/office/deliveries": "/pages/office/deliveries",
    "/pages/interviews": "/pages/interviews",
    "/pages/villages/{code}/visit": "/pages/villages/{village}/visit",
    "/pages/communities/{code}": "/pages/communities/{community}",
    "/pages/districts/{code}": "/pages/districts/{district}",
    "/maps/issues": "/maps/issues",
    "/maps/status": "/maps/status",
    "/maps/hotspots": "/maps/hotspots",
    "/maps/ranking": "/maps/ranking",
    "/maps/districts/{code}": "/maps/districts/{district}",
    "/sites/map": "/sites/map",
    "/docs": "/docs",
}
"""Route → the path opened (the sample town's codes filled in)."""

ROLES = {
    "office": ("admin", None),
    "inspector": ("inspector", None),
    "cun": ("village", "{village}"),
    "leader": ("leader", None),
    "planner": ("planner", None),
}
PASSWORD = "csp-browser-pass-1"

DRAWN = """() => document.querySelectorAll(
  '.leaflet-overlay-pane path, .leaflet-overlay-pane canvas, .leaflet-marker-pane > *,'
  + ' .leaflet-tile-container canvas, .leaflet-tile-container svg').length"""
"""What Leaflet drew besides basemap tiles: vector paths, canvases, markers."""


def _html_routes() -> set[str]:
    """The GET routes of the app that answer with an HTML page."""
    found = {"/docs"}  # service.docs
    for info in pkgutil.iter_modules(service.routes.__path__):
        module = importlib.import_module(f"service.routes.{info.name}")
        for router in [v for v in vars(module).values() if isinstance(v, APIRouter)]:
            for route in router.routes:
                if not isinstance(route, APIRoute) or "GET" not in route.methods:
                    continue
                kind = route.response_class
                kind = kind.value if isinstance(kind, DefaultPlaceholder) else kind
                returns = str(route.endpoint.__annotations__.get("return", ""))
                if kind is HTMLResponse or "HTMLResponse" in returns:
                    found.add(route.path)
    return found


def test_the_list_of_pages_is_every_html_route():
    assert set(PAGES) == _html_routes()


@pytest.fixture
def live(sample_url: str, tmp_path) -> Iterator[tuple[str, dict[str, str]]]:
    """The sample town as deployed (anonymous reads off), one user per role; (URL, codes)."""
    from geo.users import create_user

    engine = create_engine(sample_url)
    with engine.begin() as conn:
        village = conn.execute(
            text(
                "SELECT v.code FROM issue i JOIN village v ON v.id = i.village_id"
                " WHERE i.status IN ('open', 'unrectified')"
                " GROUP BY v.code ORDER BY count(*) DESC, v.code LIMIT 1"
            )
        ).scalar_one()
        codes = {
            "village": village,
            "community": conn.execute(
                text("SELECT code FROM community ORDER BY code LIMIT 1")
            ).scalar_one(),
            "district": conn.execute(
                text("SELECT district_code FROM town ORDER BY id LIMIT 1")
            ).scalar_one(),
        }
        for name, (role, village_code) in ROLES.items():
            create_user(
                conn,
                name=name,
                role=role,
                village_code=village_code.format(**codes) if village_code else None,
                password=PASSWORD,
            )
    engine.dispose()
    app = deployed_app(sample_url, data_dir=tmp_path)
    with serving(app) as url:
        yield url, codes


def _check_frame(frame: Frame) -> str | None:
    """Wait for a frame's map (if it has one) to be drawn; what is wrong with it, if anything."""
    if not frame.evaluate("() => !!document.querySelector('.leaflet-container')"):
        return None
    frame.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
    panes = frame.evaluate("() => document.querySelectorAll('.leaflet-pane').length")
    if not panes:
        return f"{frame.url}: Leaflet made no panes"
    is_map_page = "/maps/" in frame.url or "/sites/map" in frame.url
    if is_map_page and not frame.evaluate(DRAWN):
        return f"{frame.url}: the map drew nothing"
    return None


def _open(browser, page: Page, url: str) -> list[str]:
    """Open a page (and its framed maps); the problems found."""
    before = len(browser.log(page).errors), len(browser.log(page).console)
    page.goto(url, wait_until="load")
    problems = [p for f in page.frames if (p := _check_frame(f))]
    if "/docs" in url:
        page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    browser.settle(page)
    log = browser.log(page)
    errors = log.errors[before[0] :]
    refused = [m for m in log.console[before[1] :] if "Content Security Policy" in m]
    events = [v for f in page.frames for v in f.evaluate("() => window.__cspViolations || []")]
    return [*problems, *(f"script error {e}" for e in errors), *refused, *events]


def _sign_in(page: Page, name: str) -> None:
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)


def test_every_page_and_map_as_every_role_runs_under_the_policy(live, browser):
    base, codes = live
    problems: dict[str, list[str]] = {}
    seen: dict[str, set[str]] = {}
    for name, (role, _) in ROLES.items():
        page = browser.open(f"{base}/login")
        if found := _open(browser, page, f"{base}/login"):
            problems["anonymous /login"] = found
        _sign_in(page, name)
        seen[role] = set()
        for route, path in PAGES.items():
            url = base + path.format(**codes)
            answer = page.context.request.get(url, max_redirects=0)
            if answer.status != 200:
                assert answer.status in (303, 403), (role, path, answer.status)
                continue
            csp = answer.headers["content-security-policy"]
            assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
            seen[role].add(route)
            if found := _open(browser, page, url):
                problems[f"{role} {path}"] = found
        # a page this role may not see: the error page runs under the policy too
        refused = next(r for r in PAGES if r not in seen[role] and "{" not in r)
        if found := _open(browser, page, base + refused):
            problems[f"{role} {refused} (refused)"] = found
        browser.close_page(page)
    assert problems == {}
    for role, links in NAV.items():  # each role sees its home page and its menu
        assert {HOME[role], *(href for href, _, _ in links)} <= seen[role], role
    assert set().union(*seen.values()) == set(PAGES) - {"/login"}  # every page by someone
