"""The issue map in a real browser: boundaries, clusters, legend, popups, and no XSS."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geo.errors import InvalidInput, UnknownCategory
from geo.maps.issues import issue_map
from tests.browser import Browser
from tests.maps import town
from tests.maps.conftest import save

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def issues_page(browser: Browser, tmp_path_factory: pytest.TempPathFactory, shots: Path):
    """The sample issue map opened offline on a plain background."""
    m = issue_map(
        town.issues(),
        villages=town.villages(),
        grids=town.grids(),
        today=town.TODAY,
        basemap="plain",
        subtitle="测试镇 · 90",
    )
    path = save(m, tmp_path_factory.mktemp("issues") / "issues.html")
    page = browser.open(path)
    browser.wait_for_map(page)
    browser.screenshot(page, shots / "issues.png")
    yield page, path
    browser.close_page(page)


def _zoom(page, by: float | None = None, *, to: float | None = None) -> None:
    page.evaluate(
        """([by, to]) => { const m = cunrong.lastIssues.group._map;
        m.setZoom(to === null ? m.getZoom() + by : to, {animate: false}); }""",
        [by, to],
    )
    page.wait_for_timeout(100)
    page.wait_for_function(
        "() => !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')"
    )


def _shown(page) -> int:
    """Issues on screen: the numbers on the clusters plus the single pins."""
    counts = page.locator(".marker-cluster span").all_inner_texts()
    return sum(int(c) for c in counts) + page.locator(".cr-issue").count()


def test_the_file_is_standalone_and_needs_no_network(issues_page, browser: Browser):
    page, path = issues_page
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert browser.log(page).refused == []
    assert browser.log(page).errors == []


def test_boundaries_of_every_village_and_grid_are_drawn(issues_page):
    page, _ = issues_page
    assert page.locator("path.cr-village").count() == 9
    assert page.locator("path.cr-grid").count() == 18
    labels = page.locator(".cr-village-label").all_inner_texts()
    assert "第1村" in labels


def test_every_issue_is_in_a_cluster_or_a_pin(issues_page):
    page, _ = issues_page
    assert page.locator(".marker-cluster").count() > 0
    assert _shown(page) == 90


def test_clusters_split_as_one_zooms_in(issues_page):
    page, _ = issues_page
    before = page.locator(".marker-cluster").count() + page.locator(".cr-issue").count()
    _zoom(page, 2)
    after_pins = page.locator(".cr-issue").count()
    assert after_pins > 0
    _zoom(page, -2)
    assert page.locator(".marker-cluster").count() + page.locator(".cr-issue").count() == before


def test_legend_has_one_toggle_per_category_and_status_present(issues_page):
    page, _ = issues_page
    assert page.locator("input[data-kind=category]").count() == 7
    assert page.locator("input[data-kind=status]").count() == 5
    counts = page.locator(".cr-legend .cr-toggle .cr-count").all_inner_texts()
    assert sum(int(c) for c in counts) == 2 * 90
    assert "乱堆乱放" in page.locator(".cr-legend").inner_text()


def test_unticking_a_category_hides_its_issues(issues_page):
    page, _ = issues_page
    box = page.locator("input[data-code=clutter]")
    box.uncheck()
    page.wait_for_timeout(300)
    assert _shown(page) == 90 - 13
    box.check()
    page.wait_for_timeout(300)
    assert _shown(page) == 90


def _open_popup(page, index: int) -> str:
    page.evaluate("() => cunrong.lastIssues.group._map.closePopup()")
    page.wait_for_selector(".cr-popup", state="detached")
    page.evaluate(
        """(i) => { const s = cunrong.lastIssues; const m = s.markers[i];
        s.group.fire('click', {layer: m, latlng: m.getLatLng()}); }""",
        index,
    )
    page.wait_for_selector(".cr-popup")
    return page.locator(".cr-popup").inner_text()


def test_popup_shows_the_issue_and_hostile_text_as_text(issues_page):
    page, _ = issues_page
    text = _open_popup(page, 0)
    assert "<script>window.__xss = 1</script>堆放杂物" in text
    assert "发现日期" in text and "整改期限" in text
    assert "03-02 登记" in text
    assert page.locator(".cr-popup .cr-pop-photos img").count() == 1
    text = _open_popup(page, 1)
    assert '<img src=x onerror="window.__xss = 2">乱搭乱建' in text
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__xss") is None
    assert page.locator(".cr-popup script").count() == 0
    assert page.locator(".cr-popup img[onerror]").count() == 0


def test_overdue_and_rebound_are_marked(issues_page):
    page, _ = issues_page
    start = page.evaluate("() => cunrong.lastIssues.group._map.getZoom()")
    _zoom(page, to=19)
    data = page.evaluate("() => ({od: cunrong.lastIssues.data.od, f: cunrong.lastIssues.data.f})")
    assert any(v > 0 for v in data["od"])
    assert sum(1 for f in data["f"] if f & 2) == sum(1 for i in range(90) if i % 11 == 3)
    text = _open_popup(page, 3)  # issue 3: open, found early, a rebound
    assert "反弹" in text
    _zoom(page, to=start)


def test_village_names_with_markup_stay_text(issues_page):
    page, _ = issues_page
    assert "<b>中</b>心村" in page.locator(".cr-village-label").all_inner_texts()
    assert page.locator(".cr-village-label b").count() == 0


def test_english_labels(tmp_path: Path, browser: Browser):
    m = issue_map(
        town.issues(20), villages=town.villages(), lang="en", basemap="plain", today=town.TODAY
    )
    page = browser.open(save(m, tmp_path / "en.html"))
    browser.wait_for_map(page)
    legend = page.locator(".cr-legend").inner_text()
    assert "Household garbage" in legend and "Overdue" in legend
    browser.close_page(page)


def test_tiles_fail_offline_and_vectors_still_show(tmp_path: Path, browser: Browser):
    m = issue_map(town.issues(20), villages=town.villages(), basemap="osm", today=town.TODAY)
    page = browser.open(save(m, tmp_path / "osm.html"))
    browser.wait_for_map(page)
    page.wait_for_timeout(300)
    refused = browser.log(page).refused
    assert refused and all(u.startswith("https://tile.openstreetmap.org/") for u in refused)
    assert page.locator("path.cr-village").count() == 9
    browser.close_page(page)


def test_unknown_category_names_the_row():
    frame = town.issues(5)
    frame.loc[3, "category"] = "litter"
    with pytest.raises(UnknownCategory) as err:
        issue_map(frame, villages=town.villages())
    assert err.value.row == 3 and "litter" in str(err.value)


def test_unknown_status_and_wrong_crs_are_refused():
    frame = town.issues(5)
    frame.loc[2, "status"] = "done"
    with pytest.raises(InvalidInput, match="unknown status 'done'"):
        issue_map(frame, villages=town.villages())
    with pytest.raises(InvalidInput, match="EPSG:4326"):
        issue_map(town.issues(5).to_crs(3857), villages=town.villages())
    with pytest.raises(InvalidInput, match="'zh' or 'en'"):
        issue_map(town.issues(5), villages=town.villages(), lang="fr")
