"""The ranking map for leaders: colours, outlines, labels, selector, legend — in a browser."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.errors import InvalidInput
from geo.maps.ranking import OUTLINE_BOTTOM, OUTLINE_TOP, period_label, ranking_map, score_breaks
from tests.browser import Browser
from tests.maps import town
from tests.maps.conftest import save

pytestmark = pytest.mark.browser

VILLAGES = town.villages(8, 6)  # 48 villages, like the town's 44


@pytest.fixture(scope="module")
def ranking_page(browser: Browser, tmp_path_factory: pytest.TempPathFactory, shots: Path):
    """Two months of ranking on a plain background, April shown first."""
    ranking = town.ranking(VILLAGES)
    m = ranking_map(ranking, villages=VILLAGES, basemap="plain", subtitle="测试镇")
    path = save(m, tmp_path_factory.mktemp("ranking") / "ranking.html")
    page = browser.open(path)
    browser.wait_for_map(page)
    browser.screenshot(page, shots / "ranking.png")
    yield page, ranking
    browser.close_page(page)


def _strokes(page, color: str) -> int:
    return page.locator(f"path.cr-ranked[stroke='{color}']").count()


def test_every_village_is_drawn_and_outlined_by_its_standing(ranking_page):
    page, ranking = ranking_page
    april = ranking[ranking["period"] == "2024-04"]
    assert page.locator("path.cr-ranked").count() == 48
    assert _strokes(page, OUTLINE_TOP["color"]) == int(april["top_five"].sum()) == 5
    assert _strokes(page, OUTLINE_BOTTOM["color"]) == int(april["bottom_ten"].sum()) == 10


def test_labels_carry_the_rank(ranking_page):
    page, ranking = ranking_page
    april = ranking[ranking["period"] == "2024-04"].set_index("village")
    labels = page.locator(".cr-choro-label").all_inner_texts()
    best = april["rank"].idxmin()
    name = VILLAGES.set_index("code").loc[best, "name"]
    assert f"★1\n{name}" in labels
    assert sum(1 for t in labels if t.startswith("▼")) == 10


def test_legend_lists_classes_and_marks(ranking_page):
    page, _ = ranking_page
    legend = page.locator(".cr-legend")
    entries = legend.locator(".cr-entry")
    assert entries.count() == 5 + 1 + 3  # score classes, no score, top/bottom/community
    text = legend.inner_text()
    assert "前5名" in text and "后10名(约谈)" in text and "颜色越深越好" in text


def test_panel_names_the_bottom_ten(ranking_page):
    page, ranking = ranking_page
    april = ranking[(ranking["period"] == "2024-04") & ranking["bottom_ten"]]
    panel = page.locator(".cr-panel").inner_text()
    names = VILLAGES.set_index("code").loc[april["village"], "name"]
    assert all(n in panel for n in names)
    assert "分管领导约谈村支部书记" in panel


PHONE = {"width": 390, "height": 844}


def _drawn_box(page) -> dict[str, float]:
    """The box around every village drawn, in CSS pixels of the page."""
    return page.evaluate(
        """() => {
            const boxes = [...document.querySelectorAll('path.cr-ranked')].map(
                (p) => p.getBoundingClientRect());
            return {left: Math.min(...boxes.map((b) => b.left)),
                    right: Math.max(...boxes.map((b) => b.right))};
        }"""
    )


def test_desktop_shows_the_lists_open_beside_the_town(ranking_page):
    page, _ = ranking_page
    assert page.locator("details.cr-panel").evaluate("(d) => d.open") is True
    assert page.locator("details.cr-legend").evaluate("(d) => d.open") is True
    panel = page.locator(".cr-panel").bounding_box()
    assert panel is not None
    # the town is fitted clear of the open panel on the left
    assert _drawn_box(page)["left"] >= panel["x"] + panel["width"] - 5
    # villages are big enough for both lines of their labels
    assert page.locator(".cr-crowded").count() == 0
    assert page.locator(".cr-label-name").first.is_visible()


def test_phone_shows_the_map_with_lists_one_tap_away(tmp_path: Path, browser: Browser, shots: Path):
    """At 390 px the panel and legend start folded and the town fills the width; a tap on
    the panel's line opens the top and bottom lists."""
    ranking = town.ranking(VILLAGES)
    m = ranking_map(ranking, villages=VILLAGES, basemap="plain", subtitle="测试镇")
    page = browser.open(save(m, tmp_path / "phone.html"), viewport=PHONE)
    browser.wait_for_map(page)
    browser.screenshot(page, shots / "ranking-phone.png")
    panel = page.locator("details.cr-panel")
    assert panel.evaluate("(d) => d.open") is False
    assert page.locator("details.cr-legend").evaluate("(d) => d.open") is False
    assert page.locator(".cr-panel-title").inner_text() == "前5名 · 后10名"
    box = _drawn_box(page)
    assert box["right"] - box["left"] >= 0.8 * PHONE["width"], box
    # too small for names: the rank only, until the leader zooms in
    assert page.locator(".cr-map.cr-crowded").count() == 1
    assert page.locator(".cr-label-lead").first.is_visible()
    assert not page.locator(".cr-label-name").first.is_visible()
    page.evaluate(
        """() => { const m = cunrong.lastChoropleth.group._map;
                   m.setZoom(m.getZoom() + 1.5, {animate: false}); }"""
    )
    browser.settle(page)
    assert page.locator(".cr-map.cr-crowded").count() == 0
    assert page.locator(".cr-label-name").first.is_visible()
    folded = panel.bounding_box()
    assert folded is not None and folded["height"] < 60 and folded["width"] < 0.6 * PHONE["width"]
    page.locator(".cr-panel-title").click()
    assert panel.evaluate("(d) => d.open") is True
    april = ranking[(ranking["period"] == "2024-04") & ranking["bottom_ten"]]
    names = VILLAGES.set_index("code").loc[april["village"], "name"]
    assert all(n in panel.inner_text() for n in names)
    assert browser.log(page).errors == []
    browser.close_page(page)


def test_tooltip_has_score_rank_change_and_items(ranking_page):
    page, ranking = ranking_page
    row = ranking[(ranking["period"] == "2024-04")].sort_values("rank").iloc[-1]
    index = int(VILLAGES.index[VILLAGES["code"] == row["village"]][0])
    page.evaluate(
        """(i) => cunrong.lastChoropleth.group.eachLayer((g) => g.eachLayer && g.eachLayer((l) => {
            if (l.feature && l.feature.properties._i === i) l.openTooltip(l.getCenter()); }))""",
        index,
    )
    tip = page.locator(".leaflet-tooltip").inner_text()
    assert f"{row['score']:.2f}" in tip
    assert f"{row['rank']} / 48" in tip
    assert "较上月" in tip and "主要加减分" in tip and "M4 后十名" in tip


def test_period_selector_switches_months(ranking_page):
    page, ranking = ranking_page
    assert page.locator(".cr-selector option").count() == 2
    page.select_option(".cr-selector select", index=0)
    assert page.locator(".cr-map").get_attribute("data-period") == "2024-03"
    march = ranking[ranking["period"] == "2024-03"]
    assert _strokes(page, OUTLINE_BOTTOM["color"]) == int(march["bottom_ten"].sum())
    page.select_option(".cr-selector select", index=1)
    assert page.locator(".cr-map").get_attribute("data-period") == "2024-04"


def test_year_end_wording(tmp_path: Path, browser: Browser):
    year = town.ranking(VILLAGES, periods=("2024",))
    m = ranking_map(year, villages=VILLAGES, basemap="plain", lang="en")
    page = browser.open(save(m, tmp_path / "year.html"))
    browser.wait_for_map(page)
    text = page.locator(".cr-legend").inner_text()
    assert "Top 5 (1,500 yuan reward)" in text and "Bottom 5 (pay deduction)" in text
    assert page.locator(".cr-panel-title").inner_text() == "Top 5 · bottom 5"
    assert page.locator(".cr-selector").count() == 0
    browser.close_page(page)


def test_score_breaks_and_period_labels():
    assert score_breaks([80.0, 80.0]) == [80.0]
    breaks = score_breaks([70, 71, 80, 81, 90, 91, 95, 96, 99, 100])
    assert len(breaks) == 5 and breaks[-1] == 100 and breaks == sorted(breaks)
    assert period_label("2024-04", "zh") == "2024年4月"
    assert period_label("2024-04", "en") == "April 2024"
    assert period_label("2024", "zh") == "2024年度"


def test_bad_rankings_are_refused():
    ranking = town.ranking(VILLAGES)
    with pytest.raises(InvalidInput, match="missing column"):
        ranking_map(ranking.drop(columns="rank"), villages=VILLAGES)
    twice = pd.concat([ranking, ranking.iloc[[0]]], ignore_index=True)
    with pytest.raises(InvalidInput, match="appears twice") as err:
        ranking_map(twice, villages=VILLAGES)
    assert err.value.row == len(ranking)
    with pytest.raises(InvalidInput, match="no boundary"):
        ranking_map(ranking, villages=VILLAGES.iloc[:10])
    with pytest.raises(InvalidInput, match="no ranking for period '2023-01'"):
        ranking_map(ranking, villages=VILLAGES, period="2023-01")
