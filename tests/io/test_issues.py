"""Issue files: every bad row named with its field, nothing half-loaded, points placed."""

from __future__ import annotations

import uuid

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import Workbook
from sqlalchemy import text

from geo.coords import wgs84_to_gcj02
from geo.io import ImportFailed, import_file, issue_rows, issues
from geo.io.coordinates import SWAPPED_HINT

from .conftest import count

HEADERS = ["类别", "经度", "纬度", "描述", "发现日期"]


def rows_of(*cells: tuple) -> pd.DataFrame:
    """Issue rows under the Chinese headers."""
    return pd.DataFrame(list(cells), columns=HEADERS)


GOOD = rows_of(
    ("乱堆乱放", 117.195, 39.285, "柴草堆占道", "2024-03-05"),
    ("weeds", 117.205, 39.285, "杂草", "2024/3/6"),
    ("tangled_wires", 117.195, 39.295, "", "2024年3月7日"),
    ("waterbody_waste", 117.205, 39.295, "沟渠垃圾", "20240308"),
)


def problems(exc: ImportFailed) -> dict[tuple[int | None, str | None], tuple[str, str | None]]:
    return {(p.row, p.field): (p.message, p.hint) for p in exc.report.errors}


def test_csv_happy_path_assigns_villages_codes_and_events(town, tmp_path):
    path = tmp_path / "issues.csv"
    GOOD.to_csv(path, index=False)
    report = import_file(town, "issues", path)
    assert report.inserted == 4 and not report.problems
    with town.connect() as conn:
        got = conn.execute(
            text(
                "SELECT i.code, i.category_code, v.code AS village, i.found_on::text, i.status"
                " FROM issue i JOIN village v ON v.id = i.village_id ORDER BY i.found_on"
            )
        ).all()
        events = conn.execute(
            text("SELECT kind, to_status, note FROM issue_event ORDER BY note")
        ).all()
    assert [tuple(r) for r in got] == [
        ("V01-202403-0001", "clutter", "V01", "2024-03-05", "open"),
        ("V02-202403-0001", "weeds", "V02", "2024-03-06", "open"),
        ("V03-202403-0001", "tangled_wires", "V03", "2024-03-07", "open"),
        ("V04-202403-0001", "waterbody_waste", "V04", "2024-03-08", "open"),
    ]
    assert [e.kind for e in events] == ["created"] * 4
    with town.connect() as conn:
        days = conn.execute(
            text('SELECT i.found_on = e."on" FROM issue_event e JOIN issue i ON i.id = e.issue_id')
        ).scalars()
        assert list(days) == [True] * 4  # the file's dates, not the day of the import
    assert events[0].note.endswith("issues.csv row 2")
    # a second file continues the numbering
    GOOD.iloc[[0]].to_csv(path, index=False)
    import_file(town, "issues", path)
    with town.connect() as conn:
        codes = conn.execute(text("SELECT code FROM issue WHERE code LIKE 'V01-%'")).scalars()
        assert sorted(codes) == ["V01-202403-0001", "V01-202403-0002"]


def _xlsx(path, header, rows, *, title: str | None = None):
    book = Workbook()
    sheet = book.active
    sheet.title = "问题台账"
    if title:
        sheet.append([title])
    sheet.append(header)
    for r in rows:
        sheet.append(list(r))
    book.save(path)


def test_excel_with_swapped_rows_names_them_and_changes_nothing(town, tmp_path):
    rows = GOOD.to_numpy().tolist()
    rows[1][1], rows[1][2] = rows[1][2], rows[1][1]
    rows[3][1], rows[3][2] = rows[3][2], rows[3][1]
    path = tmp_path / "台账.xlsx"
    _xlsx(path, HEADERS, rows, title="大张庄镇人居环境问题台账")
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path)
    found = problems(failed.value)
    # title on row 1, header on row 2, data from row 3: the swapped ones are rows 4 and 6
    assert set(found) == {(4, "经度/纬度"), (6, "经度/纬度")}
    assert all(hint == SWAPPED_HINT for _, hint in found.values())
    assert count(town, "issue") == 0 and count(town, "issue_event") == 0


def test_points_outside_and_within_gps_tolerance(town, tmp_path):
    # 0.0002° of longitude ≈ 17 m west of V01; 0.05° ≈ 4.3 km east of the town
    frame = rows_of(
        ("clutter", 117.1898, 39.285, "", "2024-03-05"),
        ("clutter", 117.26, 39.285, "", "2024-03-05"),
        ("clutter", 117.195, 39.285, "", "2024-03-05"),
    )
    path = tmp_path / "far.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path)
    ((message, _),) = problems(failed.value).values()
    assert list(problems(failed.value)) == [(3, "经度/纬度")]
    assert "outside the town" in message and "V02" in message
    assert count(town, "issue") == 0

    frame.drop(index=1).to_csv(path, index=False)
    report = import_file(town, "issues", path)
    (warning,) = report.warnings
    assert warning.row == 2 and "GPS tolerance" in warning.message
    with town.connect() as conn:
        outside = conn.execute(text("SELECT outside_m FROM issue WHERE outside_m IS NOT NULL"))
        assert outside.scalar_one() == pytest.approx(17.2, abs=0.5)


def test_unknown_category_lists_the_closest_codes(town, tmp_path):
    path = tmp_path / "cat.csv"
    rows_of(("clutterr", 117.195, 39.285, "", "2024-03-05")).to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path)
    ((message, hint),) = problems(failed.value).values()
    assert "unknown category 'clutterr'" in message
    assert hint.startswith("closest known: clutter")


def test_many_bad_rows_reported_together(town, tmp_path):
    frame = pd.DataFrame(
        {
            "问题编号": ["A-1", "A-2", "A-1", "A-4", "A-5", "A-6"],
            "类别": ["clutter", None, "weeds", "weeds", "weeds", "weeds"],
            "经度": [117.195, 117.195, 117.195, "东经117", 117.195, None],
            "纬度": [39.285, 39.285, 39.285, 39.285, 39.285, None],
            "发现日期": [
                "2024-03-05",
                "2024-03-05",
                "2024-03-05",
                "2024-13-01",
                "3月5日",
                "2024-03-05",
            ],
            "整改期限": ["2024-03-01", None, None, None, None, None],
        }
    )
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path)
    found = problems(failed.value)
    assert "before" in found[(2, "整改期限")][0]
    assert found[(3, "类别")][0] == "required value is missing"
    assert "row 2" in found[(4, "问题编号")][0]
    assert "expected a number" in found[(5, "经度")][0]
    assert "not a date" in found[(5, "发现日期")][0]
    assert "not a date" in found[(6, "发现日期")][0]
    assert "missing coordinates" in found[(7, "经度/纬度")][0]
    assert count(town, "issue") == 0


def test_duplicate_ids_and_codes_against_the_database(town, tmp_path):
    ident = uuid.uuid4()
    first = GOOD.iloc[[0]].assign(编号=["X-1"], id=[str(ident)])
    path = tmp_path / "one.csv"
    first.to_csv(path, index=False)
    import_file(town, "issues", path)
    again = GOOD.iloc[[0, 1]].assign(编号=["X-1", "X-2"], id=[str(uuid.uuid4()), str(ident)])
    again.to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path)
    found = problems(failed.value)
    assert "already in the database" in found[(2, "编号")][0]
    assert "already in the database" in found[(3, "id")][0]
    assert count(town, "issue") == 1


def test_web_mercator_csv_needs_crs(town, tmp_path):
    x, y = shapely.get_coordinates(
        gpd.GeoSeries.from_xy(GOOD["经度"], GOOD["纬度"], crs=4326).to_crs(3857)
    ).T
    path = tmp_path / "mercator.csv"
    GOOD.assign(经度=x, 纬度=y).to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path)
    assert all("EPSG:3857" in hint for _, hint in problems(failed.value).values())
    report = import_file(town, "issues", path, crs="EPSG:3857")
    assert report.inserted == 4
    with town.connect() as conn:
        lon = conn.execute(text("SELECT ST_X(geom) FROM issue ORDER BY found_on LIMIT 1")).scalar()
    assert lon == pytest.approx(117.195, abs=1e-7)


def test_gcj02_points_are_shifted_back_to_wgs84(town, tmp_path):
    glon, glat = wgs84_to_gcj02(GOOD["经度"].to_numpy(), GOOD["纬度"].to_numpy())
    assert abs(glon[0] - 117.195) > 0.004  # the shift is hundreds of metres here
    path = tmp_path / "gaode.csv"
    GOOD.assign(经度=glon, 纬度=glat).to_csv(path, index=False)
    import_file(town, "issues", path, coords="gcj02")
    with town.connect() as conn:
        got = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM issue ORDER BY found_on"))
        xy = np.array(got.all())
    np.testing.assert_allclose(xy, GOOD[["经度", "纬度"]].to_numpy(dtype=float), atol=1e-7)


def test_kml_and_geopackage_points(town, tmp_path):
    frame = gpd.GeoDataFrame(
        GOOD[["类别", "描述", "发现日期"]],
        geometry=gpd.points_from_xy(GOOD["经度"], GOOD["纬度"]),
        crs=4326,
    )
    frame.to_file(tmp_path / "issues.kml", driver="KML")
    assert import_file(town, "issues", tmp_path / "issues.kml").inserted == 4
    frame.to_crs(4527).to_file(tmp_path / "issues.gpkg", layer="问题")
    assert import_file(town, "issues", tmp_path / "issues.gpkg").inserted == 4
    with town.connect() as conn:
        assert conn.execute(text("SELECT count(DISTINCT code) FROM issue")).scalar() == 8


def test_dry_run_checks_everything_and_writes_nothing(town, tmp_path):
    path = tmp_path / "issues.csv"
    GOOD.to_csv(path, index=False)
    report = import_file(town, "issues", path, dry_run=True)
    assert report.ok and report.inserted == 4 and "would import" in report.summary()
    assert count(town, "issue") == 0


def test_no_villages_yet(db, tmp_path):
    path = tmp_path / "issues.csv"
    GOOD.to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(db, "issues", path)
    assert "import villages first" in failed.value.report.errors[0].message


def test_status_and_closing_dates(town, tmp_path):
    frame = GOOD.assign(
        状态=["已销号", "已销号", "整改中", None],
        销号日期=["2024-03-20", None, "2024-03-21", "2024-03-22"],
    )
    path = tmp_path / "closed.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path)
    assert set(problems(failed.value)) == {(3, "销号日期"), (4, "状态")}
    frame.iloc[[0, 3]].to_csv(path, index=False)
    import_file(town, "issues", path)
    with town.connect() as conn:
        statuses = conn.execute(text("SELECT status FROM issue")).scalars().all()
    assert statuses == ["closed", "closed"]


def test_large_loads_rebuild_indexes(town, tmp_path, monkeypatch):
    monkeypatch.setattr(issues, "BULK_ROWS", 10)
    monkeypatch.setattr(issues, "INDEXED_STAGING_ROWS", 10)
    rng = np.random.default_rng(1)
    n = 500
    frame = pd.DataFrame(
        {
            "类别": "weeds",
            "经度": rng.uniform(117.19, 117.21, n),
            "纬度": rng.uniform(39.28, 39.30, n),
            "发现日期": "2024-04-01",
        }
    )
    path = tmp_path / "many.csv"
    frame.to_csv(path, index=False)
    with town.connect() as conn:
        before = sorted(conn.execute(text("SELECT indexdef FROM pg_indexes")).scalars())
    assert import_file(town, "issues", path, progress=False).inserted == n
    with town.connect() as conn:
        after = sorted(conn.execute(text("SELECT indexdef FROM pg_indexes")).scalars())
        per_village = conn.execute(
            text("SELECT count(DISTINCT village_id), count(DISTINCT code) FROM issue")
        ).one()
    assert after == before
    assert tuple(per_village) == (4, n)


def _imported(engine) -> tuple[list[tuple], list[tuple]]:
    """Every issue (by code) with its village, grid and fields, and every event, as rows."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT i.code, v.code, i.grid_id, round(i.outside_m::numeric, 3),"
                " i.category_code, i.description, ST_AsText(i.geom), i.source, i.found_on,"
                " i.deadline, i.deadline_provisional, i.status, i.closed_on, i.version"
                " FROM issue i LEFT JOIN village v ON v.id = i.village_id ORDER BY i.code"
            )
        ).all()
        events = conn.execute(
            text(
                'SELECT i.code, e.kind, e.from_status, e.to_status, e."on", e.actor, e.note'
                " FROM issue_event e JOIN issue i ON i.id = e.issue_id ORDER BY i.code, e.id"
            )
        ).all()
    return [tuple(r) for r in rows], [tuple(e) for e in events]


def _schema(engine) -> tuple[list[str], list[str]]:
    with engine.connect() as conn:
        indexes = conn.execute(
            text("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
        ).scalars()
        constraints = conn.execute(
            text(
                "SELECT conrelid::regclass::text || conname || pg_get_constraintdef(oid)"
                " || convalidated::text FROM pg_constraint"
                " WHERE connamespace = 'public'::regnamespace ORDER BY 1"
            )
        ).scalars()
        return list(indexes), list(constraints)


def test_bulk_path_imports_exactly_what_the_row_by_row_path_imports(town, tmp_path):
    # The same file through the index-maintaining write and through the bulk one (indexes,
    # keys and unique constraints dropped, rows written, all rebuilt): the same issues in
    # the same villages with the same fields, the same events, the same schema afterwards.
    rng = np.random.default_rng(7)
    n = 300
    frame = pd.DataFrame(
        {
            "问题编号": [f"F-{i:04d}" if i % 3 else None for i in range(n)],
            "类别": rng.choice(["weeds", "clutter", "乱堆乱放"], n),
            "经度": rng.uniform(117.19, 117.21, n),
            "纬度": rng.uniform(39.28, 39.30, n),
            "发现日期": [f"2024-0{3 + i % 4}-{1 + i % 27:02d}" for i in range(n)],
            "整改期限": [None if i % 2 else "2024-08-31" for i in range(n)],
            "状态": ["已销号" if i % 5 == 0 else None for i in range(n)],
            "销号日期": ["2024-08-01" if i % 5 == 0 else None for i in range(n)],
            "发现人": [f"巡查员{i % 7}" for i in range(n)],
        }
    )
    frame.loc[0, ["经度", "纬度"]] = (117.1898, 39.285)  # 17 m outside V01: snapped
    path = tmp_path / "ledger.csv"
    frame.to_csv(path, index=False)
    schema = _schema(town)

    maintained = import_file(town, "issues", path, progress=False, bulk_rows=10**9)
    first = _imported(town)
    with town.begin() as conn:
        conn.execute(text("DELETE FROM issue_event"))
        conn.execute(text("DELETE FROM issue"))
        conn.execute(text("ANALYZE issue"))
    rebuilt = import_file(town, "issues", path, progress=False, bulk_rows=1)
    second = _imported(town)

    assert maintained.inserted == rebuilt.inserted == n
    assert [p.message for p in maintained.problems] == [p.message for p in rebuilt.problems]
    assert second == first
    assert len(first[0]) == n and len(first[1]) == n
    assert sum(1 for r in first[0] if r[3] is not None) == 1  # the snapped point, flagged
    assert {r[1] for r in first[0]} == {"V01", "V02", "V03", "V04"}
    assert _schema(town) == schema


def test_bulk_path_failing_at_the_rebuild_changes_nothing(town, tmp_path, monkeypatch):
    # A clash found only when a unique index is rebuilt (another writer's code, slipped in
    # between the checks and the load) fails the whole import with a message; the table
    # and its indexes and keys are as before.
    GOOD.iloc[[0]].assign(问题编号="DUP-1").to_csv(tmp_path / "one.csv", index=False)
    import_file(town, "issues", tmp_path / "one.csv")
    schema = _schema(town)
    monkeypatch.setattr(issues, "report_duplicates", lambda *args, **kwargs: None)
    monkeypatch.setattr(issue_rows, "report_duplicates", lambda *args, **kwargs: None)
    GOOD.assign(问题编号=["DUP-1", "A-2", "A-3", "A-4"]).to_csv(tmp_path / "many.csv", index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", tmp_path / "many.csv", bulk_rows=1)
    (problem,) = failed.value.report.errors
    assert "the database refused the rows" in problem.message and "DUP-1" in problem.message
    assert count(town, "issue") == 1 and count(town, "issue_event") == 1
    assert _schema(town) == schema
