"""The dashboard, a served map and the site-visit sheet, opened in headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from service.app import create_app
from service.settings import ServiceSettings
from tests.server import serving


@pytest.fixture
def live_sample(sample_url: str, tmp_path) -> Iterator[str]:
    """The service on the sample town, on a local port, for the browser."""
    app = create_app(ServiceSettings(database_url=sample_url, data_dir=tmp_path))
    with serving(app) as url:
        yield url


def test_dashboard_map_and_site_visit_in_chromium(live_sample, browser, tmp_path):
    page = browser.open(f"{live_sample}/")
    page.wait_for_selector("#ranking")
    assert page.locator("#n-villages").inner_text() == "44"
    bottom = page.locator("tr.bottom-ten")
    assert bottom.count() >= 10  # ties at the edge are all in
    assert "约谈" in bottom.first.inner_text()
    browser.screenshot(page, tmp_path / "dashboard.png")
    visit_link = page.locator("#recheck a").first.get_attribute("href")
    browser.close_page(page)

    page = browser.open(f"{live_sample}{visit_link}")
    page.wait_for_selector("#stops")
    stops = int(page.locator("#n-stops").inner_text())
    assert page.locator("#stops tbody tr").count() == stops > 0
    browser.screenshot(page, tmp_path / "visit.png")
    assert browser.log(page).errors == []
    browser.close_page(page)

    page = browser.open(f"{live_sample}/maps/ranking")
    browser.wait_for_map(page)
    assert page.locator("path.cr-ranked").count() == 44
    browser.screenshot(page, tmp_path / "ranking.png")
    assert browser.csp_violations(page) == []
    browser.close_page(page)


PHONE = {"width": 390, "height": 844}
LINES_OF_HEADINGS = """(selector) => [...document.querySelectorAll(selector)].map((th) => {
    const range = document.createRange();
    range.selectNodeContents(th);
    return [th.innerText.trim(), range.getClientRects().length];
})"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_dashboard_reads_on_a_phone(live_sample, browser, tmp_path, lang):
    """At 390 px nothing scrolls sideways, a number's heading (名次, 逾期) is not broken
    between its characters, and a village's name opens its site-visit sheet."""
    page = browser.open(f"{live_sample}/?lang={lang}", viewport=PHONE)
    page.wait_for_selector("#recheck tbody tr")
    browser.screenshot(page, tmp_path / f"dashboard-phone-{lang}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sideways = page.evaluate(
        "[...document.querySelectorAll('section')]"
        ".filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.id)"
    )
    assert sideways == []
    if lang == "zh":
        headings = dict(page.evaluate(LINES_OF_HEADINGS, "#ranking th.num, #recheck th.num"))
        assert {h: headings[h] for h in ("名次", "得分", "待复核", "逾期")} == {
            "名次": 1,
            "得分": 1,
            "待复核": 1,
            "逾期": 1,
        }
    interviews = page.locator("#ranking tr.bottom-ten td.bad").all_inner_texts()
    assert interviews and all(interviews)
    if lang == "en":  # the interview column in English too (the rules word it in Chinese)
        assert not [i for i in interviews if re.search("[\u4e00-\u9fff]", i)]
        assert any("principal leader" in i for i in interviews)
    first = page.locator("#recheck tbody tr").first
    href = first.locator("td").first.locator("a").get_attribute("href")
    assert href is not None and href.startswith("/pages/villages/") and "/visit" in href
    box = first.locator("td").first.locator("a").bounding_box()
    assert box is not None and box["height"] >= 40, box  # a thumb's tap
    assert first.locator("td.wide").is_hidden()
    browser.close_page(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_site_visit_sheet_reads_on_a_phone(live_sample, browser, tmp_path, lang):
    """At 390 px the sheet's stops are labelled lines, not a nine-column table that scrolls
    sideways inside its section; every stop still shows its code, category and outcome."""
    page = browser.open(f"{live_sample}/?lang={lang}", viewport=PHONE)
    visit_link = page.locator("#recheck tbody tr a").first.get_attribute("href")
    page.goto(f"{live_sample}{visit_link}")
    page.wait_for_selector("#stops tbody tr")
    browser.screenshot(page, tmp_path / f"visit-phone-{lang}.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    sideways = page.evaluate(
        "[...document.querySelectorAll('section')]"
        ".filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.innerText.slice(0, 20))"
    )
    assert sideways == []
    rows = page.locator("#stops tbody tr")
    assert rows.count() == int(page.locator("#n-stops").inner_text()) > 0
    first = rows.first.inner_text()
    outcome = "销号" if lang == "zh" else "close"
    assert outcome in first and rows.first.locator("td.nowrap").first.inner_text() in first
    assert browser.log(page).errors == []
    browser.close_page(page)


@pytest.mark.parametrize(
    "path",
    [
        "/maps/issues?basemap=osm",
        "/maps/status?basemap=gaode",
        "/maps/hotspots?basemap=plain",
        "/maps/ranking?lang=en",
    ],
)
def test_maps_render_under_the_content_security_policy(live_sample, browser, path):
    page = browser.open(f"{live_sample}{path}")
    response = page.request.get(f"{live_sample}{path}")
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'self'" in csp
    browser.wait_for_map(page)  # Leaflet and every cunrong layer drawn: the inline code ran
    assert page.locator(".leaflet-control-layers").count() == 1
    assert browser.csp_violations(page) == []
    assert browser.log(page).errors == []
    browser.close_page(page)


def test_a_page_refuses_remote_scripts_by_its_policy(live_sample, browser):
    page = browser.open(f"{live_sample}/maps/issues?basemap=plain")
    browser.wait_for_map(page)
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.src = 'https://cdn.example.com/evil.js'; document.head.appendChild(s); }"""
    )
    page.wait_for_timeout(300)
    violations = browser.csp_violations(page)
    assert violations and "cdn.example.com" in violations[0]
    assert browser.log(page).refused == []  # blocked by the policy before the network
    browser.close_page(page)


@pytest.mark.parametrize("path", ["/maps/status?basemap=plain", "/"])
def test_a_script_injected_into_a_page_does_not_run(live_sample, browser, path):
    """Markup smuggled into a page (an inline script without the nonce, an inline handler,
    a javascript: link) runs nothing: the policy has no 'unsafe-inline' for scripts."""
    page = browser.open(f"{live_sample}{path}")
    page.wait_for_load_state("load")
    assert browser.csp_violations(page) == []
    page.evaluate(
        """() => {
          const s = document.createElement('script');
          s.textContent = 'window.injected = 1';
          document.body.appendChild(s);
          const box = document.createElement('div');
          box.innerHTML = '<img src="data:," onload="window.injected = 2">'
            + '<a id="evil" href="javascript:window.injected = 3">x</a>';
          document.body.appendChild(box);
        }"""
    )
    page.click("#evil")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.injected") is None
    directives = {v.split()[0] for v in browser.csp_violations(page) if " " in v}
    assert {"script-src-elem", "script-src-attr"} <= directives, browser.csp_violations(page)
    browser.close_page(page)


def test_api_docs_render_offline(live_sample, browser):
    page = browser.open(f"{live_sample}/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 30  # every operation of the API is listed
    assert browser.log(page).refused == []  # Swagger UI comes from the package, not a CDN
    browser.close_page(page)
