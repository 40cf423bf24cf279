"""The rectification status map: rates and overdue counts per village, worked by hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from geo.maps.status import status_map, village_rectification
from tests.browser import Browser
from tests.maps import town
from tests.maps.conftest import save

TODAY = date(2024, 5, 15)


def _issues() -> gpd.GeoDataFrame:
    """V01: 4 issues (2 closed, 1 open overdue, 1 submitted late); V02: 1 open, not late."""
    rows = [
        ("V01", "closed", TODAY - timedelta(days=30)),
        ("V01", "closed", TODAY - timedelta(days=30)),
        ("V01", "open", TODAY - timedelta(days=3)),
        ("V01", "submitted", TODAY - timedelta(days=3)),
        ("V02", "unrectified", TODAY + timedelta(days=3)),
    ]
    return gpd.GeoDataFrame(
        {
            "village_code": [r[0] for r in rows],
            "status": [r[1] for r in rows],
            "deadline": [r[2] for r in rows],
            "category": "clutter",
        },
        geometry=[
            Point(117.21, 39.11),
            Point(117.211, 39.11),
            Point(117.212, 39.11),
            Point(117.213, 39.11),
            Point(117.23, 39.11),
        ],
        crs=4326,
    )


def test_rectification_rate_and_overdue_by_hand():
    stats = village_rectification(_issues(), town.villages(), today=TODAY).set_index("code")
    assert stats.loc["V01", ["total", "closed", "open", "overdue"]].tolist() == [4, 2, 2, 1]
    assert stats.loc["V01", "rate"] == 0.5
    assert stats.loc["V02", ["total", "closed", "overdue"]].tolist() == [1, 0, 0]
    assert stats.loc["V02", "rate"] == 0.0
    assert np.isnan(stats.loc["V03", "rate"]) and stats.loc["V03", "total"] == 0


@pytest.mark.browser
def test_status_map_in_the_browser(tmp_path: Path, browser: Browser, shots: Path):
    m = status_map(_issues(), villages=town.villages(), basemap="plain", today=TODAY)
    page = browser.open(save(m, tmp_path / "status.html"))
    browser.wait_for_map(page)
    browser.screenshot(page, shots / "status.png")
    assert page.locator("path.cr-rate").count() == 9
    assert page.locator(".cr-overdue").all_inner_texts() == ["1"]
    assert page.evaluate("() => cunrong.lastIssues.markers.length") == 3  # not closed
    labels = page.locator(".cr-choro-label").all_inner_texts()
    assert "50%\n第1村" in labels and "—\n第3村" in labels
    assert "整改销号率" in page.locator(".cr-legend").inner_text()
    browser.close_page(page)


PHONE = {"width": 390, "height": 844}


@pytest.mark.browser
def test_status_map_on_a_phone_shows_colours_and_circles_in_view(
    tmp_path: Path, browser: Browser, shots: Path
):
    """48 villages at 390 px are too small for their rates: the colours and the overdue
    circles only (at 60 %, numbers in the tooltip), every circle inside the screen, the
    east edge's largest included; zoomed in, the labels and numbers come back."""
    villages = town.villages(8, 6)
    east = villages.loc[villages.geometry.bounds["maxx"].idxmax()]
    spot = east.geometry.representative_point()
    issues = gpd.GeoDataFrame(
        {
            "village_code": east["code"],
            "status": "open",
            "deadline": TODAY - timedelta(days=5),
            "category": "clutter",
        },
        index=range(20),
        geometry=[Point(spot.x, spot.y)] * 20,
        crs=4326,
    )
    m = status_map(issues, villages=villages, basemap="plain", today=TODAY)
    page = browser.open(save(m, tmp_path / "status-phone.html"), viewport=PHONE)
    browser.wait_for_map(page)
    browser.screenshot(page, shots / "status-phone.png")
    assert page.locator(".cr-map.cr-crowded-bare").count() == 1
    assert not page.locator(".cr-label-lead").first.is_visible()
    circle = page.locator(".cr-overdue")
    box = circle.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert box["width"] < 2 * (6 + 4 * np.sqrt(20)) * 0.7  # drawn at 60 %
    assert circle.evaluate("(c) => getComputedStyle(c).color") == "rgba(0, 0, 0, 0)"
    page.evaluate(
        """() => { const m = cunrong.lastChoropleth.group._map;
                   m.setZoom(m.getZoom() + 2, {animate: false}); }"""
    )
    browser.settle(page)
    assert page.locator(".cr-map.cr-crowded").count() == 0
    assert page.locator(".cr-map.cr-crowded-bare").count() == 0
    assert circle.evaluate("(c) => getComputedStyle(c).color") == "rgb(255, 255, 255)"
    assert page.locator(".cr-label-lead").first.is_visible()
    assert browser.log(page).errors == []
    browser.close_page(page)


@pytest.mark.browser
def test_status_map_on_a_desktop_keeps_rates_and_numbers(tmp_path: Path, browser: Browser):
    m = status_map(_issues(), villages=town.villages(8, 6), basemap="plain", today=TODAY)
    page = browser.open(
        save(m, tmp_path / "status-desk.html"), viewport={"width": 1366, "height": 768}
    )
    browser.wait_for_map(page)
    assert page.locator(".cr-map.cr-crowded-bare").count() == 0
    assert page.locator(".cr-label-lead").first.is_visible()
    assert page.locator(".cr-overdue").inner_text() == "1"
    browser.close_page(page)
