"""The unread count in every page's header and the inbox, in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from geo.notify.post import Audience, Message, post
from tests.server import deployed_app, serving
from tests.service.signin import PASSWORDS

PHONE = {"width": 390, "height": 844}
PC = {"width": 1366, "height": 768}


@pytest.fixture
def live_inbox(two_villages_url: str, people, tmp_path) -> Iterator[str]:
    """The service on the two-village town, signed-in users of `people`, and two messages
    in the inbox of `west` (village W01)."""
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        w01 = conn.execute(text("SELECT id FROM village WHERE code = 'W01'")).scalar_one()
        for n, (zh, en) in enumerate(
            (("新问题 W01-1", "New issue W01-1"), ("复核结论 W01-2", "Verdict W01-2"))
        ):
            post(
                conn,
                Message(
                    kind="issue_created" if n == 0 else "verdict",
                    key=f"b{n}",
                    title_zh=zh,
                    title_en=en,
                    body_zh="请整改",
                    body_en="please rectify",
                    link="/pages/my-village",
                ),
                Audience(village_id=w01),
                email=False,
            )
    engine.dispose()
    app = deployed_app(two_villages_url, data_dir=tmp_path, notify_worker=False)
    with serving(app) as url:
        yield url


def _fits(page) -> bool:
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )


@pytest.mark.parametrize("viewport", [PHONE, PC], ids=["phone", "pc"])
def test_unread_count_in_the_header_and_marking_read(live_inbox, browser, viewport, tmp_path):
    page = browser.open(f"{live_inbox}/login", viewport=viewport)
    page.fill("#username", "west")
    page.fill("#password", PASSWORDS["west"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#unread-count").inner_text() == "2"  # on the page signed in to
    page.goto(f"{live_inbox}/")
    assert page.locator("#unread-count").inner_text() == "2"  # and on every other page
    assert _fits(page)

    page.click("#inbox-link")
    page.wait_for_selector("#inbox")
    assert page.locator("#inbox li.unread").count() == 2
    assert page.locator("#inbox li .title").first.inner_text() == "复核结论 W01-2"
    assert _fits(page)
    browser.screenshot(page, tmp_path / f"inbox-{viewport['width']}.png")

    page.locator("#inbox li.unread .mark-read").first.click()
    page.wait_for_load_state()
    assert page.locator("#unread-count").inner_text() == "1"
    assert page.locator("#inbox li.unread").count() == 1
    assert page.locator("#inbox li.read .title").inner_text() == "复核结论 W01-2"

    page.click("#read-all")
    page.wait_for_load_state()
    assert page.locator("#unread-count").count() == 0
    assert page.locator("#inbox li.unread").count() == 0
    assert page.locator("#inbox li.read").count() == 2

    page.click("#lang-switch")
    page.wait_for_load_state()
    assert page.locator("#inbox-link").inner_text().startswith("Inbox")
    assert page.locator("#inbox li .title").first.inner_text() == "Verdict W01-2"
    # the village's map page asks for basemap tiles (refused offline); nothing else leaves
    assert all("tile" in url for url in browser.log(page).refused)
    assert browser.log(page).errors == []
    browser.close_page(page)


def test_a_message_s_open_link_is_a_thumb_s_tap_on_a_phone(live_inbox, browser):
    """查看 on a message leads to the page to act on: on a phone it is as tall as a button
    (40 px), not a 13 px line of small print."""
    page = browser.open(f"{live_inbox}/login", viewport=PHONE)
    page.fill("#username", "west")
    page.fill("#password", PASSWORDS["west"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_inbox}/pages/inbox")
    links = page.locator("#inbox li .meta a")
    assert links.count() == 2
    for box in links.evaluate_all("l => l.map(a => a.getBoundingClientRect().height)"):
        assert box >= 40, box
    assert _fits(page)
    links.first.click()
    page.wait_for_url(f"{live_inbox}/pages/my-village")
    browser.close_page(page)
