"""The town office's and a leader's pages as they use them every month, in headless
Chromium on the sample town, at 390 px (phone) in Chinese and English: no table makes
its section scroll sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine

from geo.users import create_user
from tests.server import deployed_app, serving

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
PASSWORD = "office-walk-pass"
SIDEWAYS = """() => [...document.querySelectorAll('section')]
  .filter((s) => s.scrollWidth > s.clientWidth + 1)
  .map((s) => `${s.id}: ${s.scrollWidth} > ${s.clientWidth}`)"""


@pytest.fixture
def live(sample_url: str, tmp_path: Path) -> Iterator[str]:
    """The service on the sample town as deployed, with an office user and a leader."""
    engine = create_engine(sample_url)
    with engine.begin() as conn:
        create_user(conn, name="walk-office", role="admin", password=PASSWORD)
        create_user(conn, name="walk-leader", role="leader", password=PASSWORD)
    engine.dispose()
    app: Any = deployed_app(sample_url, photo_root=tmp_path / "photos")
    with serving(app) as url:
        yield url


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_offices_tables_fit_a_phone(live, browser, tmp_path, lang):
    """The district table (English headings were too wide: 462 px in a 368 px section),
    a community's villages (the overdue column cut off in English) and the rounds (dates
    kept on one line) fit 390 px without scrolling sideways."""
    page = browser.open(f"{live}/login", viewport=PHONE)
    sign_in(page, live, "walk-office")
    for path, selector in (
        ("/pages/districts/120113", "#towns tr.town-row"),
        ("/pages/communities/GT01?month=2024-12", "#villages tr.village"),
        ("/pages/office/rounds", "#rounds tbody tr"),
        ("/pages/office/?month=2024-12", "#downloads a"),
        ("/pages/interviews?month=2024-12", "#record details.record"),
    ):
        page.goto(f"{live}{path}{'&' if '?' in path else '?'}lang={lang}")
        page.wait_for_selector(selector)
        name = path.strip("/").split("?")[0].replace("/", "-")
        browser.screenshot(page, tmp_path / f"{name}-{lang}.png", full_page=True)
        assert page.evaluate(SIDEWAYS) == [], path
    assert browser.log(page).errors == []
    browser.close_page(page)
