"""The town office imports a file from its page in headless Chromium, on a PC (1366×768)
and a phone (390×844): choose the kind, upload, read the preview, 确认导入, see the result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.server import deployed_app, serving
from tests.service.signin import PASSWORDS

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

CSV = (
    "类别,经度,纬度,发现日期\n"
    "tangled_wires,117.205,39.285,2024-03-05\nclutter,117.195,39.285,2024-03-06\n"
)
SIDEWAYS = """() => [...document.querySelectorAll('section')]
  .filter((s) => s.scrollWidth > s.clientWidth + 1)
  .map((s) => `${s.id}: ${s.scrollWidth} > ${s.clientWidth}`)"""


@pytest.fixture
def live(two_villages_url: str, people, tmp_path: Path) -> Iterator[str]:
    app: Any = deployed_app(two_villages_url, photo_root=tmp_path / "photos")
    with serving(app) as url:
        yield url


def _issues(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM issue")).scalar_one()
    engine.dispose()
    return int(n)


@pytest.mark.parametrize(
    ("viewport", "lang", "says"),
    [
        ({"width": 1366, "height": 768}, "zh", "2 条新增"),
        ({"width": 390, "height": 844}, "en", "2 new"),
    ],
)
def test_the_office_uploads_previews_and_imports(
    live, browser, tmp_path, two_villages_url, viewport, lang, says
):
    before = _issues(two_villages_url)
    source = tmp_path / "issues.csv"
    source.write_text(CSV, encoding="utf-8")
    page = browser.open(f"{live}/login", viewport=viewport)
    page.fill("#username", "admin")
    page.fill("#password", PASSWORDS["admin"])
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{live}/pages/office/?lang={lang}")
    page.click("#st-import a")
    page.wait_for_selector("#kind")
    page.select_option("#kind", "issues")
    page.set_input_files("#file", str(source))
    page.click("#preview-button")
    page.wait_for_selector("#would")
    assert page.inner_text("#would-insert") == "2"
    assert page.evaluate(SIDEWAYS) == []
    browser.screenshot(page, tmp_path / f"import-preview-{lang}.png", full_page=True)
    assert _issues(two_villages_url) == before  # the preview writes nothing
    page.click("#confirm")
    page.wait_for_selector("#import-result")
    assert says in page.inner_text("#import-result")
    assert page.evaluate(SIDEWAYS) == []
    browser.screenshot(page, tmp_path / f"import-done-{lang}.png", full_page=True)
    assert _issues(two_villages_url) == before + 2
    assert browser.log(page).errors == []
    browser.close_page(page)
