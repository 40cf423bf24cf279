"""A planner signed in on the pages chooses a site in the sites map's popup (headless
Chromium); a leader reads the same map without the buttons."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from geo.accounts import set_password
from geo.users import create_user
from service.app import create_app
from service.settings import ServiceSettings
from tests.browser import Browser
from tests.server import serving
from tests.sites.test_map_and_cli import HOMESTEAD_KEY
from tests.sites.village import build_village

pytestmark = [pytest.mark.browser, pytest.mark.postgis]

PASSWORD = "site-planning-2024"


@pytest.fixture
def live_sites(fresh_url: str, tmp_path) -> Iterator[str]:
    """The hand-built village, a planner and a leader with passwords, outside development."""
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        build_village(conn)
        for role in ("planner", "leader"):
            create_user(conn, name=role, role=role)
            set_password(conn, role, PASSWORD)
    engine.dispose()
    settings = ServiceSettings(
        database_url=fresh_url, data_dir=tmp_path, environment="production", secret_key="s" * 40
    )
    with serving(create_app(settings)) as url:
        yield url


def _signed_in(browser: Browser, base: str, name: str, lang: str):
    page = browser.open(f"{base}/login?lang={lang}", viewport={"width": 390, "height": 844})
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{base}/sites/map?village=W01&lang={lang}&basemap=plain", wait_until="load")
    browser.wait_for_map(page)
    page.evaluate(
        """(key) => cunrong.lastSites.shapes.eachLayer((l) => {
             if (l.feature.properties.key === key) l.openPopup(); })""",
        HOMESTEAD_KEY,
    )
    page.locator(".leaflet-popup-content .cr-site-popup").wait_for()
    return page


def test_a_planner_chooses_a_site_in_its_popup(
    live_sites: str, fresh_url: str, browser: Browser, tmp_path
):
    page = _signed_in(browser, live_sites, "planner", "zh")
    popup = page.locator(".leaflet-popup-content")
    box = page.locator(".leaflet-popup-content-wrapper").bounding_box()
    assert box is not None and box["width"] <= 390 - 40  # the popup fits the phone
    popup.locator("textarea").fill("口袋公园 <b>")
    popup.locator("button[data-decision=chosen]").click()
    popup.locator(".cr-site-said", has_text="已保存").wait_for()
    assert popup.locator("button.cr-on").get_attribute("data-decision") == "chosen"
    browser.screenshot(page, tmp_path / "decide.png")
    assert browser.log(page).errors == [] and browser.csp_violations(page) == []
    browser.close_page(page)
    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT decision, note, decided_by FROM site_choice WHERE candidate_key = :k"),
            {"k": HOMESTEAD_KEY},
        ).one()
    engine.dispose()
    assert tuple(stored) == ("chosen", "口袋公园 <b>", "planner")


def test_a_leader_reads_the_map_without_the_buttons(live_sites: str, browser: Browser):
    page = _signed_in(browser, live_sites, "leader", "en")
    popup = page.locator(".leaflet-popup-content")
    assert "Reasons" in popup.inner_text()
    assert popup.locator(".cr-site-decide").count() == 0
    assert page.locator('meta[name="csrf-token"]').count() == 0
    browser.close_page(page)
