"""Binary COPY built with numpy: every type arrives intact, NULLs included."""

from __future__ import annotations

import uuid
from datetime import date

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import text

from geo.io import bulk

SQUARE = "POLYGON((0 0,1 0,1 1,0 1,0 0))"


def test_binary_copy_round_trip(db):
    ids = bulk.random_uuids(3)
    columns = [
        bulk.int4_column("n", [1, -2, 3], [False, False, True]),
        bulk.uuid_column("u", ids),
        bulk.text_column("t", pd.Series(["村容", None, "a\tb\nc"])),
        bulk.text_column("k", pd.Series(["same", "same", "same"])),
        bulk.point_column("p", [117.2, np.nan, -0.5], [39.3, 1.0, 51.5]),
        bulk.date_column("d", np.array(["2024-03-05", "NaT", "1999-12-31"], dtype="datetime64[D]")),
        bulk.float8_column("f", [1.5, np.nan, -2.25]),
        bulk.ewkb_column("g", [shapely.from_wkt(SQUARE), None, shapely.Point(1, 2)]),
    ]
    with db.begin() as conn:
        conn.execute(
            text(
                "CREATE TEMP TABLE t (n int, u uuid, t text, k text, p geometry(Point, 4326),"
                " d date, f float8, g geometry(Geometry, 4326))"
            )
        )
        assert bulk.copy_columns(conn, "t", columns) == 3
        rows = conn.execute(
            text("SELECT n, u, t, k, ST_AsText(p), d, f, ST_AsText(g), ST_SRID(g) FROM t")
        ).all()
    assert rows[0] == (
        1,
        uuid.UUID(bytes=bytes(ids[0])),
        "村容",
        "same",
        "POINT(117.2 39.3)",
        date(2024, 3, 5),
        1.5,
        SQUARE,
        4326,
    )
    assert rows[1][0] == -2 and rows[1][2] is None and rows[1][4] is None and rows[1][5] is None
    assert rows[1][6] is None and rows[1][7] is None
    assert rows[2][0] is None and rows[2][2] == "a\tb\nc" and rows[2][5] == date(1999, 12, 31)
    assert rows[2][7] == "POINT(1 2)"


def test_chunks_join_up(db, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 7)
    n = 50
    with db.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE t (n int, t text, p geometry(Point, 4326))"))
        bulk.copy_columns(
            conn,
            "t",
            [
                bulk.int4_column("n", np.arange(n)),
                bulk.text_column("t", pd.Series([f"行{i}" for i in range(n)])),
                bulk.point_column("p", np.arange(n) / 100, np.zeros(n)),
            ],
        )
        got = conn.execute(text("SELECT n, t, ST_X(p) FROM t ORDER BY n")).all()
    assert got == [(i, f"行{i}", i / 100) for i in range(n)]


def test_time_ordered_uuids_are_version_7_and_ascending():
    ids = [uuid.UUID(bytes=bytes(r)) for r in bulk.time_ordered_uuids(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 1000
    assert {u.version for u in ids} == {7}


def test_spatial_order_keeps_neighbours_together():
    x = np.array([0.0, 10.0, 0.1, 10.1, 0.2])
    y = np.array([0.0, 10.0, 0.1, 10.1, 0.0])
    order = bulk.spatial_order(x, y)
    groups = [int(x[i] > 5) for i in order]
    assert groups in ([0, 0, 0, 1, 1], [1, 1, 0, 0, 0])


def test_indexes_deferred_restores_indexes_and_keys(db):
    def schema(conn):
        indexes = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE tablename IN ('issue', 'issue_event')")
        ).scalars()
        keys = conn.execute(
            text(
                "SELECT conname || pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE contype = 'f' ORDER BY 1"
            )
        ).scalars()
        return sorted(indexes), list(keys)

    with db.begin() as conn:
        before = schema(conn)
        with bulk.indexes_deferred(conn, ["issue", "issue_event"]):
            during = schema(conn)
        after = schema(conn)
    assert len(during[0]) < len(before[0]) and len(during[1]) < len(before[1])
    assert after == before
