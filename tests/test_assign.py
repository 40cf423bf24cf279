"""Spatial assignment of issues to villages and grids, with the GPS tolerance."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo.assign import assign_issues, locate
from geo.errors import OutsideTown

# Village W01 spans 117.19–117.20 E, 39.28–39.29 N. At 39.285°N one degree of longitude is
# 111.32 km × cos(39.285°) ≈ 86.18 km, so 0.0002° ≈ 17.2 m and 0.001° ≈ 86 m.
SQUARE = "MULTIPOLYGON((({w} 39.28,{e} 39.28,{e} 39.29,{w} 39.29,{w} 39.28)))"


@pytest.fixture
def town(session):
    conn = session.connection()
    for code, west, east in (("W01", 117.19, 117.20), ("E01", 117.20, 117.21)):
        conn.execute(
            text(
                "INSERT INTO village (code, name, geom) VALUES (:c, :c, ST_GeomFromText(:w, 4326))"
            ),
            {"c": code, "w": SQUARE.format(w=west, e=east)},
        )
    conn.execute(
        text(
            "INSERT INTO grid (code, village_id, name, geom) SELECT 'W01-1', id, '一网格',"
            " ST_GeomFromText(:w, 4326) FROM village WHERE code = 'W01'"
        ),
        {"w": SQUARE.format(w=117.19, e=117.195)},
    )
    return conn


def _add(conn, code, lon, lat):
    conn.execute(
        text(
            "INSERT INTO issue (id, code, category_code, geom, source, found_on, status, version)"
            " VALUES (gen_random_uuid(), :code, 'clutter', ST_SetSRID(ST_MakePoint(:lon, :lat),"
            " 4326), 'inspection', '2024-03-01', 'open', 1)"
        ),
        {"code": code, "lon": lon, "lat": lat},
    )


def test_points_inside_near_and_far(town):
    _add(town, "inside-grid", 117.1925, 39.285)
    _add(town, "inside", 117.205, 39.285)
    _add(town, "on-shared-edge", 117.20, 39.285)
    _add(town, "17m-west", 117.1898, 39.285)
    _add(town, "86m-east", 117.211, 39.285)
    result = assign_issues(town)
    assert (result.covered, result.snapped, result.unassigned) == (3, 1, 1)
    rows = {
        r.code: r
        for r in town.execute(
            text(
                "SELECT i.code, v.code AS village, g.code AS grid, i.outside_m FROM issue i"
                " LEFT JOIN village v ON v.id = i.village_id LEFT JOIN grid g ON g.id = i.grid_id"
            )
        )
    }
    assert rows["inside-grid"].village == "W01" and rows["inside-grid"].grid == "W01-1"
    assert rows["inside"].village == "E01" and rows["inside"].grid is None
    assert rows["on-shared-edge"].village in {"W01", "E01"}
    assert rows["17m-west"].village == "W01"
    assert rows["17m-west"].outside_m == pytest.approx(17.2, abs=0.5)
    assert rows["86m-east"].village is None


def test_reassignment_after_boundary_change_moves_issues(town):
    _add(town, "x", 117.1975, 39.285)
    assign_issues(town)
    town.execute(
        text("UPDATE village SET geom = ST_GeomFromText(:w, 4326) WHERE code = 'E01'"),
        {"w": SQUARE.format(w=117.195, e=117.21)},
    )
    town.execute(
        text("UPDATE village SET geom = ST_GeomFromText(:w, 4326) WHERE code = 'W01'"),
        {"w": SQUARE.format(w=117.19, e=117.195)},
    )
    assign_issues(town)
    village = town.execute(
        text("SELECT v.code FROM issue i JOIN village v ON v.id = i.village_id")
    ).scalar_one()
    assert village == "E01"


def test_locate_names_the_nearest_village_when_refusing(town):
    assert locate(town, lon=117.1925, lat=39.285).village_code == "W01"
    snapped = locate(town, lon=117.1898, lat=39.285)
    assert snapped.village_code == "W01" and snapped.outside_m == pytest.approx(17.2, abs=0.5)
    with pytest.raises(OutsideTown, match=r"86 m outside the town \(nearest village E01"):
        locate(town, lon=117.211, lat=39.285)
