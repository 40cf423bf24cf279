"""The issue map past its embedding limit, in headless Chromium: drawn from vector tiles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.app import create_app
from service.settings import ServiceSettings
from tests.browser import Browser
from tests.server import serving

pytestmark = [pytest.mark.browser, pytest.mark.postgis]

I1 = (39.285, 117.195)
"""Lat/lon of issue I1 (clutter, open, W01)."""


@pytest.fixture
def live_tiles(two_villages_url: str, tmp_path) -> Iterator[str]:
    """The service on the two-village town, switching the map to tiles above 2 issues."""

    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, map_tiles_over=2, tile_points_zoom=17
    )
    app = create_app(settings)
    with serving(app) as url:
        yield url


def _click_at(page, lat: float, lon: float) -> None:
    x, y = page.evaluate(
        """([lat, lon]) => { const m = cunrong.lastTiles._map;
        const p = m.latLngToContainerPoint([lat, lon]);
        const r = m.getContainer().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def _view(page, lat: float, lon: float, zoom: float) -> None:
    """Look at lat/lon at `zoom` and wait until the tiles of that view have loaded."""
    page.evaluate(
        """([lat, lon, z]) => new Promise((done) => { const l = cunrong.lastTiles;
        l.once('load', done); l._map.setView([lat, lon], z, {animate: false}); })""",
        [lat, lon, zoom],
    )


def test_the_tiled_map_draws_cells_then_points_and_fetches_a_popup(
    live_tiles: str, browser: Browser, tmp_path
):
    tile_requests: list[str] = []
    page = browser.open(f"{live_tiles}/maps/issues?basemap=plain&lang=en")
    page.on("request", lambda r: tile_requests.append(r.url) if "/tiles/" in r.url else None)
    browser.wait_for_map(page)
    assert page.evaluate("() => !!(window.cunrong.lastTiles && L.VectorGrid)")
    assert page.locator(".leaflet-overlay-pane canvas.leaflet-tile").count() > 0
    assert "· 4" in page.locator(".cr-title-sub").inner_text()
    assert page.locator("path.cr-village").count() == 2

    # Zoomed out: squares with counts; a click tells the cell's numbers.
    _view(page, I1[0], I1[1], 14)
    assert any("/tiles/issues/14/" in u for u in tile_requests)
    _click_at(page, *I1)
    popup = page.locator(".leaflet-popup-content .cr-cell-popup")
    popup.wait_for()
    assert "Issues" in popup.inner_text() and "Zoom in" in popup.inner_text()
    page.locator(".leaflet-popup-close-button").click()

    # Zoomed in: points; a click fetches the issue from /issues/{id}.
    _view(page, I1[0], I1[1], 18)
    assert any("/tiles/issues/18/" in u for u in tile_requests)
    _click_at(page, *I1)
    head = page.locator(".leaflet-popup-content .cr-pop-head")
    head.wait_for()
    assert "I1" in head.inner_text()
    assert "西村" in page.locator(".leaflet-popup-content .cr-tip").inner_text()
    desc = page.locator(".leaflet-popup-content .cr-pop-desc")
    assert desc.inner_text() == "<b>desc</b>"  # set as text, never parsed
    assert page.locator(".leaflet-popup-content b", has_text="desc").count() == 0
    browser.screenshot(page, tmp_path / "tiles.png")
    log = browser.log(page)
    assert log.refused == [] and log.errors == []
    browser.close_page(page)
