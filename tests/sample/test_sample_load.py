"""The sample town in PostGIS: a tiling without gaps or overlaps, issues in their villages."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, text

from geo.errors import Conflict
from geo.sample.files import read_csv, read_geojson
from geo.sample.load import load_sample_town


@pytest.fixture
def db(sample_url: str) -> Iterator[Connection]:
    """A connection to a database of this test's own holding the sample town."""
    engine = create_engine(sample_url)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


def _scalar(conn: Connection, sql: str, **params: object) -> object:
    return conn.execute(text(sql), params).scalar_one()


def test_villages_tile_the_town_in_postgis(db: Connection, committed: Path) -> None:
    row = (
        db.execute(
            text(
                "SELECT count(*) AS n, bool_and(ST_IsValid(geom)) AS valid,"
                " sum(ST_Area(geom)) AS parts, ST_Area(ST_Union(geom)) AS whole,"
                " ST_NumGeometries(ST_Union(geom)) AS pieces, ST_NRings(ST_Union(geom)) AS rings"
                " FROM village"
            )
        )
        .mappings()
        .one()
    )
    assert row["n"] == 44 and row["valid"]
    assert row["pieces"] == 1 and row["rings"] == 1, "one polygon without holes"
    assert abs(row["parts"] - row["whole"]) < 1e-12 * row["whole"] + 1e-15
    overlaps = _scalar(
        db,
        "SELECT count(*) FROM village a JOIN village b ON a.id < b.id"
        " AND a.geom && b.geom AND ST_Overlaps(a.geom, b.geom)",
    )
    assert overlaps == 0
    shared = _scalar(
        db,
        "SELECT count(*) FROM village a JOIN village b ON a.id < b.id"
        " AND a.geom && b.geom AND ST_Area(ST_Intersection(a.geom, b.geom)) > 0",
    )
    assert shared == 0
    ((_, town),) = read_geojson(committed / "town.geojson")
    town_area = _scalar(
        db, "SELECT ST_Area(ST_GeomFromGeoJSON(:g))", g=json.dumps(town.__geo_interface__)
    )
    assert abs(row["whole"] - town_area) < 1e-9 * town_area


def test_grids_tile_their_villages_in_postgis(db: Connection) -> None:
    rows = db.execute(
        text(
            "SELECT v.code, count(g.id) AS grids, abs(sum(ST_Area(g.geom)) - ST_Area(v.geom))"
            " / ST_Area(v.geom) AS gap, ST_Area(ST_SymDifference(ST_Union(g.geom), v.geom))"
            " / ST_Area(v.geom) AS mismatch"
            " FROM village v JOIN grid g ON g.village_id = v.id GROUP BY v.id"
        )
    ).all()
    assert len(rows) == 44
    for code, grids, gap, mismatch in rows:
        assert 2 <= grids <= 5, code
        assert gap < 1e-9 and mismatch < 1e-9, code
    overlaps = _scalar(
        db,
        "SELECT count(*) FROM grid a JOIN grid b ON a.id < b.id"
        " AND a.geom && b.geom AND ST_Overlaps(a.geom, b.geom)",
    )
    assert overlaps == 0


def test_every_issue_lies_in_its_village_and_grid(db: Connection, committed: Path) -> None:
    stored = {
        code: (village, grid, outside)
        for code, village, grid, outside in db.execute(
            text(
                "SELECT i.code, v.code, g.code, i.outside_m FROM issue i"
                " LEFT JOIN village v ON v.id = i.village_id LEFT JOIN grid g ON g.id = i.grid_id"
            )
        )
    }
    issues = read_csv(committed / "issues.csv")
    assert len(stored) == len(issues)
    for issue in issues:
        village, grid, outside = stored[issue["code"]]
        assert village == issue["village"], issue["code"]
        if issue["grid"]:
            assert grid == issue["grid"] and outside is None, issue["code"]
        else:
            assert grid is None and 0 < outside <= 30.0, issue["code"]


def test_statuses_and_histories_in_the_database(db: Connection, committed: Path) -> None:
    mismatched = _scalar(
        db,
        "SELECT count(*) FROM issue i JOIN LATERAL (SELECT to_status FROM issue_event e"
        " WHERE e.issue_id = i.id ORDER BY e.on DESC, e.id DESC LIMIT 1) last ON TRUE"
        " WHERE last.to_status <> i.status",
    )
    assert mismatched == 0
    assert (
        _scalar(db, "SELECT count(*) FROM issue WHERE status = 'closed' AND closed_on IS NULL") == 0
    )
    assert _scalar(db, "SELECT count(*) FROM issue_event") == len(
        read_csv(committed / "issue_events.csv")
    )
    wrong_rebounds = _scalar(
        db,
        "SELECT count(*) FROM issue r JOIN issue o ON o.id = r.rebound_of"
        " WHERE o.category_code <> r.category_code OR o.status <> 'closed'"
        " OR ST_Distance(o.geom::geography, r.geom::geography) > 20"
        " OR r.found_on - o.closed_on NOT BETWEEN 0 AND 90",
    )
    assert wrong_rebounds == 0
    unlinked = _scalar(
        db,
        "SELECT count(*) FROM issue r WHERE r.rebound_of IS NULL AND EXISTS (SELECT 1 FROM issue o"
        " WHERE o.status = 'closed' AND o.category_code = r.category_code"
        " AND o.updated_at < r.created_at AND r.found_on - o.closed_on <= 90"
        " AND ST_DWithin(o.geom::geography, r.geom::geography, 20))",
    )
    assert unlinked == 0, "every issue the rule makes a rebound is linked, as the app would"
    rounds = _scalar(
        db, "SELECT count(*) FROM issue WHERE source = 'inspection' AND round_id IS NULL"
    )
    assert rounds == 0


def test_every_file_row_is_in_its_table(db: Connection, committed: Path) -> None:
    counts = {
        "community": len(read_csv(committed / "communities.csv")),
        "village": 44,
        "grid": len(read_geojson(committed / "grids.geojson")),
        "road": len(read_geojson(committed / "roads.geojson")),
        "entrance": len(read_geojson(committed / "entrances.geojson")),
        "waterbody": len(read_geojson(committed / "waterbodies.geojson")),
        "inspection_round": 10,
        "round_village": 440,
        "observation_score": len(read_csv(committed / "observation_scores.csv")),
        "third_party_evaluation": len(read_csv(committed / "third_party.csv")),
        "honor": len(read_csv(committed / "honors.csv")),
    }
    for table, expected in counts.items():
        assert _scalar(db, f"SELECT count(*) FROM {table}") == expected, table
    covered = _scalar(
        db,
        "SELECT count(*) FROM entrance e JOIN village v ON v.id = e.village_id"
        " JOIN road r ON r.id = e.road_id WHERE ST_Covers(v.geom, e.geom) AND r.kind = 'main'",
    )
    assert covered == counts["entrance"]
    by_month = Counter(
        m for (m,) in db.execute(text("SELECT to_char(month, 'YYYY-MM') FROM observation_score"))
    )
    assert "2024-08" not in by_month and len(by_month) == 9


def test_loading_twice_is_refused_and_changes_nothing(sample_url: str, committed: Path) -> None:
    with pytest.raises(Conflict, match="already holds 44 villages"):
        load_sample_town(sample_url)
    engine = create_engine(sample_url)
    with engine.connect() as conn:
        assert _scalar(conn, "SELECT count(*) FROM village") == 44
        assert _scalar(conn, "SELECT count(*) FROM issue") == len(
            read_csv(committed / "issues.csv")
        )
    engine.dispose()
