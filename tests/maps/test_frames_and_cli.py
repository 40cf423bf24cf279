"""Frames read from PostGIS with filters, and `cunrong map …` writing standalone files."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from geo import frames
from geo.errors import InvalidInput
from geo.issue_filter import BBox, IssueFilter, parse_month
from service.cli import maps as maps_cli
from service.mapviews import ranking_frame_from_months
from tests.browser import Browser
from tests.cli import runner_for
from tests.maps.db_town import load_small_town


@pytest.fixture
def town_url(fresh_url: str) -> str:
    """A database of its own holding the small synthetic town."""
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        load_small_town(conn)
    engine.dispose()
    return fresh_url


@pytest.fixture
def conn(town_url: str):
    engine = create_engine(town_url)
    with engine.connect() as connection:
        yield connection
    engine.dispose()


def test_villages_and_communities(conn):
    villages = frames.villages_frame(conn)
    assert len(villages) == 9 and villages.crs.to_epsg() == 4326
    assert {"code", "name", "community_name", "households"} <= set(villages.columns)
    assert frames.villages_frame(conn, communities=["共同体2"])["code"].tolist() == [
        "V04",
        "V05",
        "V06",
    ]
    assert len(frames.villages_frame(conn, bbox=BBox(117.2, 39.1, 117.21, 39.11))) == 1
    communities = frames.communities_frame(conn)
    assert communities["villages"].tolist() == [3, 3, 3]
    area = communities.to_crs(4527).area.sum()
    assert area == pytest.approx(villages.to_crs(4527).area.sum())
    with pytest.raises(InvalidInput, match="no village with code V99") as err:
        frames.villages_frame(conn, villages=["V99"])
    assert err.value.field == "village"


def test_grids_and_roads(conn):
    assert len(frames.grids_frame(conn)) == 18
    assert frames.grids_frame(conn, villages=["V02"])["village_code"].unique().tolist() == ["V02"]
    assert frames.roads_frame(conn).empty
    with pytest.raises(InvalidInput, match="unknown road kind"):
        frames.roads_frame(conn, kinds=["highway"])


def test_issues_with_history_photos_and_filters(conn):
    issues = frames.issues_frame(conn)
    assert len(issues) == 40 and issues.crs.to_epsg() == 4326
    first = issues.set_index("code").loc["Q0000"]
    assert first["history"].endswith("登记") and first["photos"][0].startswith("/photos/")
    submitted = issues.set_index("code").loc["Q0001"]
    assert submitted["history"].endswith("05-01 提交整改")
    only_open = frames.issues_frame(conn, IssueFilter(statuses=["open"]))
    assert set(only_open["status"]) == {"open"}
    march = frames.issues_frame(conn, IssueFilter(month=parse_month("2024-03")))
    assert all(d.month == 3 for d in march["found_on"])
    v2 = frames.issues_frame(conn, IssueFilter(villages=["V02"]), history=False, photo_url=None)
    assert set(v2["village_code"]) == {"V02"} and "history" not in v2.columns
    english = frames.issues_frame(conn, lang="en")
    assert english.set_index("code").loc["Q0000", "history"].endswith("recorded")


@pytest.fixture
def cli(town_url: str) -> CliRunner:
    return runner_for(town_url, tianditu_key=None)


def _root() -> typer.Typer:
    root = typer.Typer()
    root.add_typer(maps_cli.app, name="map")
    return root


@pytest.mark.browser
def test_cli_writes_each_map_as_one_file(cli: CliRunner, tmp_path: Path, browser: Browser):
    root = _root()
    for kind, extra in (
        ("issues", ["--village", "V01", "--village", "V02", "--as-of", "2024-05-15"]),
        ("status", ["--community", "共同体1", "--lang", "en"]),
        ("hotspots", ["--category", "clutter", "--grid", "square", "--cell-m", "400"]),
    ):
        out = tmp_path / f"{kind}.html"
        result = cli.invoke(root, ["map", kind, "-o", str(out), "--basemap", "plain", *extra])
        assert result.exit_code == 0, result.output
        page = browser.open(out)
        browser.wait_for_map(page)
        assert browser.log(page).refused == []
        villages = page.locator("path.cr-village").count()
        assert villages == {"issues": 2, "status": 3, "hotspots": 9}[kind]
        browser.close_page(page)


def test_cli_reports_bad_input_on_one_line(cli: CliRunner, tmp_path: Path):
    root = _root()
    out = str(tmp_path / "x.html")
    result = cli.invoke(root, ["map", "issues", "-o", out, "--month", "2024-13"])
    assert result.exit_code == 1 and "expected a month as YYYY-MM" in result.output
    result = cli.invoke(root, ["map", "issues", "-o", out, "--status", "done"])
    assert result.exit_code == 1 and "unknown status 'done'" in result.output
    result = cli.invoke(root, ["map", "issues", "-o", out, "--basemap", "tianditu"])
    assert result.exit_code == 1 and "TIANDITU_KEY" in result.output
    result = cli.invoke(root, ["map", "ranking", "-o", out, "--month", "2024-04"])
    assert result.exit_code == 1 and "2024" in result.output
    for kind in ("issues", "status", "hotspots"):  # an empty map looked like a clean town
        result = cli.invoke(root, ["map", kind, "-o", out, "--category", "weed"])
        assert result.exit_code == 1, result.output
        assert "unknown category 'weed'" in result.output and "weeds" in result.output
    assert not Path(out).exists()


@pytest.mark.browser
def test_cli_ranking_from_the_rules_engine(
    cli: CliRunner, town_url: str, tmp_path: Path, browser: Browser
):
    engine = create_engine(town_url)
    with engine.begin() as conn:
        for month, base in (("2024-03-01", 80.0), ("2024-04-01", 70.0)):
            conn.execute(
                text(
                    "INSERT INTO observation_score (month, village_id, group_name, score)"
                    " SELECT :m, id, '第一组', :b + 2 * row_number() OVER (ORDER BY code)"
                    " FROM village"
                ),
                {"m": month, "b": base},
            )
    engine.dispose()
    out = tmp_path / "ranking.html"
    result = cli.invoke(
        _root(), ["map", "ranking", "-o", str(out), "--month", "2024-04", "--basemap", "plain"]
    )
    assert result.exit_code == 0, result.output
    page = browser.open(out)
    browser.wait_for_map(page)
    assert page.locator("path.cr-ranked").count() == 9
    assert page.locator(".cr-selector option").count() == 2
    assert page.locator(".cr-map").get_attribute("data-period") == "2024-04"
    labels = page.locator(".cr-choro-label").all_inner_texts()
    # nine villages: every one has fewer than ten below it, so all are in the bottom ten (M3)
    assert "▼1\n第9村" in labels and len(labels) == 9
    browser.close_page(page)
    frame = ranking_frame_from_months([])
    assert list(frame.columns)[:6] == [
        "village",
        "period",
        "score",
        "rank",
        "top_five",
        "bottom_ten",
    ]
