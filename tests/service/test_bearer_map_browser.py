"""The tiled issue map opened by a client that sends its bearer token with the page only
(an app's WebView loading the URL with a header), in headless Chromium, outside development."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser import Browser
from tests.server import deployed_app, serving

pytestmark = [pytest.mark.browser, pytest.mark.postgis]

I1 = (39.285, 117.195)
"""Lat/lon of issue I1 (clutter, open, W01)."""


@pytest.fixture
def live_closed(two_villages_url: str, tmp_path) -> Iterator[str]:
    """The service outside development (no anonymous reads), tiles past 2 issues."""
    app = deployed_app(two_villages_url, data_dir=tmp_path, map_tiles_over=2, tile_points_zoom=17)
    with serving(app) as url:
        yield url


def test_a_bearer_only_page_loads_its_tiles_and_popups(
    live_closed: str, browser: Browser, tokens, tmp_path
):
    page = browser.open(f"{live_closed}/health")
    authorization = tokens["planner"]["Authorization"]

    def page_only(route, request):  # the header on the page's own request, nothing else
        route.continue_(headers={**request.headers, "authorization": authorization})

    page.route("**/maps/issues*", page_only)
    statuses: list[tuple[int, str]] = []
    page.on("response", lambda r: statuses.append((r.status, r.url)))
    page.goto(f"{live_closed}/maps/issues?basemap=plain&lang=en", wait_until="load")
    browser.wait_for_map(page)
    page.evaluate(
        """([lat, lon]) => new Promise((done) => { const l = cunrong.lastTiles;
        l.once('load', done); l._map.setView([lat, lon], 18, {animate: false}); })""",
        list(I1),
    )
    x, y = page.evaluate(
        """([lat, lon]) => { const m = cunrong.lastTiles._map;
        const p = m.latLngToContainerPoint([lat, lon]);
        const r = m.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""",
        list(I1),
    )
    page.mouse.click(x, y)
    head = page.locator(".leaflet-popup-content .cr-pop-head")
    head.wait_for()
    assert "I1" in head.inner_text()
    tiles = [(s, u) for s, u in statuses if "/tiles/issues/" in u]
    assert tiles and all(s == 200 for s, _ in tiles), tiles
    assert [(s, u) for s, u in statuses if s == 401] == []
    browser.screenshot(page, tmp_path / "bearer-tiles.png")
    assert browser.log(page).errors == []
    browser.close_page(page)
