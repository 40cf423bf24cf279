"""The direct bulk path of issue files (`geo.io.issue_rows`): columns computed client-side,
COPY straight into `issue` and `issue_event`. Expected values are worked out from the four
squares of the fixture town, not from the staging path."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text

from geo.io import ImportFailed, bulk, import_file, issues

from .conftest import count, square_wkt


def _no_staging(monkeypatch) -> None:
    """Make sure a test runs the direct path: the staging path's COPY would fail."""

    def refuse(*args, **kwargs):
        raise AssertionError("the staging path ran")

    monkeypatch.setattr(issues, "copy_issue_points", refuse)


def _village_ids(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT code, id FROM village")).all())


def _grid(engine, code: str, village: str, west: float, south: float, size: float) -> int:
    with engine.begin() as conn:
        return conn.execute(
            text(
                "INSERT INTO grid (code, village_id, name, geom) SELECT :c, v.id, :c,"
                " ST_Multi(ST_GeomFromText(:w, 4326)) FROM village v WHERE v.code = :v"
                " RETURNING id"
            ),
            {"c": code, "v": village, "w": square_wkt(west, south, size)},
        ).scalar_one()


def test_direct_path_places_numbers_and_dates_by_the_rules(town, tmp_path, monkeypatch):
    _no_staging(monkeypatch)
    ids = _village_ids(town)
    # Two grids of V04 (NE square, 117.20–117.21 E, 39.29–39.30 N): the lower id covers its
    # SW quarter, the higher one the whole SW half; a third, of V03, reaches into V04.
    low = _grid(town, "G-LOW", "V04", 117.20, 39.29, 0.005)
    high = _grid(town, "G-HIGH", "V04", 117.20, 39.29, 0.0075)
    _grid(town, "G-V03", "V03", 117.195, 39.29, 0.01)
    with town.begin() as conn:  # a code in use: numbering continues after it
        conn.execute(
            text(
                "INSERT INTO issue (id, code, category_code, description, geom, source,"
                " found_on, status, version, village_id, town_id)"
                " SELECT gen_random_uuid(), 'V01-202403-0007', 'weeds', '',"
                " ST_SetSRID(ST_MakePoint(117.191, 39.281), 4326), 'inspection', '2024-03-01',"
                " 'open', 1, id, town_id FROM village WHERE code = 'V01'"
            )
        )
    frame = pd.DataFrame(
        {
            "类别": "weeds",
            "经度": [117.195, 117.20, 117.20, 117.1898, 117.202, 117.207, 117.196],
            "纬度": [39.285, 39.285, 39.29, 39.285, 39.292, 39.292, 39.286],
            "发现日期": [
                "2024-03-05",
                "2024-03-06",
                "2024-03-07",
                "2024-03-08",
                "2024-04-02",
                "2024-04-03",
                "2024-03-09",
            ],
            "整改期限": [None, None, None, None, None, None, "2024-03-20"],
            "问题编号": [None, None, None, None, None, None, "OWN-1"],
        }
    )
    path = tmp_path / "issues.csv"
    frame.to_csv(path, index=False)
    report = import_file(town, "issues", path, progress=False, bulk_rows=2)
    assert report.inserted == 7
    # The snapped point is named by its file row (the 4th data row: row 5) as a warning.
    (warning,) = report.warnings
    assert warning.row == 5 and "V01" in warning.message
    with town.connect() as conn:
        got = {
            r.lon_lat: r
            for r in conn.execute(
                text(
                    "SELECT ST_X(geom)::text || ' ' || ST_Y(geom)::text AS lon_lat, code,"
                    " village_id, grid_id, outside_m, deadline, deadline_provisional, town_id"
                    " FROM issue WHERE code <> 'V01-202403-0007'"
                )
            )
        }
        town_id = conn.execute(text("SELECT id FROM town")).scalar_one()
        outbox = conn.execute(text("SELECT after_event, up_to_event FROM notify_outbox")).all()
        events = conn.execute(
            text(
                "SELECT e.note, e.kind, e.to_status, e.on::text, i.code FROM issue_event e"
                " JOIN issue i ON i.id = e.issue_id ORDER BY e.note"
            )
        ).all()
    inside, edge, corner, snapped, in_low, in_high, own = (
        got[f"{x} {y}"] for x, y in zip(frame["经度"], frame["纬度"], strict=True)
    )
    # Interior, shared edge V01|V02 and the corner of all four: the lowest id covering it.
    assert inside.village_id == ids["V01"]
    assert edge.village_id == min(ids["V01"], ids["V02"])
    assert corner.village_id == min(ids.values())
    # 0.0002° of longitude west of V01 at 39.285°N ≈ 17 m: within the 30 m tolerance.
    assert snapped.village_id == ids["V01"] and 15 < snapped.outside_m < 20
    assert inside.outside_m is None and edge.outside_m is None
    # Grids: the lowest-id grid of the point's own village that covers it.
    assert in_low.village_id == ids["V04"] and in_low.grid_id == low
    assert in_high.village_id == ids["V04"] and in_high.grid_id == high
    assert inside.grid_id is None
    # Codes: V01's March numbering continues after 0007, in file-row order (the fixture
    # inserts V01 first, so it holds the edge and the corner); V04's April starts at 0001.
    assert ids["V01"] == min(ids.values())
    assert [inside.code, edge.code, corner.code, snapped.code] == [
        "V01-202403-0008",
        "V01-202403-0009",
        "V01-202403-0010",
        "V01-202403-0011",
    ]
    assert in_low.code == "V04-202404-0001" and in_high.code == "V04-202404-0002"
    assert own.code == "OWN-1"
    # Deadlines: no rounds, so the fallback: the end of the month after the one found in,
    # provisional; a given deadline is kept as it is.
    assert (inside.deadline, inside.deadline_provisional) == (dt.date(2024, 4, 30), True)
    assert (in_low.deadline, in_low.deadline_provisional) == (dt.date(2024, 5, 31), True)
    assert (own.deadline, own.deadline_provisional) == (dt.date(2024, 3, 20), False)
    assert {r.town_id for r in got.values()} == {town_id}
    # One `created` event per row, noting the file row, with the issue's status and day;
    # the COPY fires the statement-level notification triggers once: one outbox row.
    assert len(events) == 7
    assert [hi - lo for lo, hi in outbox] == [7]
    assert {e.kind for e in events} == {"created"} and {e.to_status for e in events} == {"open"}
    first = next(e for e in events if e.note.endswith(" 2"))
    assert first.code == "V01-202403-0008" and first.on == "2024-03-05"


def test_direct_path_refusals_name_rows_and_change_nothing(town, tmp_path, monkeypatch):
    _no_staging(monkeypatch)
    with town.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO issue (id, code, category_code, description, geom, source,"
                " found_on, status, version, village_id, town_id)"
                " SELECT gen_random_uuid(), 'TAKEN', 'weeds', '',"
                " ST_SetSRID(ST_MakePoint(117.191, 39.281), 4326), 'inspection', '2024-03-01',"
                " 'open', 1, id, town_id FROM village WHERE code = 'V01'"
            )
        )
    with town.connect() as conn:
        before = conn.execute(text("SELECT indexdef FROM pg_indexes ORDER BY 1")).scalars().all()
    frame = pd.DataFrame(
        {
            "问题编号": ["A-1", "TAKEN", "A-3", "A-4"],
            "类别": "weeds",
            # Row 5: 0.001° (≈ 86 m) west of the town, past the 30 m tolerance.
            "经度": [117.195, 117.205, 117.195, 117.189],
            "纬度": [39.285, 39.285, 39.295, 39.285],
            "发现日期": "2024-03-05",
        }
    )
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path, progress=False, bulk_rows=2)
    errors = {(p.row, p.field): p.message for p in failed.value.report.errors}
    assert set(errors) == {(3, "问题编号"), (5, "经度/纬度")}
    assert "duplicate code 'TAKEN'" in errors[(3, "问题编号")]
    assert (
        "outside the town" in errors[(5, "经度/纬度")] and "张庄村 V01" in errors[(5, "经度/纬度")]
    )
    assert count(town, "issue") == 1 and count(town, "issue_event") == 0
    with town.connect() as conn:
        after = conn.execute(text("SELECT indexdef FROM pg_indexes ORDER BY 1")).scalars().all()
    assert after == before


def test_bool_column_round_trips(db):
    with db.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE flags (b boolean) ON COMMIT DROP"))
        bulk.copy_columns(conn, "flags", [bulk.bool_column("b", [True, False, True])])
        got = conn.execute(text("SELECT b FROM flags")).scalars().all()
    assert got == [True, False, True]
