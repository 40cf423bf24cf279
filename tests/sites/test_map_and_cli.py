"""The sites map in headless Chromium, and `cunrong sites` writing HTML, GeoJSON and XLSX."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import typer
from openpyxl import load_workbook
from shapely.geometry import Point
from typer.testing import CliRunner

from geo.errors import InvalidInput
from geo.maps.sites import add_chosen_sites, sites_map
from geo.sites import chosen_sites, find_candidates, mark_site
from geo.sites.layers import site_map_layers
from service.cli import sites as sites_cli
from tests.browser import Browser
from tests.cli import runner_for
from tests.sites.village import HOMESTEAD, SRID

HOMESTEAD_KEY = f"W01:micro_spot:issue:{HOMESTEAD}"


def _map_of(engine, **kwargs):
    with engine.connect() as conn:
        found = find_candidates(conn, srid=SRID, include_rejected=True)
        layers = site_map_layers(conn)
    return found, sites_map(
        found,
        villages=layers.villages,
        roads=layers.roads,
        entrances=layers.entrances,
        water=layers.water,
        basemap="plain",
        **kwargs,
    )


@pytest.mark.browser
def test_sites_map_in_the_browser(village_engine, tmp_path: Path, browser: Browser):
    with village_engine.begin() as conn:
        mark_site(
            conn,
            candidate_key=HOMESTEAD_KEY,
            decision="chosen",
            note='<img src=x onerror="window.__xss=1">口袋公园',
        )
    found, m = _map_of(village_engine)
    path = tmp_path / "sites.html"
    m.save(str(path))
    html = path.read_text(encoding="utf-8")
    assert 'onerror="window.__xss' not in html  # the note travels escaped in JSON
    page = browser.open(path)
    browser.wait_for_map(page)
    assert page.locator("path.cr-site").count() == len(found) == 4
    assert page.locator("path.cr-site-flower_gate").count() == 1
    assert page.locator("path.cr-site-aesthetic_lane").count() == 1
    assert page.locator("path.cr-site-micro_spot").count() == 2
    assert page.locator("path.cr-site-chosen").count() == 1
    assert page.locator(".cr-site-rank").all_inner_texts() == ["1", "★2", "3", "4"]
    assert page.locator("path.cr-road").count() == 4
    assert page.locator("path.cr-water").count() == 1
    assert page.locator("path.cr-entrance").count() == 1
    legend = page.locator(".cr-legend").inner_text()
    assert (
        "卡口花场（1处）" in legend and "小微景点（2处）" in legend and "美学微巷（1处）" in legend
    )
    page.evaluate(
        "() => cunrong.lastSites.shapes.getLayers()"
        ".find(l => l.feature.properties.r === '2').openPopup()"
    )
    popup = page.locator(".leaflet-popup-content").inner_text()
    assert "已清理（问题 W01-202403-0001 已销号）" in popup
    assert '<img src=x onerror="window.__xss=1">口袋公园' in popup  # shown as text
    assert page.evaluate("() => window.__xss") is None
    assert browser.log(page).refused == []
    browser.close_page(page)


@pytest.mark.browser
def test_english_map_and_chosen_layer_on_another_map(village_engine, tmp_path, browser):
    with village_engine.begin() as conn:
        mark_site(conn, candidate_key=HOMESTEAD_KEY, decision="chosen")
    with village_engine.connect() as conn:
        chosen = chosen_sites(conn)
        layers = site_map_layers(conn)
    _, m = _map_of(village_engine, lang="en")
    from geo.maps.base import add_villages, new_map
    from geo.maps.basemaps import Basemap

    other = new_map(bounds=None, basemap=Basemap("plain"), lang="en", title="Ranking")
    add_villages(other, layers.villages, lang="en")
    add_chosen_sites(other, chosen, lang="en", basemap="plain")
    for name, page_map, count in (("en.html", m, 4), ("other.html", other, 1)):
        path = tmp_path / name
        page_map.save(str(path))
        page = browser.open(path)
        browser.wait_for_map(page)
        assert page.locator("path.cr-site").count() == count
        if name == "en.html":
            assert "Flower gate (1)" in page.locator(".cr-legend").inner_text()
            subtitle = page.locator(".cr-title-sub").inner_text()
            assert "Flower gate (1)" in subtitle and "1 flower gate" not in subtitle
        browser.close_page(page)


def test_map_refuses_bad_frames(village_engine):
    with village_engine.connect() as conn:
        layers = site_map_layers(conn)
    bad = gpd.GeoDataFrame(
        {"kind": ["statue"]}, geometry=[Point(117.2, 39.28).buffer(1e-4)], crs=4326
    )
    with pytest.raises(InvalidInput) as err:
        sites_map(bad, villages=layers.villages)
    assert (err.value.field, err.value.row) == ("candidates.kind", 0)
    with pytest.raises(InvalidInput, match="EPSG:4326"):
        sites_map(bad.to_crs(SRID), villages=layers.villages)


@pytest.fixture
def cli(village_engine) -> CliRunner:
    return runner_for(village_engine.url.render_as_string(hide_password=False))


def _root() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(sites_cli.app, name="sites")

    @root.command()
    def other() -> None:  # a second command keeps `sites` a sub-command, as in the real CLI
        """Unused."""

    return root


def test_cli_writes_html_geojson_and_xlsx(cli: CliRunner, tmp_path: Path):
    root = _root()
    for name in ("sites.html", "sites.geojson", "sites.xlsx"):
        result = cli.invoke(
            root, ["sites", "--village", "W01", "-o", str(tmp_path / name), "--basemap", "plain"]
        )
        assert result.exit_code == 0, result.output
        assert "4 candidate sites" in result.output
    assert "cunrong.sites(" in (tmp_path / "sites.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "sites.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["kind"] for f in data["features"]] == [
        "flower_gate",
        "micro_spot",
        "aesthetic_lane",
        "micro_spot",
    ]
    assert data["features"][1]["properties"]["issue_code"] == HOMESTEAD
    sheet = load_workbook(tmp_path / "sites.xlsx").active
    headers = [c.value for c in sheet[2]]
    assert headers[:6] == ["村编码", "村", "村内排名", "类型", "得分", "理由"]
    assert [sheet.cell(row=r, column=4).value for r in range(3, 7)] == [
        "卡口花场",
        "小微景点",
        "美学微巷",
        "小微景点",
    ]
    assert "主干道可见（距主干道4 m）" in sheet.cell(row=3, column=6).value


def test_cli_marks_and_lists_chosen(cli: CliRunner, tmp_path: Path):
    root = _root()
    result = cli.invoke(root, ["sites", "mark", HOMESTEAD_KEY, "chosen", "--note", "口袋公园"])
    assert result.exit_code == 0, result.output
    listing = cli.invoke(root, ["sites", "--village", "W01"])
    assert HOMESTEAD_KEY in listing.output
    chosen = cli.invoke(root, ["sites", "chosen"])
    assert HOMESTEAD_KEY in chosen.output and "口袋公园" in chosen.output


def test_cli_reports_bad_input_on_one_line(cli: CliRunner, tmp_path: Path):
    root = _root()
    cases = [
        (["sites", "-o", str(tmp_path / "sites.pdf")], "output"),
        (["sites", "--village", "NOPE"], "NOPE"),
        (["sites", "mark", "W01:micro_spot:issue:NOPE", "chosen"], "candidate_key"),
        (["sites", "--config", str(tmp_path / "none.toml")], "no such file"),
    ]
    for args, expected in cases:
        result = cli.invoke(root, args)
        assert result.exit_code == 1, result.output
        assert expected in result.output and "Traceback" not in result.output
