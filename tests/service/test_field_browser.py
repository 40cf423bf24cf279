"""The closed loop run by people in headless Chromium, on the sample town.

admin creates users → an inspector on a 390 px phone reports an issue (geolocation set by
the test, a JPEG made here), then reports a second one with the network cut (待上传 1 条) that
arrives exactly once when the network returns → the village user sees only its village and
submits with an after-photo → the inspector rechecks and closes → the dashboard changes.

Screenshots go to tmp_path, or to CUNRONG_SHOTS_DIR when set (docs/ screenshots are made so).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from PIL import ExifTags, Image, ImageDraw
from PIL.TiffImagePlugin import IFDRational
from sqlalchemy import create_engine, text

from service.cli import app as cli
from tests.cli import runner_for
from tests.server import deployed_app, serving

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
PC = {"width": 1366, "height": 768}


@pytest.fixture
def live(sample_url: str, tmp_path: Path) -> Iterator[str]:
    """The service on the sample town as deployed (anonymous reads off), on a local port."""
    # anonymous reads off: every page needs a sign-in
    app = deployed_app(sample_url, photo_root=tmp_path / "photos")
    with serving(app) as url:
        yield url


def _dms(value: float) -> tuple[IFDRational, IFDRational, IFDRational]:
    d = int(value)
    m = int((value - d) * 60)
    s = (value - d - m / 60) * 3600
    return IFDRational(d, 1), IFDRational(m, 1), IFDRational(round(s * 10000), 10000)


def photo(
    path: Path, color: tuple[int, int, int], label: str, gps: tuple[float, float] | None = None
) -> Path:
    """A camera-sized JPEG (the page shrinks it before upload), with EXIF GPS (lon, lat)."""
    image = Image.new("RGB", (2400, 1800), color)
    draw = ImageDraw.Draw(image)
    for x in range(0, 2400, 150):
        draw.line([(x, 0), (2400 - x, 1800)], fill=(255, 255, 255), width=12)
    draw.rectangle([900, 700, 1500, 1100], fill=(40, 40, 40))
    draw.text((950, 850), label, fill=(255, 255, 255))
    exif = Image.Exif()
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: _dms(gps[1]), 3: "E", 4: _dms(gps[0])}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif)
    path.write_bytes(out.getvalue())
    return path


def add_user(url: str, name: str, role: str, village: str | None = None) -> str:
    """`cunrong user add NAME --role … --password` as the office runs it; returns the token."""
    args = ["user", "add", name, "--role", role, "--password"]
    args += ["--village", village] if village else []
    password = PASSWORD[name]
    result = runner_for(url).invoke(cli, args, input=f"{password}\n{password}\n")
    assert result.exit_code == 0, result.output
    match = re.search(r"token: (\S+)", result.output)
    assert match, result.output
    return match.group(1)


PASSWORD = {
    name: f"{name}-field-pass"
    for name in ("office", "insp-wang", "insp-li", "insp-zhao", "insp-sun", "village")
}


def sign_in(browser, base: str, name: str, path: str, **options):
    """A person opens `path`, is sent to the sign-in page, signs in and comes back."""
    page = browser.open(f"{base}{path}", **options)
    assert "/login?next=" in page.url
    page.fill("#username", name)
    page.fill("#password", PASSWORD[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{path}")
    assert name in page.locator("#signed-in").inner_text()
    return page


def unlabelled(page) -> list[str]:
    """Visible form controls without a label a screen reader would read."""
    return page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea, button')]
          .filter(e => e.type !== 'hidden')
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                       && !(e.tagName === 'BUTTON' && e.textContent.trim()))
          .map(e => e.outerHTML.slice(0, 120))"""
    )


def pick_spot(url: str) -> tuple[str, str, float, float]:
    """A village and a point inside it with no issue within 60 m (so no warning by chance)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT v.code, v.name, ST_X(p.g) AS lon, ST_Y(p.g) AS lat FROM village v,"
                " LATERAL (SELECT ST_PointOnSurface(v.geom) AS g) p WHERE NOT EXISTS"
                " (SELECT 1 FROM issue i WHERE ST_DWithin(i.geom::geography, p.g::geography, 60))"
                " ORDER BY v.code LIMIT 1"
            )
        ).one()
    engine.dispose()
    return row.code, row.name, row.lon, row.lat


def reported_by(url: str, name: str) -> list[tuple[str, str, int]]:
    """(code, category, photos) of every issue recorded by `name`."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.code, i.category_code, (SELECT count(*) FROM photo p"
                " WHERE p.issue_id = i.id) FROM issue i WHERE i.found_by = :n ORDER BY i.code"
            ),
            {"n": name},
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def photo_sizes(url: str, name: str) -> list[tuple[int, int]]:
    """(width, height) of the photos of the issues `name` recorded."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT p.width, p.height FROM photo p JOIN issue i ON i.id = p.issue_id"
                " WHERE i.found_by = :n ORDER BY p.uploaded_at"
            ),
            {"n": name},
        ).all()
    engine.dispose()
    return [(r.width, r.height) for r in rows]


def shots_dir(tmp_path: Path) -> Path:
    return Path(os.environ.get("CUNRONG_SHOTS_DIR") or tmp_path)


def next_month() -> str:
    today = date.today()
    return f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"


def dashboard_counts(browser, base: str) -> dict[str, int]:
    page = sign_in(browser, base, "office", "/", viewport=PC)
    counts = {k: int(page.locator(f"#n-{k}").inner_text()) for k in ("issues", "open", "closed")}
    browser.close_page(page)
    return counts


def fits(page, width: int) -> None:
    """Nothing sticks out sideways: the page is usable without horizontal scrolling."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def test_the_loop_in_chromium(live, sample_url, browser, tmp_path):
    shots = shots_dir(tmp_path)
    code, name, lon, lat = pick_spot(sample_url)
    add_user(sample_url, "office", "admin")  # the town office, who adds the others
    add_user(sample_url, "insp-wang", "inspector")
    insp2 = add_user(sample_url, "insp-li", "inspector")
    add_user(sample_url, "village", "village", code)
    before = dashboard_counts(browser, live)

    # The inspector signs in on a phone, with the phone's position.
    page = sign_in(
        browser,
        live,
        "insp-wang",
        "/pages/report",
        viewport=PHONE,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        permissions=["geolocation"],
    )
    context = page.context
    page.wait_for_function("() => window.cunrongReady === true")
    assert unlabelled(page) == []
    page.wait_for_selector("#place.ok")
    assert "±8 m" in page.locator("#pos-status").inner_text()
    assert name in page.locator("#place").inner_text()
    page.set_input_files("#photos", str(photo(tmp_path / "a.jpg", (150, 90, 60), "A")))
    page.wait_for_selector("#previews img")
    page.click('#categories .cat[data-code="clutter"]')
    assert page.locator('.cat[data-code="clutter"]').get_attribute("aria-pressed") == "true"
    page.fill("#description", "门前堆放废旧建材")
    page.fill("#address", "前街 12 号")
    fits(page, PHONE["width"])
    page.evaluate("() => window.scrollTo(0, 0)")
    browser.screenshot(page, shots / "field-report.png", full_page=True)
    page.click("#save")
    page.wait_for_selector("#sent li.ok")
    page.wait_for_selector("#pending", state="hidden")
    first = reported_by(sample_url, "insp-wang")
    assert page.locator("#message").inner_text() == f"已上传：{first[0][0]}"  # not 正在上传…
    assert [(c[1], c[2]) for c in first] == [("clutter", 1)]
    assert first[0][0].startswith(code)
    assert photo_sizes(sample_url, "insp-wang") == [(1600, 1200)]  # shrunk from 2400 × 1800

    # The same spot and category again: the duplicate warning, with the first one's photo.
    page.set_input_files("#photos", str(photo(tmp_path / "a2.jpg", (150, 90, 61), "A2")))
    page.wait_for_selector("#previews img")
    page.click('#categories .cat[data-code="clutter"]')
    page.click("#save")
    page.wait_for_selector("#warnings:not([hidden])")
    assert first[0][0] in page.locator("#warning-list").inner_text()
    assert page.locator("#warning-list img").count() == 1
    page.click("#cancel-save")
    assert len(reported_by(sample_url, "insp-wang")) == 1

    # No network: the report waits on the phone, then arrives exactly once.
    context.set_offline(True)
    page.wait_for_function("() => document.getElementById('net').textContent === '离线'")
    page.click('#categories .cat[data-code="weeds"]')
    page.fill("#description", "路边杂草（离线上报）")
    page.click("#save")
    page.wait_for_function("() => document.getElementById('pending').textContent === '待上传 1 条'")
    assert page.locator("#pending").is_visible()
    browser.screenshot(page, shots / "field-report-offline.png")
    assert len(reported_by(sample_url, "insp-wang")) == 1
    context.set_offline(False)
    page.wait_for_function("() => document.getElementById('pending').hidden")
    page.evaluate("() => window.cunrong.outbox.flush()")  # a second send changes nothing
    page.reload()
    page.wait_for_function("() => window.cunrongReady === true")
    page.evaluate("() => window.cunrong.outbox.flush()")
    reports = reported_by(sample_url, "insp-wang")
    assert sorted((c[1], c[2]) for c in reports) == [("clutter", 1), ("weeds", 1)]
    assert browser.log(page).errors == []
    browser.close_page(page)

    # The village sees its own village only, and submits with an after-photo.
    page = sign_in(browser, live, "village", "/pages/my-village", viewport=PHONE)
    page.wait_for_function("() => window.cunrongReady === true")
    assert unlabelled(page) == []
    assert name in page.locator("#village-name").inner_text()
    cards = page.locator("#issues section.issue")
    assert cards.count() >= 2
    assert all(c.startswith(code) for c in cards.evaluate_all("l => l.map(s => s.dataset.code)"))
    pins = page.locator("#map .cr-pin.cr-num").evaluate_all("l => l.map(p => p.textContent)")
    assert pins == [str(i + 1) for i in range(cards.count())]  # one numbered pin a card
    fits(page, PHONE["width"])
    browser.screenshot(page, shots / "field-village.png")
    card = page.locator(f'section.issue[data-code="{reports[0][0]}"]')
    card.locator("input[type=file]").set_input_files(
        str(photo(tmp_path / "after.jpg", (90, 160, 90), "after"))
    )
    card.locator("textarea").fill("已清理完毕")
    card.locator("button[type=submit]").click()
    card.locator(".message.ok").wait_for()
    assert card.locator(".status").inner_text() == "已整改待复核"
    other = page.goto(f"{live}/pages/my-village?village=ZZ-OTHER")
    assert other is not None and other.status == 403
    assert code in page.locator("#error .error-box").inner_text()  # an error page, not JSON
    refused = page.goto(f"{live}/pages/recheck?village={code}")  # inspectors' page
    assert refused is not None and refused.status == 403
    page.goto(f"{live}/pages/my-village")
    assert browser.log(page).errors == []
    page.set_viewport_size(PC)
    page.wait_for_function("() => window.cunrongReady === true")
    fits(page, PC["width"])
    browser.screenshot(page, shots / "field-village-1366.png")
    browser.close_page(page)

    # Next month's round: the inspector rechecks, closes one; a stale step says who moved it.
    engine_ids = {c[0] for c in reports}
    recheck = f"/pages/recheck?village={code}&month={next_month()}"
    page = sign_in(
        browser,
        live,
        "insp-wang",
        recheck,
        viewport=PHONE,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        permissions=["geolocation"],
    )
    page.wait_for_function("() => window.cunrongReady === true")
    assert unlabelled(page) == []
    listed = page.locator("#stops section.stop").evaluate_all("l => l.map(s => s.dataset.code)")
    assert engine_ids <= set(listed)
    assert page.locator("#map .cr-pin.cr-num").count() == len(listed)  # a pin a stop
    assert page.locator('#map path[stroke-dasharray="6 6"]').count() == (len(listed) > 1)
    submitted = page.locator(f'section.stop[data-code="{reports[0][0]}"]')
    assert submitted.locator(".pair img").count() == 2  # before and after, side by side
    submitted.scroll_into_view_if_needed()
    fits(page, PHONE["width"])
    browser.screenshot(page, shots / "field-recheck.png")
    submitted.locator("textarea").fill("已清理，销号")
    submitted.locator('button[data-action="close"]').click()
    submitted.locator(".message.ok").wait_for()
    assert submitted.locator(".status").inner_text() == "已销号"

    waiting = page.locator(f'section.stop[data-code="{reports[1][0]}"]')
    issue_id = waiting.get_attribute("data-id")
    moved = httpx.post(
        f"{live}/issues/{issue_id}/transitions",
        headers={"Authorization": f"Bearer {insp2}"},
        json={"action": "unrectified", "version": 1, "note": "另一位检查员已复核"},
    )
    assert moved.status_code == 200, moved.text
    waiting.locator("textarea").fill("仍有杂草")
    waiting.locator('button[data-action="unrectified"]').click()
    stale = waiting.locator(".stale")
    stale.wait_for()
    assert "insp-li" in stale.inner_text() and "未整改" in stale.inner_text()
    assert browser.log(page).errors == []
    page.set_viewport_size(PC)
    page.reload()
    page.wait_for_function("() => window.cunrongReady === true")
    fits(page, PC["width"])
    browser.screenshot(page, shots / "field-recheck-1366.png")
    page.goto(f"{live}/pages/report")
    page.wait_for_selector("#place.ok")
    fits(page, PC["width"])
    browser.screenshot(page, shots / "field-report-1366.png")
    browser.close_page(page)

    after = dashboard_counts(browser, live)
    assert after["issues"] == before["issues"] + 2
    assert after["closed"] == before["closed"] + 1
    assert after["open"] == before["open"] + 1  # the weeds issue, back as 未整改


def test_a_lost_answer_never_makes_a_second_issue_or_photo(live, sample_url, browser, tmp_path):
    """The server stores the photo but the phone never hears back: the resend skips it."""
    _, _, lon, lat = pick_spot(sample_url)
    add_user(sample_url, "insp-zhao", "inspector")
    page = sign_in(
        browser,
        live,
        "insp-zhao",
        "/pages/report",
        viewport=PHONE,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 20},
        permissions=["geolocation"],
    )
    page.wait_for_selector("#place.ok")
    lost: list[str] = []

    def deliver_then_drop(route, request):
        if request.method == "POST" and not lost:
            route.fetch()  # the server stores the photo …
            lost.append(request.url)
            route.abort("connectionreset")  # … and the answer is lost on the way back
        else:
            route.continue_()

    page.route("**/issues/*/photos", deliver_then_drop)
    page.set_input_files(
        "#photos",
        [
            str(photo(tmp_path / "p1.jpg", (120, 60, 30), "1")),
            str(photo(tmp_path / "p2.jpg", (30, 60, 120), "2")),
        ],
    )
    page.wait_for_function("() => document.querySelectorAll('#previews img').length === 2")
    page.click('#categories .cat[data-code="street_sewage"]')
    page.click("#save")
    page.wait_for_function(
        "() => document.querySelector('#sent li') || window.cunrong.outbox.lastError"
    )
    page.wait_for_function("() => window.cunrong.outbox.idle()")
    assert page.locator("#pending").inner_text() == "待上传 1 条"
    assert len(lost) == 1
    assert [(c[1], c[2]) for c in reported_by(sample_url, "insp-zhao")] == [("street_sewage", 1)]
    page.evaluate("() => window.cunrong.outbox.flush()")
    page.wait_for_selector("#pending", state="hidden")
    page.evaluate("() => window.cunrong.outbox.flush()")
    got = reported_by(sample_url, "insp-zhao")
    assert [(c[1], c[2]) for c in got] == [("street_sewage", 2)]  # one issue, two photos
    assert page.locator("#sent li.ok").count() == 1
    browser.close_page(page)


def test_without_phone_position_the_photo_exif_places_the_report(
    live, sample_url, browser, tmp_path
):
    """Geolocation refused: the position comes from the photo's EXIF GPS, then the pin."""
    code, _, lon, lat = pick_spot(sample_url)
    add_user(sample_url, "insp-sun", "inspector")
    page = sign_in(browser, live, "insp-sun", "/pages/report?lang=en", viewport=PHONE)
    page.wait_for_function(
        "() => /Cannot locate/.test(document.getElementById('pos-status').textContent)"
    )
    assert page.locator("#place").inner_text() == ""
    page.set_input_files("#photos", str(photo(tmp_path / "g.jpg", (60, 60, 60), "G", (lon, lat))))
    page.wait_for_selector("#place.ok")
    assert page.locator("#pos-status").get_attribute("data-source") == "exif"
    assert f"{lat:.5f}" in page.locator("#pos-status").inner_text()
    assert code in page.locator("#place").inner_text()
    page.click('#categories .cat[data-code="other"]')
    page.click("#save")
    page.wait_for_selector("#sent li.ok")
    assert [c[0].split("-")[0] for c in reported_by(sample_url, "insp-sun")] == [code]
    assert browser.log(page).errors == []
    browser.close_page(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_page_fits_a_phone_and_says_what_to_do_outside_the_town(
    live, sample_url, browser, tmp_path, lang
):
    """At 360 px the 16 category buttons stay inside their section in both languages (long
    English words wrap in their button), and a phone position outside the town says, in the
    page's language, to drag the pin or locate again, rather than the API's bare English."""
    add_user(sample_url, "insp-zhao", "inspector")
    phone = {"width": 360, "height": 780}
    page = sign_in(
        browser,
        live,
        "insp-zhao",
        f"/pages/report?lang={lang}",
        viewport=phone,
        geolocation={"longitude": 117.1, "latitude": 39.0, "accuracy": 8},  # ~30 km away
        permissions=["geolocation"],
    )
    page.wait_for_function("() => window.cunrongReady === true")
    page.wait_for_selector("#place.bad")
    browser.screenshot(page, tmp_path / f"report-360-{lang}.png", full_page=True)
    fits(page, phone["width"])
    sideways = page.evaluate(
        "[...document.querySelectorAll('section')]"
        ".filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.innerText.slice(0, 20))"
    )
    assert sideways == []
    said = page.locator("#place").inner_text()
    todo = "请把图钉拖到问题所在处" if lang == "zh" else "drag the pin to where the issue is"
    assert todo in said and "29" in said and not said.startswith("field '")
    page.set_input_files("#photos", str(photo(tmp_path / "o.jpg", (60, 60, 60), "O")))
    page.wait_for_selector("#previews img")
    page.click('#categories .cat[data-code="other"]')
    page.fill("#description", "typed before the refusal")
    page.click("#save")
    page.wait_for_selector("#message.bad")
    assert todo in page.locator("#message").inner_text()
    # nothing typed or taken is lost: the photo and the text wait for a corrected pin
    assert page.locator("#previews img").count() == 1
    assert page.input_value("#description") == "typed before the refusal"
    assert reported_by(sample_url, "insp-zhao") == []
    browser.close_page(page)


def test_locate_again_is_a_thumb_s_tap_on_a_phone(live, sample_url, browser):
    """重新定位 (after walking to the issue) is as tall as the page's other buttons (40 px)."""
    code, _, lon, lat = pick_spot(sample_url)
    add_user(sample_url, "insp-sun", "inspector")
    page = sign_in(
        browser,
        live,
        "insp-sun",
        "/pages/report",
        viewport=PHONE,
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 8},
        permissions=["geolocation"],
    )
    page.wait_for_selector("#place.ok")
    box = page.locator("#relocate").bounding_box()
    assert box is not None and box["height"] >= 40, box
    page.click("#relocate")
    page.wait_for_function("() => /±8 m/.test(document.getElementById('pos-status').textContent)")
    assert code in page.locator("#place").inner_text()
    browser.close_page(page)
