"""Low-zoom cells tiles summed from `issue_tile_summary` against the same tiles read live."""

from __future__ import annotations

import time
from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo import issue_reader, tile_summary
from geo.issue_filter import IssueFilter
from geo.tiles import Tile, issue_tile
from geo.towns import add_town
from service.app import create_app
from service.settings import ServiceSettings
from tests.service.test_tiles import town_tile

pytestmark = pytest.mark.postgis


def cells(content: bytes) -> list[tuple[tuple[float, ...], int, int, int]]:
    """A tile's cells as sorted (bounds, count, open, overdue)."""
    out = []
    for layer in mapbox_vector_tile.decode(content).values():
        for f in layer["features"]:
            ring = f["geometry"]["coordinates"][0]
            xs, ys = [p[0] for p in ring], [p[1] for p in ring]
            p = f["properties"]
            bounds = (min(xs), min(ys), max(xs), max(ys))
            out.append((bounds, p["count"], p["open"], p["overdue"]))
    return sorted(out)


def make_client(url: str, tmp_path, **settings: object) -> TestClient:
    return TestClient(
        create_app(
            ServiceSettings(
                database_url=url,
                data_dir=tmp_path,
                tile_points_zoom=15,
                tile_cell_px=32,
                tile_cache_tiles=0,
                **settings,  # type: ignore[arg-type]
            )
        )
    )


@pytest.fixture
def both(two_villages_url: str, tmp_path) -> Iterator[tuple[TestClient, TestClient]]:
    """(a client using the summary, a client reading live), the summary refreshed."""
    engine = create_engine(two_villages_url)
    assert tile_summary.refresh(engine)
    engine.dispose()
    with (
        make_client(two_villages_url, tmp_path, tile_summary_max_age_s=3600) as summary,
        make_client(two_villages_url, tmp_path, tile_summary=False) as live,
    ):
        yield summary, live


def fetch(client: TestClient, z: int, x: int, y: int, **params: str):
    response = client.get(f"/tiles/issues/{z}/{x}/{y}.mvt", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["x-tile-kind"] == "cells"
    return response


FILTERS = [
    {},
    {"status": "open"},
    {"category": "clutter"},
    {"village": "W01"},
    {"community": "C1", "month": "2024-03"},
    {"source": "inspection", "category": "weeds,tangled_wires"},
    {"month": "2024-05"},
]


@pytest.mark.parametrize("params", FILTERS)
@pytest.mark.parametrize("z", [9, 12, 14])
def test_summary_cells_equal_live_cells(both, params, z):
    summary, live = both
    _, x, y = town_tile(z) if z < 13 else (z, *_tile_of_issue(z))
    a = fetch(summary, z, x, y, **params)
    b = fetch(live, z, x, y, **params)
    assert a.headers["x-tile-source"] == "summary"
    assert b.headers["x-tile-source"] == "live"
    assert cells(a.content) == cells(b.content)
    if params.get("month") != "2024-05":
        assert cells(a.content), "the filter should select something"


def _tile_of_issue(z: int) -> tuple[int, int]:
    from tests.service.test_tiles import tile_of

    return tile_of(117.195, 39.285, z)  # I1


def test_bbox_as_of_and_overdue_filters_are_read_live(both):
    summary, _ = both
    z, x, y = town_tile(9)
    for params in (
        {"bbox": "117.19,39.28,117.20,39.29"},
        {"overdue": "true"},
        {"as_of": "2024-03-20"},
    ):
        response = fetch(summary, z, x, y, **params)
        assert response.headers["x-tile-source"] == "live", params
        assert sum(c[1] for c in cells(response.content)) >= 1


def test_a_new_issue_appears_after_a_refresh(both, two_villages_url: str):
    summary, live = both
    z, x, y = town_tile(9)
    before = sum(c[1] for c in cells(fetch(summary, z, x, y).content))
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO issue (id, code, category_code, description, geom, source, found_on,"
                " status, version, village_id) SELECT gen_random_uuid(), 'I5', 'clutter', 'new',"
                " ST_SetSRID(ST_MakePoint(117.197, 39.287), 4326), 'inspection', '2024-03-10',"
                " 'open', 1, id FROM village WHERE code = 'W01'"
            )
        )
    stale = sum(c[1] for c in cells(fetch(summary, z, x, y).content))
    assert stale == before == 4  # the summary is as of its refresh
    assert tile_summary.refresh(engine)
    engine.dispose()
    a, b = fetch(summary, z, x, y), fetch(live, z, x, y)
    assert sum(c[1] for c in cells(a.content)) == 5
    assert cells(a.content) == cells(b.content)


def test_the_summary_keeps_to_the_callers_towns(two_villages_url: str):
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        first = conn.execute(text("SELECT id FROM town")).scalar_one()
        other = add_town(conn, code="120113109", name="二号镇", district_name="北辰区").id
        conn.execute(
            text(
                "INSERT INTO village (town_id, code, name, geom) VALUES (:t, 'B01', '北村',"
                " ST_GeomFromText('MULTIPOLYGON(((117.21 39.28,117.22 39.28,117.22 39.29,"
                "117.21 39.29,117.21 39.28)))', 4326))"
            ),
            {"t": other},
        )
        conn.execute(
            text(
                "INSERT INTO issue (id, town_id, code, category_code, description, geom, source,"
                " found_on, status, version, village_id) SELECT gen_random_uuid(), :t, 'B1',"
                " 'clutter', 'b', ST_SetSRID(ST_MakePoint(117.215, 39.285), 4326), 'inspection',"
                " '2024-03-10', 'open', 1, id FROM village WHERE code = 'B01'"
            ),
            {"t": other},
        )
    assert tile_summary.refresh(engine)
    tile = Tile(*town_tile(9))
    with engine.connect() as conn:
        counts = {}
        for towns in ([first], [other], []):
            q = issue_reader.IssueQuery(selection=IssueFilter(towns=towns))
            kind, source, body = issue_tile(
                conn, q, tile, points_zoom=15, cell_px=32, max_points=10, summary_max_age_s=3600
            )
            assert (kind, source) == ("cells", "summary")
            counts[tuple(towns)] = sum(c[1] for c in cells(body))
    engine.dispose()
    assert counts == {(first,): 4, (other,): 1, (): 0}


def test_never_refreshed_is_read_live_and_a_stale_summary_refreshes_in_background(
    two_villages_url: str, tmp_path
):
    z, x, y = town_tile(9)
    engine = create_engine(two_villages_url)

    def refreshed_ago(seconds: int) -> None:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE tile_summary_state SET refreshed_at = now() - make_interval(secs => :s)"
                ),
                {"s": seconds},
            )

    with make_client(two_villages_url, tmp_path, tile_summary_max_age_s=60) as client:
        assert fetch(client, z, x, y).headers["x-tile-source"] == "live"  # never refreshed
        assert tile_summary.refresh(engine)
        assert fetch(client, z, x, y).headers["x-tile-source"] == "summary"
        refreshed_ago(200)  # older than twice the maximum age: not used, and refreshed
        assert fetch(client, z, x, y).headers["x-tile-source"] == "live"
        deadline = time.monotonic() + 60
        with engine.connect() as conn:
            while (tile_summary.state(conn).age_s or 0) > 100:
                assert time.monotonic() < deadline, "the background refresh never finished"
                conn.rollback()
                time.sleep(0.1)
        assert fetch(client, z, x, y).headers["x-tile-source"] == "summary"
        refreshed_ago(90)  # stale but usable: answered from it while it is refreshed
        assert fetch(client, z, x, y).headers["x-tile-source"] == "summary"
        with engine.connect() as conn:
            while (tile_summary.state(conn).age_s or 0) > 60:
                assert time.monotonic() < deadline, "the background refresh never finished"
                conn.rollback()
                time.sleep(0.1)
    engine.dispose()


def test_cunrong_tiles_refresh_switches_the_summary_on(two_villages_url: str, tmp_path):
    from service.cli import app
    from tests.cli import runner_for

    z, x, y = town_tile(9)
    with make_client(two_villages_url, tmp_path) as client:
        assert fetch(client, z, x, y).headers["x-tile-source"] == "live"
        result = runner_for(two_villages_url).invoke(app, ["tiles", "refresh"])
        assert result.exit_code == 0, result.output
        assert "tile summary refreshed" in result.output
        response = fetch(client, z, x, y)
        assert response.headers["x-tile-source"] == "summary"
        assert sum(c[1] for c in cells(response.content)) == 4
