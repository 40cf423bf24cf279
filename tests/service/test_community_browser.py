"""The dashboard's interview block and a community page in headless Chromium, phone and desk."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from geo.users import create_user
from service.app import create_app
from service.settings import ServiceSettings
from tests.server import serving

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desk": {"width": 1366, "height": 768}}


@pytest.fixture
def live(sample_url: str, tmp_path) -> Iterator[tuple[str, str, str]]:
    """The service on the sample town; (base URL, latest scored month, an admin token)."""
    engine = create_engine(sample_url)
    with engine.begin() as conn:
        month = f"{conn.execute(text('SELECT max(month) FROM observation_score')).scalar():%Y-%m}"
        _, token = create_user(conn, name="office", role="admin")
    engine.dispose()
    app = create_app(ServiceSettings(database_url=sample_url, data_dir=tmp_path))
    with serving(app) as url:
        yield url, month, token


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_interviews_on_the_dashboard_and_a_community_page(live, browser, tmp_path, viewport):
    base, month, token = live
    listed = httpx.get(f"{base}/interviews", params={"month": month}).json()
    assert listed["interviews"], "the sample town's latest month has a bottom ten"
    first = listed["interviews"][0]
    held = httpx.post(
        f"{base}/interviews/{month}/{first['village']}",
        json={"held_on": f"{month}-28", "held_by": "王副镇长", "note": "约谈提醒"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert held.status_code == 201, held.text
    size = VIEWPORTS[viewport]

    page = browser.open(f"{base}/?month={month}", viewport=size)
    page.wait_for_selector("#interviews")
    rows = page.locator("#interviews-month tr.interview")
    assert rows.count() == len(listed["interviews"])
    assert page.locator("#n-interviews-held").inner_text() == "1"
    assert page.locator("#interviews-month tr.interview.held").count() == 1
    assert "已约谈" in page.locator("#interviews-month tr.interview.held").inner_text()
    assert _fits(page), "the dashboard scrolls sideways"
    page.locator("#interviews").scroll_into_view_if_needed()
    browser.screenshot(page, tmp_path / f"dashboard-interviews-{viewport}.png")
    assert browser.log(page).errors == []
    browser.close_page(page)

    community = first["community"]
    page = browser.open(f"{base}/pages/communities/{community}?month={month}", viewport=size)
    page.wait_for_selector("#villages")
    villages = page.locator("#villages tr.village")
    assert villages.count() >= 1
    assert page.locator(f'#villages tr[data-village="{first["village"]}"]').count() == 1
    assert "已约谈" in page.locator(f'#villages tr[data-village="{first["village"]}"]').inner_text()
    assert page.locator("#secretary").inner_text().strip() != ""
    assert _fits(page), "the community page scrolls sideways"
    browser.screenshot(page, tmp_path / f"community-{viewport}.png", full_page=True)
    assert browser.log(page).errors == []
    browser.close_page(page)
