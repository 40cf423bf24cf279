"""The office's, leaders' and planners' pages without a network, and queued captures that
belong to their owner, in headless Chromium on the sample town.

A leader opens the dashboard, the ranking map and the district view; with the network cut
they reload from the service worker's copies under the banner 离线 — 显示 HH:MM 的数据. The
town office's kept pages say their forms cannot be sent offline and disable them. Signing
out empties the copies: the next person on the same browser gets "not saved". The kept
copies stay within `offline_keep_bytes`, the oldest dropped first. A capture queued by one
inspector is never sent by the next one on the same phone: it waits for its owner.

Screenshots go to tmp_path, or to CUNRONG_SHOTS_DIR when set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Page, Request, Route
from sqlalchemy import create_engine

from tests.server import deployed_app, serving
from tests.service.test_field_browser import photo, pick_spot, reported_by
from tests.service.test_offline_browser import kept, kept_users, shots_dir, wait_kept

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
PC = {"width": 1366, "height": 768}
BANNER = re.compile(r"^离线 — 显示 \d\d:\d\d 的数据 / Offline — showing data from \d\d:\d\d")
USERS = {
    "lead-zhou": "leader",
    "office-ma": "admin",
    "insp-wang": "inspector",
    "insp-li": "inspector",
    "plan-xu": "planner",
}
PASSWORD = {name: f"{name}-offline-pass" for name in USERS}


@pytest.fixture
def app(sample_url: str, tmp_path: Path) -> Any:
    """The service on the sample town as deployed (anonymous reads off), with its users."""
    from geo.users import create_user

    engine = create_engine(sample_url)
    tokens = {}
    with engine.begin() as conn:
        for name, role in USERS.items():
            _, tokens[name] = create_user(conn, name=name, role=role, password=PASSWORD[name])
    engine.dispose()
    application = deployed_app(sample_url, photo_root=tmp_path / "photos")
    application.state.test_tokens = tokens
    return application


@pytest.fixture
def live(app: Any) -> Iterator[str]:
    with serving(app) as url:
        yield url


def sign_in(page: Page, base: str, name: str) -> None:
    """Sign in on the sign-in page (whatever page the browser is on)."""
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD[name])
    page.click("button[type=submit]")
    page.wait_for_selector("#signed-in")
    assert name in page.locator("#signed-in").inner_text()


def sign_in_to_map(page: Page, base: str, name: str) -> None:
    """Sign in where the user lands on a map (no header to read the name from)."""
    page.goto(f"{base}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD[name])
    page.click("button[type=submit]")


def sign_out(page: Page) -> None:
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login"))


def path_of(url: str) -> str:
    u = urlparse(url)
    return u.path + (f"?{u.query}" if u.query else "")


def kept_sizes(page: Page) -> dict[str, int]:
    """Each kept page (path with query) and its size as the worker recorded it."""
    return page.evaluate(
        """async () => {
          const c = await caches.open('cunrong-pages-v1');
          const out = {};
          for (const r of await c.keys()) {
            const u = new URL(r.url);
            out[u.pathname + u.search] = Number((await c.match(r)).headers.get('X-Cunrong-Size'));
          }
          return out;
        }"""
    )


def banner_text(page: Page) -> str:
    banner = page.locator("#cunrong-offline")
    banner.wait_for()
    return banner.inner_text()


def test_leader_pages_offline_and_gone_after_sign_out(live, browser, tmp_path):
    shots = shots_dir(tmp_path)
    page = browser.open(f"{live}/login", viewport=PHONE)
    sign_in(page, live, "lead-zhou")
    page.wait_for_url(f"{live}/")  # a leader lands on the dashboard
    leader_id = page.get_attribute('meta[name="cunrong-user"]', "content")
    wait_kept(page, "/")  # opened before the worker controlled it: kept on the page's asking
    counts = page.locator(".cards").first.inner_text()
    ranking = page.locator('section.maps a[href^="/maps/ranking?"]').get_attribute("href")
    district = page.locator("#district-link").get_attribute("href")
    assert ranking and district

    page.goto(f"{live}{ranking}")
    page.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
    ranked = page.locator("path.cr-ranked").count()
    assert ranked > 0
    page.goto(f"{live}{district}")
    framed = page.locator("iframe.map").get_attribute("src")
    towns = page.locator("tbody tr").all_inner_texts()
    assert framed and towns
    month = re.search(r"month=(\d{4}-\d{2})", ranking)
    assert month
    bulletin = f"/bulletins/{month.group(1)}.png"
    fetch_png = """(u) => fetch(u).then(async r => [r.status, r.headers.get('Content-Type'),
                                             (await r.arrayBuffer()).byteLength])"""
    online_png = page.evaluate(fetch_png, bulletin)
    assert online_png[:2] == [200, "image/png"] and online_png[2] > 10_000
    wait_kept(page, "/", ranking, district, framed, bulletin)
    assert kept_users(page) == {leader_id}

    # No network: the dashboard, the ranking map and the district view from the kept copies.
    page.context.set_offline(True)
    page.goto(f"{live}/")
    assert BANNER.match(banner_text(page)), banner_text(page)
    assert page.locator(".cards").first.inner_text() == counts
    assert "lead-zhou" in page.locator("#signed-in").inner_text()
    assert page.locator("#cunrong-forms-offline").count() == 0  # no form posts from here
    browser.screenshot(page, shots / "offline-dashboard-phone.png")
    page.set_viewport_size(PC)
    browser.screenshot(page, shots / "offline-dashboard-pc.png")

    page.goto(f"{live}{ranking}")
    page.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
    assert BANNER.match(banner_text(page))
    assert page.locator("path.cr-ranked").count() == ranked
    browser.screenshot(page, shots / "offline-ranking-pc.png")
    page.set_viewport_size(PHONE)
    browser.screenshot(page, shots / "offline-ranking-phone.png")

    page.goto(f"{live}{district}")
    assert BANNER.match(banner_text(page))
    assert page.locator("tbody tr").all_inner_texts() == towns
    frame = next(f for f in page.frames if "/maps/districts/" in f.url)
    frame.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
    assert frame.locator("#cunrong-offline").count() == 0  # the page's banner is enough

    assert page.evaluate(fetch_png, bulletin) == online_png  # the bulletin, as it was

    # Never opened: "not saved", not the browser's error page; so are the pages that are
    # never kept (the API docs).
    for path in ("/maps/hotspots", "/docs"):
        page.goto(f"{live}{path}")
        assert page.locator("#cunrong-not-saved").count() == 1, path

    # Signing out (online) empties the copies; the next person gets none of them.
    page.context.set_offline(False)
    page.goto(f"{live}/")
    sign_out(page)
    assert kept(page) == []
    sign_in(page, live, "office-ma")
    page.context.set_offline(True)
    for path in ("/", ranking, district):
        page.goto(f"{live}{path}")
        assert page.locator("#cunrong-not-saved").count() == 1, path
        assert "lead-zhou" not in page.content()
    assert browser.log(page).errors == []
    browser.close_page(page)


def test_a_planner_lands_on_the_sites_map_and_has_it_offline(live, browser, tmp_path):
    """A map page is not base.html: it carries the user and offline.js itself, so the map a
    planner lands on right after signing in is kept although no other page was opened."""
    page = browser.open(f"{live}/login", viewport=PHONE)
    sign_in_to_map(page, live, "plan-xu")
    page.wait_for_url(f"{live}/sites/map")
    page.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
    sites = page.locator(".cr-site-rank").count()
    assert sites > 0
    assert page.get_attribute('meta[name="cunrong-user"]', "content")
    wait_kept(page, "/sites/map")

    page.context.set_offline(True)
    page.reload()
    page.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
    assert BANNER.match(banner_text(page))
    assert page.locator(".cr-site-rank").count() == sites
    browser.screenshot(page, shots_dir(tmp_path) / "offline-sites-phone.png")
    page.set_viewport_size(PC)
    browser.screenshot(page, shots_dir(tmp_path) / "offline-sites-pc.png")
    assert browser.log(page).errors == []
    browser.close_page(page)


def test_office_pages_offline_say_their_forms_need_a_connection(live, browser, tmp_path):
    shots = shots_dir(tmp_path)
    page = browser.open(f"{live}/login", viewport=PC)
    sign_in(page, live, "office-ma")
    page.wait_for_url(f"{live}/pages/office/")
    wait_kept(page, "/pages/office/")
    page.goto(f"{live}/pages/office/scores")
    grid = page.locator("#score-grid")
    assert grid.count() == 1
    online_buttons = page.locator("#score-grid button[type=submit]").count()
    assert online_buttons > 0
    page.goto(f"{live}/pages/office/users")
    users = page.locator("table tbody tr").count()
    wait_kept(page, "/pages/office/", "/pages/office/scores", "/pages/office/users")

    page.context.set_offline(True)
    page.goto(f"{live}/pages/office/scores")
    text = banner_text(page)
    assert BANNER.match(text), text
    forms_line = page.locator("#cunrong-forms-offline").inner_text()
    assert forms_line.startswith("本页的表单离线时不能提交")
    assert "Forms on this page cannot be sent offline" in forms_line
    disabled = page.evaluate(
        """() => [...document.querySelectorAll('form')].map(f => ({
             method: (f.getAttribute('method') || 'get').toLowerCase(),
             action: f.getAttribute('action'),
             submits: [...f.querySelectorAll('button, input')].filter(b => b.type === 'submit')
                       .map(b => b.disabled)}))"""
    )
    posting = [f for f in disabled if f["method"] == "post" and f["action"] != "/logout"]
    assert posting and all(f["submits"] and all(f["submits"]) for f in posting)
    assert all(not any(f["submits"]) for f in disabled if f["action"] == "/logout")
    assert all(not any(f["submits"]) for f in disabled if f["method"] == "get")
    assert page.locator("#score-grid button[type=submit]:disabled").count() == online_buttons
    browser.screenshot(page, shots / "offline-office-scores-pc.png")
    page.set_viewport_size(PHONE)
    browser.screenshot(page, shots / "offline-office-scores-phone.png")

    page.goto(f"{live}/pages/office/users")
    assert BANNER.match(banner_text(page))
    assert page.locator("table tbody tr").count() == users
    assert page.locator("#add-user button[type=submit]").is_disabled()

    # Back online: the fresh page, with its forms working again.
    page.context.set_offline(False)
    page.wait_for_selector("#cunrong-back")
    page.click("#cunrong-back")
    page.wait_for_selector("#add-user")
    assert page.locator("#cunrong-offline").count() == 0
    assert page.locator("#add-user button[type=submit]").is_enabled()
    assert browser.log(page).errors == []
    browser.close_page(page)


def test_kept_pages_stay_within_the_cap_oldest_first(app, live, browser):
    """With the cap just above the status and hotspot maps together, opening the dashboard,
    the ranking map, the status map, then the hotspot map keeps only the last two; a map
    larger than the cap is not kept at all."""
    token = app.state.test_tokens["lead-zhou"]
    with httpx.Client(base_url=live, headers={"Authorization": f"Bearer {token}"}) as http:
        size = {p: len(http.get(p).content) for p in ("/maps/status", "/maps/hotspots")}
        size["/maps/issues"] = len(http.get("/maps/issues").content)
    cap = size["/maps/status"] + size["/maps/hotspots"] + 20_000
    app.state.settings.offline_keep_bytes = cap  # read when /sw.js is served

    page = browser.open(f"{live}/login", viewport=PC)
    sign_in(page, live, "lead-zhou")
    page.wait_for_url(f"{live}/")
    assert f"var KEEP_BYTES = {cap};" in page.evaluate("() => fetch('/sw.js').then(r => r.text())")
    wait_kept(page, "/")
    opened = ["/"]
    for path in ("/maps/ranking", "/maps/status", "/maps/hotspots"):
        page.goto(f"{live}{path}")
        page.wait_for_function("() => window.cunrongReady === true", timeout=30_000)
        wait_kept(page, path)
        opened.append(path)
        sizes = kept_sizes(page)
        assert sum(sizes.values()) <= cap, sizes
        if path == "/maps/status":  # everything so far fits
            assert set(sizes) == set(opened), sizes
    # The hotspot map did not fit beside the three before it: the dashboard and the ranking
    # map (the oldest) went; the status map (newer) stayed.
    assert set(kept_sizes(page)) == {"/maps/status", "/maps/hotspots"}

    assert size["/maps/issues"] > cap
    page.goto(f"{live}/maps/issues")
    page.wait_for_function("() => window.cunrongReady === true", timeout=60_000)
    page.wait_for_timeout(1000)  # the worker had its chance to keep it
    assert set(kept(page)) == {"/maps/status", "/maps/hotspots"}
    browser.close_page(page)


def test_a_keep_under_way_when_signing_out_puts_nothing_back(live, browser):
    """Signing out tells the worker to forget: a map it was still fetching to keep (asked
    just before) is abandoned, not put back into the emptied cache."""
    page = browser.open(f"{live}/login", viewport=PC)
    sign_in(page, live, "lead-zhou")
    page.wait_for_url(f"{live}/")
    wait_kept(page, "/")
    page.goto(f"{live}/pages/inbox")  # controlled by the worker from here on
    wait_kept(page, "/", "/pages/inbox")
    answer = page.evaluate(
        """() => new Promise((resolve) => {
             const sw = navigator.serviceWorker;
             sw.addEventListener('message', (ev) => { if (ev.data.kept) resolve(ev.data); });
             sw.controller.postMessage({ keep: ['/maps/hotspots'] });
             window.cunrongOffline.forget();
           })"""
    )
    assert answer == {"kept": ["/maps/hotspots"], "results": [False]}
    assert kept(page) == []

    # Without a sign-out in between, the same request keeps the map.
    answer = page.evaluate(
        """() => new Promise((resolve) => {
             const sw = navigator.serviceWorker;
             sw.addEventListener('message', (ev) => { if (ev.data.kept) resolve(ev.data); });
             sw.controller.postMessage({ keep: ['/maps/hotspots'] });
           })"""
    )
    assert answer == {"kept": ["/maps/hotspots"], "results": [True]}
    assert kept(page) == ["/maps/hotspots"]
    browser.close_page(page)


def block_issue_posts(page: Page, log: list[str]) -> Callable[[], None]:
    """The server is unreachable for new issues (the report stays queued); every POST of an
    issue the page tries is logged. Returns what lifts the block."""

    def handle(route: Route, request: Request) -> None:
        if request.method == "POST":
            log.append(request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    def issues(url: str) -> bool:
        return urlparse(url).path == "/issues"

    page.context.route(issues, handle)
    return lambda: page.context.unroute(issues, handle)


def test_a_queued_capture_waits_for_its_owner(live, sample_url, browser, tmp_path):
    code, _, lon, lat = pick_spot(sample_url)
    page = browser.open(
        f"{live}/login",
        viewport=PHONE,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        permissions=["geolocation"],
    )
    sign_in(page, live, "insp-wang")
    page.wait_for_url(f"{live}/pages/report")
    page.wait_for_function("() => window.cunrongReady === true")
    page.wait_for_selector("#place.ok")

    # Wang saves a report with no network; it stays queued (the server unreachable for it).
    page.context.set_offline(True)
    page.set_input_files("#photos", str(photo(tmp_path / "w.jpg", (90, 140, 60), "W")))
    page.wait_for_selector("#previews img")
    page.click('#categories .cat[data-code="weeds"]')
    page.fill("#description", "王的离线记录")
    page.click("#save")
    page.wait_for_function("() => document.getElementById('pending').textContent === '待上传 1 条'")
    posts: list[str] = []
    unblock = block_issue_posts(page, posts)
    page.context.set_offline(False)
    page.evaluate("() => window.cunrong.outbox.flush()")
    page.wait_for_function("() => window.cunrong.outbox.idle()")
    assert posts  # Wang's page tried, and the report is still waiting
    assert page.locator("#pending").inner_text() == "待上传 1 条"
    assert page.locator("#pending-others").is_hidden()

    # Wang signs out: the report stays for him, and the sign-in page says so.
    sign_out(page)
    note = page.locator("#pending-at-sign-out").inner_text()
    assert note.startswith("你还有 1 条记录在本机待上传"), note
    browser.screenshot(page, shots_dir(tmp_path) / "offline-signed-out-pending-phone.png")

    # Li signs in on the same phone: Wang's report is counted, never sent as hers.
    posts.clear()
    sign_in(page, live, "insp-li")
    page.wait_for_url(f"{live}/pages/report")
    page.wait_for_function("() => window.cunrongReady === true")
    page.wait_for_function("() => document.getElementById('pending-others').dataset.count === '1'")
    others = page.locator("#pending-others")
    assert others.is_visible()
    assert others.inner_text() == "另有 1 条属于其他账号，待其在本机登录后上传"
    assert page.locator("#pending").is_hidden()
    page.evaluate("() => window.cunrong.outbox.flush()")
    page.wait_for_function("() => window.cunrong.outbox.idle()")
    assert posts == []  # not even tried
    assert "王的离线记录" not in page.content()
    browser.screenshot(page, shots_dir(tmp_path) / "offline-others-waiting-phone.png")
    page.set_viewport_size(PC)
    browser.screenshot(page, shots_dir(tmp_path) / "offline-others-waiting-pc.png")
    page.set_viewport_size(PHONE)
    assert reported_by(sample_url, "insp-li") == []
    assert reported_by(sample_url, "insp-wang") == []
    sign_out(page)
    assert page.locator("#pending-at-sign-out").count() == 0  # Li had nothing waiting

    # Wang signs in again: his report goes out, once, as his.
    unblock()
    sign_in(page, live, "insp-wang")
    page.wait_for_url(f"{live}/pages/report")
    page.wait_for_selector("#sent li.ok", timeout=30_000)
    page.wait_for_function("() => window.cunrong.outbox.idle()")
    assert page.locator("#pending").is_hidden()
    sent = reported_by(sample_url, "insp-wang")
    assert [(c[1], c[2]) for c in sent] == [("weeds", 1)]
    assert sent[0][0].startswith(code)
    assert reported_by(sample_url, "insp-li") == []
    assert page.locator("#pending-others").is_hidden()
    assert browser.log(page).errors == []
    browser.close_page(page)


def after_load_frames(page: Page, frames: int = 6) -> None:
    """Wait for the page's load event and then a few animation frames (scroll restoring and
    the scroll events it fires happen there)."""
    page.wait_for_load_state("load")
    page.evaluate(
        """(n) => new Promise((done) => {
             const step = (k) => k ? requestAnimationFrame(() => step(k - 1)) : done();
             step(n); })""",
        frames,
    )


def test_a_reload_offline_opens_at_the_header_not_under_the_banner(live, browser):
    """Reloading a kept page read from its top shows the header (its navigation) below the
    banner, not scrolled away under it; a reader further down keeps their place."""
    page = browser.open(f"{live}/login", viewport=PC)
    sign_in(page, live, "office-ma")
    page.wait_for_url(f"{live}/pages/office/")
    page.goto(f"{live}/pages/office/scores")
    wait_kept(page, "/pages/office/scores")
    page.reload()
    page.context.set_offline(True)
    page.reload()
    assert BANNER.match(banner_text(page))
    after_load_frames(page)  # the reload's scroll restoring lands with the first frames
    banner = page.locator("#cunrong-offline").bounding_box()
    header = page.locator("header.top").bounding_box()
    assert banner is not None and header is not None
    assert page.evaluate("window.scrollY") == 0
    assert header["y"] >= banner["y"] + banner["height"] - 1, (banner, header)

    page.evaluate("window.scrollTo(0, 400)")
    page.reload()
    assert BANNER.match(banner_text(page))
    after_load_frames(page)
    assert page.evaluate("window.scrollY") >= 400
    assert browser.log(page).errors == []
    browser.close_page(page)


OUTBOX_OWNERS = """() => new Promise((resolve) => {
  const req = indexedDB.open('cunrong-outbox');
  req.onsuccess = () => {
    const all = req.result.transaction('reports').objectStore('reports').getAll();
    all.onsuccess = () => { req.result.close(); resolve(all.result.length); };
  };
})"""
"""How many captures wait in the phone's outbox, whoever saved them."""


def test_a_capture_waiting_shows_on_other_pages_and_at_sign_out_from_any(
    live, sample_url, browser, tmp_path
):
    """Only the capture page sends (and counted) waiting captures. An inspector who saved one
    offline and then reads the inbox sees 待上传 1 条 in its header, linked to the capture page;
    signing out from there the sign-in page says the capture waits for them; signing in again
    sends it, once, as theirs."""
    code, _, lon, lat = pick_spot(sample_url)
    page = browser.open(
        f"{live}/login",
        viewport=PHONE,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        permissions=["geolocation"],
    )
    sign_in(page, live, "insp-wang")
    page.goto(f"{live}/pages/inbox")  # kept for offline use
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    page.goto(f"{live}/pages/report")
    page.wait_for_function("() => window.cunrongReady === true")
    page.wait_for_selector("#place.ok")
    page.context.set_offline(True)
    page.set_input_files("#photos", str(photo(tmp_path / "w.jpg", (90, 140, 60), "W")))
    page.wait_for_selector("#previews img")
    page.click('#categories .cat[data-code="weeds"]')
    page.click("#save")
    page.wait_for_function("() => document.getElementById('pending').dataset.count === '1'")

    page.goto(f"{live}/pages/inbox")  # the kept copy, offline
    banner_text(page)
    pending = page.locator("#pending-elsewhere")
    assert pending.inner_text() == "待上传 1 条"
    assert pending.get_attribute("href") == "/pages/report"
    browser.screenshot(page, shots_dir(tmp_path) / "offline-pending-elsewhere-phone.png")
    page.context.set_offline(False)
    page.goto(f"{live}/pages/inbox?lang=en")  # online now; the inbox sends nothing
    assert page.locator("#pending-elsewhere").inner_text() == "1 waiting to upload"
    assert reported_by(sample_url, "insp-wang") == []

    sign_out(page)
    note = page.locator("#pending-at-sign-out").inner_text()
    assert note.startswith("你还有 1 条记录在本机待上传"), note

    sign_in(page, live, "insp-li")  # another inspector reads pages: nothing of Wang's shows
    page.goto(f"{live}/pages/inbox")
    assert page.evaluate(OUTBOX_OWNERS) == 1  # Wang's capture is there (read after the page's)
    assert page.locator("#pending-elsewhere").count() == 0
    sign_out(page)
    assert page.locator("#pending-at-sign-out").count() == 0

    sign_in(page, live, "insp-wang")
    page.wait_for_url(f"{live}/pages/report")
    page.wait_for_selector("#sent li.ok", timeout=30_000)
    sent = reported_by(sample_url, "insp-wang")
    assert [(c[1], c[2]) for c in sent] == [("weeds", 1)] and sent[0][0].startswith(code)
    assert reported_by(sample_url, "insp-li") == []
    page.goto(f"{live}/pages/inbox")
    assert page.evaluate(OUTBOX_OWNERS) == 0
    assert page.locator("#pending-elsewhere").count() == 0
    assert browser.log(page).errors == []
    browser.close_page(page)


def test_signing_out_offline_says_it_cannot_and_keeps_the_pages(live, browser, tmp_path):
    """Without a connection 退出 cannot reach the server: the session would stay signed in
    on the phone behind the browser's error page. The page says so instead, keeps its copies,
    and once online 退出 signs out."""
    page = browser.open(f"{live}/login", viewport=PHONE)
    sign_in(page, live, "insp-wang")
    page.goto(f"{live}/pages/inbox")
    wait_kept(page, "/pages/inbox")
    page.context.set_offline(True)
    page.reload()
    banner_text(page)
    page.click("#logout")
    said = page.locator("#offline-sign-out")
    assert said.inner_text() == "离线时不能退出：账号仍在本机登录。联网后再点“退出”。"
    assert urlparse(page.url).path == "/pages/inbox"  # not the browser's error page
    assert "/pages/inbox" in kept(page)
    browser.screenshot(page, shots_dir(tmp_path) / "offline-sign-out-phone.png")
    page.context.set_offline(False)
    sign_out(page)
    page.goto(f"{live}/pages/inbox")
    assert urlparse(page.url).path == "/login"  # signed out for real
    assert kept(page) == []
    assert browser.log(page).errors == []
    browser.close_page(page)
