"""The field pages without a network, in headless Chromium, on the sample town.

An inspector signs in and opens a site-visit sheet; with the network cut the sheet reloads
from the service worker's copy with the banner 离线 — 显示 HH:MM 的数据 and its issues, the
framed issue map included. Signing out empties the copies: the next person on the phone,
offline, gets none of them. An answer for another user empties them too.

Screenshots go to tmp_path, or to CUNRONG_SHOTS_DIR when set (docs/ screenshots are made so).
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Frame, Page

from tests.server import deployed_app, serving

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
PC = {"width": 1366, "height": 768}
PAGES_CACHE = "cunrong-pages-v1"
POINTS = "() => document.querySelectorAll('.leaflet-marker-icon').length"
"""The issue markers (and clusters) Leaflet drew."""
PASSWORD = {name: f"{name}-offline-pass" for name in ("insp-wang", "insp-li")}


@pytest.fixture
def live(sample_url: str, tmp_path: Path) -> Iterator[str]:
    """The service on the sample town as deployed (anonymous reads off), on a local port."""
    app = deployed_app(sample_url, photo_root=tmp_path / "photos")
    with serving(app) as url:
        yield url


class ClaimedInFlight:
    """The first visits' race, made to happen every time (ASGI around the app): the worker's
    install waits until a site-visit sheet has been sent, and the sheet's offline.js waits
    until the install is through and a second more, so the worker activates and claims the
    sheet after its request went past the worker but before its script runs. Static answers
    are sent `no-cache` so that the script is asked for again, not reused from the HTTP
    cache."""

    HELD = "/static/lib/exifr/mini.umd.js"  # in the worker's install list, not on the sheet

    def __init__(self, app) -> None:
        self.app = app
        self.sheet_started = threading.Event()  # the sheet's answer has begun
        self.sheet_sent = threading.Event()  # ... and is all sent
        self.held_sent = threading.Event()  # the worker's held install file is answered
        self.script_delayed = threading.Event()

    @staticmethod
    async def wait(event: threading.Event, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while not event.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path == self.HELD:
            await self.wait(self.sheet_sent)
        late = path == "/static/offline.js" and self.sheet_started.is_set()
        if late and not self.script_delayed.is_set():
            self.script_delayed.set()
            await self.wait(self.held_sent)
            await asyncio.sleep(1.0)  # the worker activates and claims its clients
        sheet = re.fullmatch(r"/pages/villages/[^/]+/visit", path) is not None

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                if sheet:
                    self.sheet_started.set()
                if path.startswith("/static/"):
                    headers = [
                        (k, v) for k, v in message["headers"] if k.lower() != b"cache-control"
                    ]
                    message = {**message, "headers": [*headers, (b"cache-control", b"no-cache")]}
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                if sheet:
                    self.sheet_sent.set()
                if path == self.HELD:
                    self.held_sent.set()

        await self.app(scope, receive, sending)


def add_inspectors(url: str) -> None:
    from sqlalchemy import create_engine

    from geo.users import create_user

    engine = create_engine(url)
    with engine.begin() as conn:
        for name, password in PASSWORD.items():
            create_user(conn, name=name, role="inspector", password=password)
    engine.dispose()


def shots_dir(tmp_path: Path) -> Path:
    return Path(os.environ.get("CUNRONG_SHOTS_DIR") or tmp_path)


def fill_login(page: Page, name: str) -> None:
    page.fill("#username", name)
    page.fill("#password", PASSWORD[name])
    page.click("button[type=submit]")


def kept(page: Page) -> list[str]:
    """The paths (with queries) of the pages kept for offline use."""
    return page.evaluate(
        """async (name) => {
          if (!(await caches.keys()).includes(name)) return [];
          const c = await caches.open(name);
          const path = (r) => { const u = new URL(r.url); return u.pathname + u.search; };
          return (await c.keys()).map(path);
        }""",
        PAGES_CACHE,
    )


def kept_users(page: Page) -> set[str]:
    return set(
        page.evaluate(
            """async (name) => {
              const c = await caches.open(name);
              const rs = await Promise.all((await c.keys()).map(r => c.match(r)));
              return rs.map(r => r.headers.get('X-Cunrong-User'));
            }""",
            PAGES_CACHE,
        )
    )


def wait_kept(page: Page, *paths: str) -> None:
    for _ in range(200):
        if all(p in kept(page) for p in paths):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"not kept: {paths}; kept: {kept(page)}")


def map_frame(page: Page) -> Frame:
    frame = next(f for f in page.frames if "/maps/issues" in f.url)
    frame.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
    return frame


def test_site_visit_offline_from_the_kept_copy_and_gone_after_sign_out(
    live, sample_url, browser, tmp_path
):
    shots = shots_dir(tmp_path)
    add_inspectors(sample_url)
    page = browser.open(f"{live}/", viewport=PHONE)
    assert "/login?next=" in page.url
    fill_login(page, "insp-wang")
    page.wait_for_url(f"{live}/")
    visit = page.locator("#recheck a").first.get_attribute("href")
    assert visit and re.match(r"^/pages/villages/[^/]+/visit\?", visit)

    page.goto(f"{live}{visit}")
    page.wait_for_selector("#stops")
    stops = page.locator("#stops tbody tr").all_inner_texts()
    assert stops
    online_points = map_frame(page).evaluate(POINTS)
    assert online_points > 0
    iframe_src = page.locator("iframe.map").get_attribute("src")
    wait_kept(page, visit, iframe_src)
    assert kept_users(page) == {page.get_attribute('meta[name="cunrong-user"]', "content")}
    assert page.locator("#cunrong-offline").count() == 0  # online: no banner

    # No network: the same sheet, from the kept copy, says so and shows its issues.
    page.context.set_offline(True)
    answer = page.reload()
    banner = page.locator("#cunrong-offline")
    banner.wait_for()
    # The kept copy replays its own Content-Security-Policy: its nonce is its scripts' one.
    assert answer is not None and answer.from_service_worker
    nonce = re.search(r"'nonce-([^']+)'", answer.headers["content-security-policy"])
    assert nonce and page.evaluate(
        "(n) => [...document.scripts].every(s => s.nonce === n)", nonce.group(1)
    )
    text = banner.inner_text()
    assert re.search(
        r"^离线 — 显示 \d\d:\d\d 的数据 / Offline — showing data from \d\d:\d\d$", text
    ), text
    assert page.locator("#stops tbody tr").all_inner_texts() == stops
    assert "insp-wang" in page.locator("#signed-in").inner_text()
    frame = map_frame(page)
    assert frame.evaluate(POINTS) == online_points
    assert frame.locator("#cunrong-offline").count() == 0  # the sheet's banner is enough
    assert browser.csp_violations(page) == []  # the frame's banner script had its nonce
    page.evaluate("() => window.scrollTo(0, 0)")
    browser.screenshot(page, shots / "offline-visit-phone.png")
    page.set_viewport_size(PC)
    browser.screenshot(page, shots / "offline-visit-pc.png")
    page.set_viewport_size(PHONE)

    # The issue map on its own: its own banner, the same points.
    page.goto(f"{live}{iframe_src}")
    page.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
    assert page.locator("#cunrong-offline").inner_text() == text
    assert page.evaluate(POINTS) == online_points
    assert browser.csp_violations(page) == []
    browser.screenshot(page, shots / "offline-map-phone.png")

    # A page never opened is not there offline: a plain "not saved" page, not a browser error.
    page.goto(f"{live}/pages/inbox?unread=true")
    assert page.locator("#cunrong-not-saved").count() == 1

    # Back online, the kept sheet offers the fresh one.
    page.goto(f"{live}{visit}")
    banner.wait_for()
    page.context.set_offline(False)
    page.locator("#cunrong-back").click()
    page.wait_for_selector("#stops")
    assert page.locator("#cunrong-offline").count() == 0
    wait_kept(page, visit)

    # Signing out empties the kept pages; the next person, offline, gets none of them.
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login"))
    assert kept(page) == []
    fill_login(page, "insp-li")
    page.wait_for_url(f"{live}/pages/report")
    page.context.set_offline(True)
    page.goto(f"{live}{visit}")
    assert page.locator("#cunrong-not-saved").count() == 1
    html = page.content()
    assert "insp-wang" not in html and 'id="stops"' not in html
    browser.screenshot(page, shots / "offline-not-saved.png")
    assert browser.log(page).errors == []
    browser.close_page(page)


def test_a_sheet_claimed_while_its_request_was_in_flight_is_kept(sample_url, browser, tmp_path):
    """The worker installs and claims the sheet while the sheet's own request is on its way
    past it: the sheet is controlled when its script runs, yet it was not kept by the worker,
    so it asks for its copy itself."""
    add_inspectors(sample_url)
    racing = ClaimedInFlight(deployed_app(sample_url, photo_root=tmp_path / "photos"))
    with serving(racing) as url:
        page = browser.open(f"{url}/", viewport=PHONE)
        fill_login(page, "insp-wang")
        page.wait_for_url(f"{url}/")
        visit = page.locator("#recheck a").first.get_attribute("href")
        assert visit
        page.goto(f"{url}{visit}")
        page.wait_for_selector("#stops")
        assert racing.script_delayed.is_set()
        state = page.evaluate(
            """() => ({
              controlled: !!navigator.serviceWorker.controller,
              workerStart: performance.getEntriesByType('navigation')[0].workerStart,
            })"""
        )
        assert state == {"controlled": True, "workerStart": 0}, state  # the race happened
        wait_kept(page, visit)
        page.context.set_offline(True)
        page.reload()
        page.locator("#cunrong-offline").wait_for()
        assert page.locator("#stops tbody tr").count() > 0
        browser.close_page(page)


def test_an_answer_for_another_user_empties_the_kept_pages(live, sample_url, browser):
    """Without passing the sign-in page (a session cookie swapped in), the worker still keeps
    one user's pages only."""
    add_inspectors(sample_url)
    other = browser.open(f"{live}/pages/recheck")
    fill_login(other, "insp-li")
    other.wait_for_url(f"{live}/pages/recheck")
    li_cookies = other.context.cookies()
    li_id = other.get_attribute('meta[name="cunrong-user"]', "content")
    browser.close_page(other)

    page = browser.open(f"{live}/pages/recheck")
    fill_login(page, "insp-wang")
    page.wait_for_url(f"{live}/pages/recheck")
    wang_id = page.get_attribute('meta[name="cunrong-user"]', "content")
    page.goto(f"{live}/pages/inbox")  # controlled by now: kept through the worker
    wait_kept(page, "/pages/inbox")
    assert kept_users(page) == {wang_id}

    page.context.clear_cookies()
    page.context.add_cookies(li_cookies)
    page.goto(f"{live}/pages/report")
    assert li_id in page.get_attribute('meta[name="cunrong-user"]', "content")
    wait_kept(page, "/pages/report")
    assert kept(page) == ["/pages/report"]
    assert kept_users(page) == {li_id}
    browser.close_page(page)


def test_a_village_page_offline_and_error_pages_never_kept(live, sample_url, browser, tmp_path):
    """A village user's page with its issues and their pins offline; a refused page (403)
    and a bad month (422) are not kept, so offline they are "not saved", not the error."""
    from sqlalchemy import create_engine, text

    from geo.users import create_user

    engine = create_engine(sample_url)
    with engine.begin() as conn:
        code = conn.execute(
            text(
                "SELECT v.code FROM issue i JOIN village v ON v.id = i.village_id"
                " WHERE i.status IN ('open', 'unrectified')"
                " GROUP BY v.code ORDER BY count(*) DESC, v.code LIMIT 1"
            )
        ).scalar_one()
        other = conn.execute(
            text("SELECT code FROM village WHERE code <> :c ORDER BY code LIMIT 1"), {"c": code}
        ).scalar_one()
        create_user(conn, name="cun", role="village", village_code=code, password="cun-offline-1")
    engine.dispose()
    page = browser.open(f"{live}/pages/my-village", viewport=PC)
    page.fill("#username", "cun")
    page.fill("#password", "cun-offline-1")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/pages/my-village")
    page.wait_for_function("() => window.cunrongReady === true")
    issues = page.locator("section.issue").evaluate_all("(s) => s.map(e => e.dataset.code)")
    pins = page.locator("#map .leaflet-marker-icon").count()
    assert issues and pins == len(issues)
    wait_kept(page, "/pages/my-village")
    for path, status in (
        (f"/pages/my-village?village={other}", 403),
        ("/pages/inbox?before=x", 422),
    ):
        answer = page.goto(f"{live}{path}")
        assert answer is not None and answer.status == status, path
    page.goto(f"{live}/pages/my-village")  # controlled now: kept again through the worker
    page.wait_for_function("() => window.cunrongReady === true")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.cunrongReady === true")
    assert page.locator("#cunrong-offline").inner_text().startswith("离线 — 显示 ")
    assert page.locator("section.issue").evaluate_all("(s) => s.map(e => e.dataset.code)") == issues
    assert page.locator("#map .leaflet-marker-icon").count() == pins
    assert browser.csp_violations(page) == []
    page.evaluate("() => window.scrollTo(0, 0)")  # a reload keeps the scroll position
    browser.screenshot(page, shots_dir(tmp_path) / "offline-village-pc.png")
    for path, _ in ((f"/pages/my-village?village={other}", 403), ("/pages/inbox?before=x", 422)):
        assert path not in kept(page)
        page.goto(f"{live}{path}")
        assert page.locator("#cunrong-not-saved").count() == 1, path
    browser.close_page(page)
