"""Signing in and the shared page layout in headless Chromium, at phone and PC size."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from tests.server import deployed_app, serving

PHONE = {"width": 390, "height": 844}
PC = {"width": 1366, "height": 768}


@pytest.fixture
def live_strict(sample_url: str, password_hashes, tmp_path) -> Iterator[str]:
    """The service on the sample town as deployed (anonymous reads off), with an office
    user `office` and the village user `DZZ07` (passwords of tests.service.signin)."""
    from sqlalchemy import text

    from geo.users import create_user

    engine = create_engine(sample_url)
    with engine.begin() as conn:
        for name, role, village, key in (
            ("office", "admin", None, "admin"),
            ("DZZ07", "village", "DZZ07", "west"),
        ):
            create_user(conn, name=name, role=role, village_code=village)
            conn.execute(
                text("UPDATE app_user SET password_hash = :h WHERE name = :n"),
                {"h": password_hashes[key], "n": name},
            )
    engine.dispose()
    app = deployed_app(sample_url, photo_root=tmp_path)
    with serving(app) as url:
        yield url


def _fits(page) -> bool:
    """Nothing sticks out sideways (no horizontal scrolling of the whole page)."""
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )


def _unlabelled(page) -> list[str]:
    """Visible form controls without a label a screen reader would read."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
          .filter(e => e.type !== 'hidden')
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                       && !(e.tagName === 'BUTTON' && e.textContent.trim()))
          .map(e => e.outerHTML.slice(0, 120))"""
    )


@pytest.mark.parametrize("viewport", [PHONE, PC], ids=["phone", "pc"])
def test_sign_in_page_then_the_village_home_and_out_again(live_strict, browser, tmp_path, viewport):
    from tests.service.signin import PASSWORDS

    page = browser.open(f"{live_strict}/", viewport=viewport)
    assert "/login?next=/" in page.url  # nobody signed in: to the sign-in page
    assert page.locator("label[for=username]").inner_text() == "用户名"
    assert _fits(page) and _unlabelled(page) == []
    browser.screenshot(page, tmp_path / f"login-{viewport['width']}.png")

    page.fill("#username", "DZZ07")
    page.fill("#password", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码不正确" in page.locator("#login-error").inner_text()
    assert page.input_value("#username") == "DZZ07"

    page.fill("#password", PASSWORDS["west"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/")  # came back to the page asked for
    assert "DZZ07" in page.locator("#signed-in").inner_text()
    assert page.locator("#n-villages").inner_text() == "1"  # its own village only
    assert _fits(page) and _unlabelled(page) == []
    browser.screenshot(page, tmp_path / f"dashboard-{viewport['width']}.png")

    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.locator("#logout").inner_text() == "Sign out"

    other = page.context.new_page()
    other.goto(f"{live_strict}/pages/villages/DZZ01/visit")
    assert other.locator("#error").get_attribute("data-status") == "403"
    other.close()

    page.click("#logout")  # the page empties its offline copies, then sends the form
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(f"{live_strict}/")
    assert "/login?next=/" in page.url
    assert browser.log(page).refused == [] and browser.log(page).errors == []
    browser.close_page(page)


@pytest.mark.parametrize("viewport", [PHONE, PC], ids=["phone", "pc"])
def test_the_office_does_its_monthly_work_in_the_browser(live_strict, browser, tmp_path, viewport):
    from tests.service.signin import PASSWORDS

    width = viewport["width"]
    page = browser.open(f"{live_strict}/login", viewport=viewport)
    page.fill("#username", "office")
    page.fill("#password", PASSWORDS["admin"])
    page.click("button[type=submit]")
    page.wait_for_selector("#month-status")
    assert page.url.endswith("/pages/office/")
    assert _fits(page) and _unlabelled(page) == []
    browser.screenshot(page, tmp_path / f"office-home-{width}.png")

    # 1. open the round of 2025-01
    page.click("nav.steps >> text=开启检查")
    page.fill("#month", "2025-01")
    page.click("#round-form button[type=submit]")
    page.wait_for_selector("#opened")
    assert "2025-01" in page.locator("#rounds").inner_text()
    assert _unlabelled(page) == []

    # 2. scores: one bad cell is named and nothing is saved; corrected, all are saved
    page.goto(f"{live_strict}/pages/office/scores?month=2025-01")
    cells = page.locator("#score-grid input[type=text]")
    assert cells.count() >= 44 * 2
    cells.nth(0).fill("91")
    cells.nth(1).fill("abc")
    page.click("#score-grid button[type=submit]")
    page.wait_for_selector("#grid-errors")
    assert page.locator("td.badcell").count() == 1
    assert _fits(page) and _unlabelled(page) == []
    browser.screenshot(page, tmp_path / f"office-scores-{width}.png")
    page.locator("td.badcell input").fill("87.5")
    page.click("#score-grid button[type=submit]")
    page.wait_for_selector("#saved")
    assert "2" in page.locator("#saved").inner_text()

    # 4. publish the month
    page.goto(f"{live_strict}/pages/office/publish?month=2025-01")
    page.click("#publish-form button[type=submit]")
    page.wait_for_selector("#published")
    assert page.locator("#ranking tbody tr").count() >= 1
    browser.screenshot(page, tmp_path / f"office-publish-{width}.png")

    # users: add an inspector who can then sign in
    page.goto(f"{live_strict}/pages/office/users")
    page.fill("#new-name", f"检查员{width}")
    page.select_option("#new-role", "inspector")
    page.fill("#new-password", "inspect-pass-9")
    page.click("#add-user button[type=submit]")
    page.wait_for_selector("#done")
    assert page.locator(f"tr[data-user='检查员{width}']").count() == 1
    assert _unlabelled(page) == []
    browser.screenshot(page, tmp_path / f"office-users-{width}.png")
    assert browser.log(page).refused == [] and browser.log(page).errors == []
    browser.close_page(page)
