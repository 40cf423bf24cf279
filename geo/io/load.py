"""How boundaries and roads get into the database: villages, grids and roads, upserted by code.

Each kind is checked row by row first, staged by binary COPY into a temporary table, then
written with one set-based statement. Re-importing villages or grids reassigns every issue.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo.assign import GPS_TOLERANCE_M, assign_issues, placed_sql, placement_params, points_from
from geo.defaults import METRIC_SRID
from geo.errors import InvalidInput
from geo.io import bulk
from geo.io.checks import (
    ROAD_KIND_ALIASES,
    WATER_KIND_ALIASES,
    column_or_none,
    duplicates_in_file,
    lines,
    repair_polygons,
    require,
    simple_vocabulary,
)
from geo.io.coordinates import Town, geometries, point_coordinates, shapes_to_wgs84
from geo.io.read import SourceTable
from geo.io.report import ImportReport
from geo.towns import current_town, in_session_town
from geo.vocab import CODE_LEN, LONG_CODE_LEN, NAME_LEN, PERSON_LEN


def _shapes(
    table: SourceTable,
    report: ImportReport,
    *,
    town: Town,
    crs: str | None,
    coords: str,
    required: bool,
) -> np.ndarray:
    rows = table.frame["row"].to_numpy()
    if table.geometry is None and "wkt" not in table.frame and not required:
        return np.full(len(rows), None, dtype=object)
    raw = geometries(table, report=report)
    if required:
        missing = raw == None  # noqa: E711
        reported = {p.row for p in report.problems if p.row is not None}
        lost = missing & ~np.isin(rows, list(reported))
        if lost.any():
            report.add_rows(rows[lost], "missing geometry (boundary is required)", field="geometry")
    return shapes_to_wgs84(raw, table, report=report, town=town, crs_option=crs, coords=coords)


def _integers(table: SourceTable, name: str, report: ImportReport) -> np.ndarray:
    """Non-negative whole numbers (NaN where blank or bad; bad ones reported)."""
    values = column_or_none(table, name)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = values.notna().to_numpy() & (
        np.isnan(numbers) | (numbers < 0) | (np.nan_to_num(numbers) % 1 != 0)
    )
    if bad.any():
        report.add_rows(
            table.frame["row"].to_numpy()[bad],
            [f"expected a whole number ≥ 0, got {v!r}" for v in values[bad]],
            field=table.label(name),
        )
    return np.where(bad, np.nan, numbers)


def _village_ids(conn: Connection) -> dict[str, int]:
    """Village id by code, and by name where the name is unique."""
    found = conn.execute(
        text(f"SELECT id, code, name FROM village v WHERE {in_session_town('v')}")
    ).all()
    by_code = {r.code: r.id for r in found}
    names = pd.Series([r.name for r in found])
    unique_names = {
        r.name: r.id for r in found if (names == r.name).sum() == 1 and r.name not in by_code
    }
    return {**unique_names, **by_code}


def _resolve_villages(
    conn: Connection,
    values: pd.Series,
    rows: np.ndarray,
    *,
    field: str,
    report: ImportReport,
) -> np.ndarray:
    known = _village_ids(conn)
    ids = values.map(lambda v: known.get(v) if v is not None else None)
    unknown = values.notna().to_numpy() & ids.isna().to_numpy()
    if unknown.any():
        sample = ", ".join(sorted(known)[:8])
        report.add_rows(
            rows[unknown],
            [f"unknown village {v!r}" for v in values[unknown]],
            field=field,
            hint=f"import villages first, or use a village code (e.g. {sample})",
        )
    return ids.to_numpy(dtype=object)


def _community_ids(
    conn: Connection, names: pd.Series, codes: pd.Series
) -> tuple[dict[str, int], list[str]]:
    """Community id by code or name; missing ones are added (code from the file, else name)."""
    found = conn.execute(
        text(f"SELECT id, code, name FROM community c WHERE {in_session_town('c')}")
    ).all()
    known = {r.name: r.id for r in found} | {r.code: r.id for r in found}
    created = []
    for name, given_code in dict(zip(names, codes, strict=True)).items():
        if name is None or name in known:
            continue
        if given_code is not None and given_code in known:
            known[name] = known[given_code]
            continue
        code = str(given_code or name)[:CODE_LEN]
        suffix = 2
        while code in known:
            code = f"{str(name)[: CODE_LEN - 3]}-{suffix}"
            suffix += 1
        new_id = conn.execute(
            text("INSERT INTO community (code, name) VALUES (:code, :name) RETURNING id"),
            {"code": code, "name": str(name)[:NAME_LEN]},
        ).scalar_one()
        known[name] = known[code] = new_id
        created.append(str(name))
    return known, created


def _text_limits(
    table: SourceTable, report: ImportReport, limits: dict[str, int]
) -> dict[str, pd.Series]:
    rows = table.frame["row"].to_numpy()
    out = {}
    for name, limit in limits.items():
        values = column_or_none(table, name)
        long = values.str.len().fillna(0).to_numpy() > limit
        if long.any():
            report.add_rows(rows[long], f"longer than {limit} characters", field=table.label(name))
        out[name] = values
    return out


def _upsert_counts(result: list[bool]) -> tuple[int, int]:
    inserted = sum(1 for fresh in result if fresh)
    return inserted, len(result) - inserted


def _refuse_other_towns(
    conn: Connection, codes: pd.Series, rows: Any, *, field: str, report: ImportReport
) -> None:
    """Village codes are unique across towns: a code another town holds is an error."""
    try:
        target = current_town(conn)
    except InvalidInput as exc:
        report.add(str(exc), field="town")
        return
    held: dict[str, str] = dict(
        conn.execute(
            text(
                "SELECT v.code, t.name || ' ' || t.code FROM village v JOIN town t"
                " ON t.id = v.town_id WHERE v.code = ANY(:codes) AND v.town_id <> :t"
            ),
            {"codes": [str(c) for c in codes.dropna()], "t": target},
        ).all()
    )
    for row, code in zip(rows, codes, strict=True):
        if code in held:
            report.add(
                f"village code {code} belongs to another town ({held[code]})",
                row=int(row),
                field=field,
            )


def load_villages(
    conn: Connection,
    table: SourceTable,
    report: ImportReport,
    *,
    town: Town,
    crs: str | None,
    coords: str,
    write: bool,
    tolerance_m: float = GPS_TOLERANCE_M,
    metric_srid: int = METRIC_SRID,
) -> None:
    """Check village rows; when `write`, upsert them by code and reassign every issue."""
    rows = table.frame["row"].to_numpy()
    require(table, ("code", "name"), report)
    fields = _text_limits(
        table,
        report,
        {
            "code": CODE_LEN,
            "name": NAME_LEN,
            "party_secretary": PERSON_LEN,
            "community": NAME_LEN,
            "community_code": CODE_LEN,
        },
    )
    duplicates_in_file(fields["code"], rows, field=table.label("code"), report=report)
    households = _integers(table, "households", report)
    population = _integers(table, "population", report)
    shapes = _shapes(table, report, town=town, crs=crs, coords=coords, required=True)
    boundaries = repair_polygons(shapes, rows, report=report, what="village")
    _refuse_other_towns(conn, fields["code"], rows, field=table.label("code"), report=report)
    if not write or not report.ok:
        return
    communities, created = _community_ids(conn, fields["community"], fields["community_code"])
    if created:
        report.add(f"new 党建共同体 communities created: {', '.join(created)}", level="warning")
    community_ids = fields["community"].map(lambda v: communities.get(v) if v else None)
    bulk.temp_table(
        conn,
        "village_import",
        "row int, code text, name text, community_id int,"
        " party_secretary text, households int, population int,"
        " geom geometry(MultiPolygon, 4326)",
    )
    bulk.copy_columns(
        conn,
        "village_import",
        [
            bulk.int4_column("row", rows),
            bulk.text_column("code", fields["code"]),
            bulk.text_column("name", fields["name"]),
            bulk.optional_int4_column("community_id", community_ids),
            bulk.text_column("party_secretary", fields["party_secretary"]),
            bulk.int4_column("households", np.nan_to_num(households), np.isnan(households)),
            bulk.int4_column("population", np.nan_to_num(population), np.isnan(population)),
            bulk.ewkb_column("geom", boundaries),
        ],
    )
    fresh = conn.execute(
        text(
            "INSERT INTO village (code, name, community_id, party_secretary, households,"
            " population, geom)"
            " SELECT code, name, community_id, party_secretary, households, population, geom"
            " FROM village_import ORDER BY row"
            " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,"
            " community_id = coalesce(EXCLUDED.community_id, village.community_id),"
            " party_secretary = coalesce(EXCLUDED.party_secretary, village.party_secretary),"
            " households = coalesce(EXCLUDED.households, village.households),"
            " population = coalesce(EXCLUDED.population, village.population),"
            " geom = EXCLUDED.geom"
            " RETURNING (xmax = 0) AS inserted"
        )
    ).scalars()
    report.inserted, report.updated = _upsert_counts(list(fresh))
    _report_overlaps(conn, report)
    report.assignment = assign_issues(conn, tolerance_m=tolerance_m, metric_srid=metric_srid)
    if report.assignment.unassigned:
        report.add(
            f"{report.assignment.unassigned} issue(s) now lie outside every village boundary "
            "(beyond the GPS tolerance) and belong to no village",
            level="warning",
        )


def _report_overlaps(conn: Connection, report: ImportReport) -> None:
    """Warn about imported villages that overlap another village (they should tile the town)."""
    found = conn.execute(
        text(
            "SELECT s.row, s.code, o.code AS other,"
            " ST_Area(ST_Intersection(a.geom, o.geom)::geography) AS area"
            " FROM village_import s JOIN village a ON a.code = s.code"
            " JOIN village o ON o.id <> a.id AND ST_Intersects(a.geom, o.geom)"
            " AND ST_Relate(a.geom, o.geom, '2********')"
            " ORDER BY s.row, o.code"
        )
    ).all()
    for r in found:
        if r.area >= 1.0:
            report.add(
                f"overlaps village {r.other} by {r.area:,.0f} m² (villages should not overlap)",
                row=r.row,
                field="geometry",
                level="warning",
            )


def load_grids(
    conn: Connection,
    table: SourceTable,
    report: ImportReport,
    *,
    town: Town,
    crs: str | None,
    coords: str,
    write: bool,
    tolerance_m: float = GPS_TOLERANCE_M,
    metric_srid: int = METRIC_SRID,
) -> None:
    """Check grid rows (village by code or name); when `write`, upsert by code, reassign issues."""
    rows = table.frame["row"].to_numpy()
    require(table, ("village", "name"), report)
    fields = _text_limits(
        table,
        report,
        {"code": LONG_CODE_LEN, "name": NAME_LEN, "leader": PERSON_LEN, "village": NAME_LEN},
    )
    village_ids = _resolve_villages(
        conn, fields["village"], rows, field=table.label("village"), report=report
    )
    village_codes: dict[int, str] = dict(conn.execute(text("SELECT id, code FROM village")).all())
    codes = fields["code"].copy()
    missing = codes.isna() & pd.Series(village_ids).notna().to_numpy() & fields["name"].notna()
    codes[missing] = [
        f"{village_codes[v]}-{n}"[:LONG_CODE_LEN]
        for v, n in zip(village_ids[missing.to_numpy()], fields["name"][missing], strict=True)
    ]
    duplicates_in_file(codes, rows, field=table.label("code"), report=report)
    households = _integers(table, "households", report)
    pair = pd.Series([f"{v}\x00{n}" for v, n in zip(village_ids, fields["name"], strict=True)])
    duplicates_in_file(
        pair.where(fields["name"].notna().to_numpy()),
        rows,
        field=table.label("name"),
        report=report,
    )
    shapes = _shapes(table, report, town=town, crs=crs, coords=coords, required=False)
    present = shapes != None  # noqa: E711
    boundaries = np.full(len(rows), None, dtype=object)
    if present.any():
        boundaries[present] = repair_polygons(
            shapes[present], rows[present], report=report, what="grid"
        )
    if not write or not report.ok:
        return
    bulk.temp_table(
        conn,
        "grid_import",
        "row int, code text, village_id int, name text,"
        " leader text, households int, geom geometry(MultiPolygon, 4326)",
    )
    bulk.copy_columns(
        conn,
        "grid_import",
        [
            bulk.int4_column("row", rows),
            bulk.text_column("code", codes),
            bulk.optional_int4_column("village_id", village_ids),
            bulk.text_column("name", fields["name"]),
            bulk.text_column("leader", fields["leader"]),
            bulk.int4_column("households", np.nan_to_num(households), np.isnan(households)),
            bulk.ewkb_column("geom", boundaries),
        ],
    )
    clash = conn.execute(
        text(
            "SELECT s.row, g.code FROM grid_import s JOIN grid g"
            " ON g.village_id = s.village_id AND g.name = s.name AND g.code <> s.code"
            " ORDER BY s.row"
        )
    ).all()
    for r in clash:
        report.add(
            f"this village already has a grid of this name under code {r.code!r}",
            row=r.row,
            field=table.label("code"),
            hint=f"use code {r.code} to update it",
        )
    if clash:
        return
    fresh = conn.execute(
        text(
            "INSERT INTO grid (code, village_id, name, leader, households, geom)"
            " SELECT code, village_id, name, leader, households, geom FROM grid_import"
            " ORDER BY row ON CONFLICT (code) DO UPDATE SET village_id = EXCLUDED.village_id,"
            " name = EXCLUDED.name, leader = coalesce(EXCLUDED.leader, grid.leader),"
            " households = coalesce(EXCLUDED.households, grid.households),"
            " geom = coalesce(EXCLUDED.geom, grid.geom)"
            " RETURNING (xmax = 0) AS inserted"
        )
    ).scalars()
    report.inserted, report.updated = _upsert_counts(list(fresh))
    report.assignment = assign_issues(conn, tolerance_m=tolerance_m, metric_srid=metric_srid)


def load_roads(
    conn: Connection,
    table: SourceTable,
    report: ImportReport,
    *,
    town: Town,
    crs: str | None,
    coords: str,
    write: bool,
) -> None:
    """Check road rows (kind main/secondary/lane); when `write`, upsert by code (or insert)."""
    rows = table.frame["row"].to_numpy()
    require(table, ("kind",), report)
    fields = _text_limits(
        table, report, {"code": LONG_CODE_LEN, "name": NAME_LEN, "village": NAME_LEN}
    )
    kinds = simple_vocabulary(ROAD_KIND_ALIASES, "road kind").resolve(
        column_or_none(table, "kind"), rows, field=table.label("kind"), report=report
    )
    duplicates_in_file(fields["code"], rows, field=table.label("code"), report=report)
    village_ids = _resolve_villages(
        conn, fields["village"], rows, field=table.label("village"), report=report
    )
    shapes = _shapes(table, report, town=town, crs=crs, coords=coords, required=True)
    ways = lines(shapes, rows, report=report)
    if not write or not report.ok:
        return
    bulk.temp_table(
        conn,
        "road_import",
        "row int, code text, kind text, name text,"
        " village_id int, geom geometry(MultiLineString, 4326)",
    )
    bulk.copy_columns(
        conn,
        "road_import",
        [
            bulk.int4_column("row", rows),
            bulk.text_column("code", fields["code"]),
            bulk.text_column("kind", kinds),
            bulk.text_column("name", fields["name"]),
            bulk.optional_int4_column("village_id", village_ids),
            bulk.ewkb_column("geom", ways),
        ],
    )
    # A road without a village named belongs to the village that covers its middle, if any.
    conn.execute(
        text(
            "UPDATE road_import s SET village_id = v.id FROM village v"
            f" WHERE s.village_id IS NULL AND {in_session_town('v')}"
            " AND ST_Covers(v.geom, ST_LineInterpolatePoint(ST_GeometryN(s.geom, 1), 0.5))"
        )
    )
    fresh = conn.execute(
        text(
            "INSERT INTO road (code, kind, name, village_id, geom)"
            " SELECT code, kind, name, village_id, geom FROM road_import ORDER BY row"
            " ON CONFLICT (code) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name,"
            " village_id = EXCLUDED.village_id, geom = EXCLUDED.geom"
            " RETURNING (xmax = 0) AS inserted"
        )
    ).scalars()
    report.inserted, report.updated = _upsert_counts(list(fresh))


def load_entrances(
    conn: Connection,
    table: SourceTable,
    report: ImportReport,
    *,
    town: Town,
    crs: str | None,
    coords: str,
    write: bool,
    tolerance_m: float = GPS_TOLERANCE_M,
    metric_srid: int = METRIC_SRID,
) -> None:
    """Check 卡口 points (name, village optional); when `write`, they replace the town's set.

    A row without a village goes to the village that covers it (or lies within the GPS
    tolerance); each entrance is linked to the nearest main road within 50 m.
    """
    rows = table.frame["row"].to_numpy()
    fields = _text_limits(table, report, {"name": NAME_LEN, "village": NAME_LEN})
    village_ids = _resolve_villages(
        conn, fields["village"], rows, field=table.label("village"), report=report
    )
    lon, lat = point_coordinates(table, report=report, town=town, crs_option=crs, coords=coords)
    if not write or not report.ok:
        return
    bulk.temp_table(conn, "entrance_import", "row int, name text, village_id int, geom geometry")
    bulk.copy_columns(
        conn,
        "entrance_import",
        [
            bulk.int4_column("row", rows),
            bulk.text_column("name", fields["name"]),
            bulk.optional_int4_column("village_id", village_ids),
            bulk.point_column("geom", lon, lat),
        ],
    )
    unplaced = points_from("entrance_import s", "s.row", "s.village_id IS NULL")
    conn.execute(
        text(
            f"UPDATE entrance_import s SET village_id = p.village_id FROM ({placed_sql(unplaced)})"
            " p WHERE p.key = s.row"
        ),
        placement_params(tolerance_m=tolerance_m, metric_srid=metric_srid),
    )
    lost = conn.execute(
        text("SELECT row FROM entrance_import WHERE village_id IS NULL ORDER BY row")
    ).scalars()
    for row in lost:
        report.add(
            f"the entrance is farther than {tolerance_m:.0f} m from every village",
            row=row,
            field="geometry",
        )
    if not report.ok:
        return
    conn.execute(text("DELETE FROM entrance WHERE town_id = :t"), {"t": current_town(conn)})
    report.inserted = conn.execute(
        text(
            "INSERT INTO entrance (village_id, road_id, name, geom)"
            " SELECT s.village_id, ("
            "   SELECT r.id FROM road r WHERE r.kind = 'main'"
            "   AND ST_DWithin(r.geom::geography, s.geom::geography, 50)"
            "   ORDER BY ST_Distance(r.geom::geography, s.geom::geography) LIMIT 1),"
            " s.name, s.geom FROM entrance_import s ORDER BY s.row"
        )
    ).rowcount


def load_waterbodies(
    conn: Connection,
    table: SourceTable,
    report: ImportReport,
    *,
    town: Town,
    crs: str | None,
    coords: str,
    write: bool,
) -> None:
    """Check 河塘沟渠 (kind river/pond/ditch, polygon or line); `write` replaces the set."""
    rows = table.frame["row"].to_numpy()
    require(table, ("kind",), report)
    fields = _text_limits(table, report, {"name": NAME_LEN})
    kinds = simple_vocabulary(WATER_KIND_ALIASES, "water kind").resolve(
        column_or_none(table, "kind"), rows, field=table.label("kind"), report=report
    )
    shapes = _shapes(table, report, town=town, crs=crs, coords=coords, required=True)
    present = shapes != None  # noqa: E711
    type_ids = shapely.get_type_id(shapes)
    linear = present & np.isin(type_ids, [1, 5])
    water = np.full(len(rows), None, dtype=object)
    if linear.any():
        water[linear] = lines(shapes[linear], rows[linear], report=report)
    if (present & ~linear).any():
        water[present & ~linear] = repair_polygons(
            shapes[present & ~linear], rows[present & ~linear], report=report, what="water"
        )
    if not write or not report.ok:
        return
    bulk.temp_table(conn, "water_import", "row int, kind text, name text, geom geometry")
    bulk.copy_columns(
        conn,
        "water_import",
        [
            bulk.int4_column("row", rows),
            bulk.text_column("kind", kinds),
            bulk.text_column("name", fields["name"]),
            bulk.ewkb_column("geom", water),
        ],
    )
    conn.execute(text("DELETE FROM waterbody WHERE town_id = :t"), {"t": current_town(conn)})
    report.inserted = conn.execute(
        text(
            "INSERT INTO waterbody (kind, name, geom)"
            " SELECT kind, name, geom FROM water_import ORDER BY row"
        )
    ).rowcount
