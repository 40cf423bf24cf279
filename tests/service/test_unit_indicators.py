"""Indicators per grid (网格) and per 党建共同体, counted by the same grouped SQL as villages."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import create_engine, text

from geo.assign import assign_issues

GRID = "MULTIPOLYGON((({w} 39.28,{e} 39.28,{e} 39.29,{w} 39.29,{w} 39.28)))"


@pytest.fixture
def gridded(two_villages_url):
    """W01 cut into a west grid (117.19–117.1955, 40 households: I1) and an east one
    (117.1955–117.20, 60 households: I2, closed on 04-10 within its deadline 04-12)."""
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        for code, name, west, east, households in (
            ("W01-1", "一网格", 117.19, 117.1955, 40),
            ("W01-2", "二网格", 117.1955, 117.20, 60),
        ):
            conn.execute(
                text(
                    "INSERT INTO grid (code, village_id, name, households, geom) SELECT :c, v.id,"
                    " :n, :h, ST_GeomFromText(:g, 4326) FROM village v WHERE v.code = 'W01'"
                ),
                {"c": code, "n": name, "h": households, "g": GRID.format(w=west, e=east)},
            )
        conn.execute(text("UPDATE issue SET closed_on = '2024-04-10' WHERE code = 'I2'"))
        conn.execute(text("UPDATE village SET households = 100 WHERE code = 'W01'"))
        conn.execute(text("UPDATE village SET households = 50 WHERE code = 'E01'"))
        assign_issues(conn)
    engine.dispose()
    return two_villages_url


def test_grid_indicators(client, gridded):
    rows = client.get("/indicators/grids?as_of=2024-12-31").json()
    assert [(r["grid"], r["village"], r["issues"]) for r in rows] == [
        ("W01-1", "W01", 1),
        ("W01-2", "W01", 1),
    ]
    west, east = rows
    # W01-1: I1 open past its deadline 03-15: overdue, none closed → on-time rate 0 / (0 + 1)
    assert (west["overdue"], west["closed"], west["on_time_rate"]) == (1, 0, 0)
    assert west["per_100_households"] == pytest.approx(1 / 40 * 100)
    # W01-2: I2 closed on 04-10, deadline 04-12 → on time 1 / (1 + 0)
    assert (east["closed_on_time"], east["on_time_rate"], east["overdue"]) == (1, 1.0, 0)
    assert east["per_100_households"] == pytest.approx(1 / 60 * 100)
    # 0.0045° × 0.01° at 39.285°N ≈ 0.388 km × 1.11 km ≈ 0.431 km²
    assert east["per_km2"] == pytest.approx(1 / 0.431, rel=0.02)
    assert client.get("/indicators/grids?village=E01").json() == []


def test_community_indicators_sum_their_villages(client, gridded):
    (row,) = client.get("/indicators/communities?as_of=2024-12-31").json()
    assert (row["community"], row["name"], row["households"]) == ("C1", "一号共同体", 150)
    # I1..I4: one closed on time (I2), overdue I1 and I3 (I4 is awaiting recheck)
    assert (row["issues"], row["closed"], row["overdue"]) == (4, 1, 2)
    assert row["on_time_rate"] == pytest.approx(1 / 3)
    assert row["per_100_households"] == pytest.approx(4 / 150 * 100)
    assert row["by_category"] == {"clutter": 2, "weeds": 1, "tangled_wires": 1}
    # the village lines are the same computation grouped by village
    villages = {r["village"]: r for r in client.get("/indicators?as_of=2024-12-31").json()}
    assert sum(v["issues"] for v in villages.values()) == row["issues"]
    assert villages["W01"]["community"] == "C1"
    assert villages["W01"]["on_time_rate"] == pytest.approx(1 / 2)


def test_village_users_see_their_own_grids_and_community(client, tokens, gridded):
    east = client.get("/indicators/grids", headers=tokens["east"]).json()
    assert east == []
    west = client.get("/indicators/grids", headers=tokens["west"]).json()
    assert {r["village"] for r in west} == {"W01"}
    assert client.get("/indicators/grids?village=W01", headers=tokens["east"]).status_code == 403
    own = client.get("/indicators/communities", headers=tokens["west"]).json()
    assert [r["community"] for r in own] == ["C1"]


def test_exports_carry_the_grid_and_community_columns(client, gridded):
    csv = client.get("/exports/indicators/grid.csv?as_of=2024-12-31")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:3] == ["网格编码 grid", "网格 name", "村代码 village"]
    assert "按期整改率 on_time_rate" in lines[0] and "每百户问题数 per_100_households" in lines[0]
    assert lines[1].startswith("W01-1,一网格,W01,西村,40,1,0,0.0,0,0.0,1")
    book = openpyxl.load_workbook(
        io.BytesIO(client.get("/exports/indicators/community.xlsx?as_of=2024-12-31").content)
    )
    sheet = book.active
    assert [c.value for c in sheet[3]][:4] == ["C1", "一号共同体", 150, 4]
    assert client.get("/exports/indicators/county.csv").status_code == 422
    assert client.get("/exports/indicators/grid.pdf").status_code == 422
