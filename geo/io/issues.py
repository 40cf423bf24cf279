"""How issue rows reach the database: checked, staged by binary COPY, placed, written set-based.

The rows go to a temporary staging table first (one binary COPY, spatially sorted), where
the database places them in villages and grids, finds duplicates and points outside the
town for the whole file at once; only then are they written to `issue`, with one `created`
event each, by two INSERT … SELECT statements.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo.assign import (
    GPS_TOLERANCE_M,
    covered_sql,
    grid_sql,
    nearest_any_sql,
    nearest_sql,
    placement_params,
    points_from,
)
from geo.deadlines import DeadlineRule, deadline_sql
from geo.defaults import METRIC_SRID
from geo.io import bulk
from geo.io.checks import (
    SOURCE_ALIASES,
    STATUS_ALIASES,
    Vocabulary,
    column_or_none,
    date_order,
    dates,
    duplicates_in_file,
    require,
    simple_vocabulary,
)
from geo.io.coordinates import SWAPPED_HINT, Town, point_coordinates
from geo.io.read import SourceTable
from geo.io.report import ImportReport
from geo.models import SRID
from geo.vocab import ISSUE_CODE_LEN, NAME_LEN

STAGING = "issue_import"
PLACES = "issue_place"
UNPLACED = "issue_unplaced"
DEADLINES = "issue_deadline"
BULK_ROWS = 100_000
"""From this many rows on, issue indexes and foreign keys are rebuilt after the load."""
INDEXED_STAGING_ROWS = 20_000
"""From this many staged points on, they get a GiST index before being placed."""

_TEXT_LIMITS = {"code": ISSUE_CODE_LEN, "found_by": NAME_LEN, "responsible": NAME_LEN}
ISSUE_FRAME_COLUMNS = (
    "row",
    "id",
    "code",
    "category_code",
    "description",
    "address",
    "lon",
    "lat",
    "source",
    "found_on",
    "found_by",
    "deadline",
    "responsible",
    "status",
    "closed_on",
    "photo_names",
)


@dataclass(frozen=True)
class Placement:
    """Where the staged points fell."""

    covered: int
    snapped: int
    outside: int


def issue_frame(
    table: SourceTable,
    report: ImportReport,
    *,
    town: Town,
    categories: Vocabulary,
    crs: str | None,
    coords: str,
) -> pd.DataFrame:
    """The file's rows as issue columns (WGS-84 lon/lat), every field problem reported."""
    rows = table.frame["row"].to_numpy()
    lon, lat = point_coordinates(table, report=report, town=town, crs_option=crs, coords=coords)
    require(table, ("category", "found_on"), report)
    category = categories.resolve(
        column_or_none(table, "category"), rows, field=table.label("category"), report=report
    )
    found_on = dates(table, "found_on", report)
    deadline = dates(table, "deadline", report)
    closed_on = dates(table, "closed_on", report)
    date_order(
        found_on,
        deadline,
        rows,
        field=table.label("deadline"),
        message="整改期限早于发现日期 / the deadline is before the date found",
        report=report,
    )
    date_order(
        found_on,
        closed_on,
        rows,
        field=table.label("closed_on"),
        message="销号日期早于发现日期 / closed before it was found",
        report=report,
    )
    status = _statuses(table, closed_on, rows, report)
    source = simple_vocabulary(SOURCE_ALIASES, "source").resolve(
        column_or_none(table, "source"), rows, field=table.label("source"), report=report
    )
    texts = {
        name: column_or_none(table, name)
        for name in ("code", "description", "address", "found_by", "responsible", "photos")
    }
    for name, limit in _TEXT_LIMITS.items():
        long = texts[name].str.len().fillna(0).to_numpy() > limit
        if long.any():
            report.add_rows(rows[long], f"longer than {limit} characters", field=table.label(name))
    duplicates_in_file(texts["code"], rows, field=table.label("code"), report=report)
    ids = _ids(table, rows, report)
    given_source = column_or_none(table, "source")
    return pd.DataFrame(
        {
            "row": rows.astype(np.int32),
            "id": ids,
            "code": texts["code"],
            "category_code": category,
            "description": texts["description"].fillna(""),
            "address": texts["address"],
            "lon": lon,
            "lat": lat,
            "source": source.where(given_source.notna(), "inspection"),
            "found_on": found_on,
            "found_by": texts["found_by"],
            "deadline": deadline,
            "responsible": texts["responsible"],
            "status": status,
            "closed_on": closed_on,
            "photo_names": texts["photos"],
        }
    )


def _statuses(
    table: SourceTable, closed_on: np.ndarray, rows: np.ndarray, report: ImportReport
) -> pd.Series:
    given = column_or_none(table, "status")
    status = simple_vocabulary(STATUS_ALIASES, "status").resolve(
        given, rows, field=table.label("status"), report=report
    )
    has_closed = ~np.isnat(closed_on)
    status = status.where(given.notna(), np.where(has_closed, "closed", "open"))
    closed = (status == "closed").to_numpy()
    missing_date = closed & ~has_closed
    if missing_date.any():
        report.add_rows(
            rows[missing_date],
            "已销号 closed, but no 销号日期 closed_on date",
            field=table.label("closed_on"),
        )
    stray = has_closed & ~closed & given.notna().to_numpy()
    if stray.any():
        report.add_rows(
            rows[stray],
            "a 销号日期 closed_on date is given but the status is not closed",
            field=table.label("status"),
        )
    return status


def _ids(table: SourceTable, rows: np.ndarray, report: ImportReport) -> pd.Series:
    given = column_or_none(table, "id")
    if given.isna().all():
        return given

    def parse(value: str | None) -> uuid.UUID | None:
        if value is None:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            return None

    ids = given.map(parse)
    bad = given.notna().to_numpy() & ids.isna().to_numpy()
    if bad.any():
        report.add_rows(
            rows[bad],
            [f"not a UUID: {v!r}" for v in given[bad]],
            field=table.label("id"),
            hint="the id column is for UUIDs (idempotent retries); put your own numbers in "
            "问题编号/code",
        )
    duplicates_in_file(
        ids.map(lambda u: u and str(u)), rows, field=table.label("id"), report=report
    )
    return ids


def create_issue_staging(conn: Connection) -> None:
    """A temporary table shaped like the COPY of `copy_issue_points` (dropped at commit),
    and the (still empty) table of deadlines by the town's rule."""
    bulk.temp_table(
        conn, DEADLINES, "village_id int, found_on date, deadline date, provisional boolean"
    )
    bulk.temp_table(
        conn,
        STAGING,
        "row int, id uuid, code text, category_code text,"
        f" description text, address text, geom geometry(Point, {SRID}), source text,"
        " found_on date, found_by text, deadline date, responsible text, status text,"
        " closed_on date, photo_names text, deadline_provisional boolean NOT NULL DEFAULT false",
    )


def copy_issue_points(
    conn: Connection,
    frame: pd.DataFrame,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Binary-COPY issue rows (columns of ISSUE_FRAME_COLUMNS; lon/lat WGS-84) into staging.

    Only `row`, `lon`, `lat`, `category_code` and `found_on` are required; ids are made up
    when absent, and rows are sent in spatial order. Returns the number of rows sent.
    """
    create_issue_staging(conn)
    return bulk.copy_columns(conn, STAGING, issue_copy_columns(frame), progress=progress)


def issue_copy_columns(frame: pd.DataFrame) -> list[bulk.CopyColumn]:
    """The binary COPY columns of issue rows, in spatial order (see `copy_issue_points`)."""
    n = len(frame)
    order = bulk.spatial_order(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    f = frame.iloc[order].reset_index(drop=True)

    def column(name: str, default: object = None) -> pd.Series:
        return f[name] if name in f else pd.Series([default] * n, dtype=object)

    ids = issue_ids(f)
    return [
        bulk.int4_column("row", f["row"].to_numpy()),
        bulk.uuid_column("id", ids),
        bulk.text_column("code", column("code")),
        bulk.text_column("category_code", f["category_code"]),
        bulk.text_column("description", column("description", "")),
        bulk.text_column("address", column("address")),
        bulk.point_column("geom", f["lon"].to_numpy(), f["lat"].to_numpy()),
        bulk.text_column("source", column("source", "inspection")),
        bulk.date_column("found_on", f["found_on"].to_numpy()),
        bulk.text_column("found_by", column("found_by")),
        bulk.date_column("deadline", column("deadline", np.datetime64("NaT")).to_numpy()),
        bulk.text_column("responsible", column("responsible")),
        bulk.text_column("status", column("status", "open")),
        bulk.date_column("closed_on", column("closed_on", np.datetime64("NaT")).to_numpy()),
        bulk.text_column("photo_names", column("photo_names")),
    ]


def issue_ids(frame: pd.DataFrame) -> np.ndarray:
    """The rows' ids as an (n, 16) byte array: the given ones, new time-ordered ones for the
    rest."""
    ids = bulk.time_ordered_uuids(len(frame))
    if "id" in frame and frame["id"].notna().any():
        given = frame["id"].notna().to_numpy()
        ids[given] = np.frombuffer(
            b"".join(uuid.UUID(str(u)).bytes for u in frame["id"][given]), dtype=np.uint8
        ).reshape(-1, 16)
    return ids


def is_bulk_load(conn: Connection, *, rows: int, bulk_rows: int | None = None) -> bool:
    """Whether a load of `rows` issues takes the bulk way: from `bulk_rows` rows on (default
    BULK_ROWS), when the load is at least as large as the table."""
    threshold = BULK_ROWS if bulk_rows is None else bulk_rows
    existing = conn.execute(
        text("SELECT reltuples::bigint FROM pg_class WHERE oid = 'issue'::regclass")
    ).scalar_one()
    return rows >= threshold and rows >= max(existing, 0)


def place_staged_issues(
    conn: Connection, *, tolerance_m: float = GPS_TOLERANCE_M, metric_srid: int = METRIC_SRID
) -> Placement:
    """Village, grid and GPS-tolerance distance of every staged point, set-based, by the one
    placement rule of `geo.assign`."""
    params = placement_params(tolerance_m=tolerance_m, metric_srid=metric_srid)
    conn.execute(text(f"DROP TABLE IF EXISTS {PLACES}"))
    conn.execute(text("SELECT set_config('jit', 'off', true)"))
    rows = conn.execute(text(f"SELECT count(*) FROM {STAGING}")).scalar_one()
    if rows >= INDEXED_STAGING_ROWS:
        # Polygon-outer plan: for each village, an index scan of the (spatially sorted) points,
        # so ST_Covers keeps one prepared polygon for thousands of points in a row.
        conn.execute(text(f"CREATE INDEX ON {STAGING} USING gist (geom)"))
    # Only the columns the placement joins on: statistics of the text columns are never
    # used, and gathering them costs as much as those of the points.
    conn.execute(text(f"ANALYZE {STAGING} (row, geom)"))
    staged = points_from(f"{STAGING} s", "s.row")
    covered = conn.execute(
        text(
            f"CREATE TEMP TABLE {PLACES} ON COMMIT DROP AS SELECT c.key AS row, c.village_id,"
            f" NULL::int AS grid_id, c.outside_m FROM ({covered_sql(staged)}) c"
        ),
        params,
    ).rowcount
    conn.execute(text(f"DROP TABLE IF EXISTS {UNPLACED}"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE {UNPLACED} ON COMMIT DROP AS SELECT s.row, s.geom FROM {STAGING} s"
            f" WHERE s.geom IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {PLACES} p"
            " WHERE p.row = s.row)"
        )
    )
    unplaced = points_from(f"{UNPLACED} u", "u.row")
    snapped = conn.execute(
        text(
            f"WITH snapped AS (INSERT INTO {PLACES} (row, village_id, outside_m)"
            f" {nearest_sql(unplaced)} RETURNING row)"
            f" DELETE FROM {UNPLACED} u USING snapped WHERE u.row = snapped.row"
        ),
        params,
    ).rowcount
    has_grids = conn.execute(text("SELECT EXISTS (SELECT 1 FROM grid WHERE geom IS NOT NULL)"))
    if has_grids.scalar_one():
        conn.execute(text(f"CREATE INDEX ON {PLACES} (row)"))
        conn.execute(
            text(
                f"UPDATE {PLACES} p SET grid_id = g.grid_id FROM ({grid_sql(staged)}) g"
                " WHERE g.key = p.row AND g.village_id = p.village_id"
            ),
            params,
        )
    outside = conn.execute(text(f"SELECT count(*) FROM {UNPLACED}")).scalar_one()
    return Placement(covered=covered, snapped=snapped, outside=outside)


def report_placement(
    conn: Connection, report: ImportReport, *, tolerance_m: float, field: str, limit: int = 1000
) -> None:
    """Name the rows outside the town (refused) and those snapped within the GPS tolerance."""
    has_villages = conn.execute(text("SELECT EXISTS (SELECT 1 FROM village)")).scalar_one()
    if not has_villages:
        report.add(
            "no village boundaries are loaded yet: import villages first "
            "(cunrong import villages FILE) / 尚未导入村界",
            field=field,
        )
        return
    swapped_point = f"ST_SetSRID(ST_MakePoint(ST_Y(s.geom), ST_X(s.geom)), {SRID})"
    far = conn.execute(
        text(
            "SELECT s.row, ST_X(s.geom) AS lon, ST_Y(s.geom) AS lat, near.code, near.name,"
            "  near.distance, swap.distance AS swapped_distance"
            f" FROM {UNPLACED} s"
            f" {nearest_any_sql('s.geom')}"
            f" {nearest_any_sql(swapped_point, 'swap')}"
            " ORDER BY s.row LIMIT :limit"
        ),
        {"limit": limit},
    ).all()
    for r in far:
        swapped = r.swapped_distance is not None and r.swapped_distance <= tolerance_m
        report.add(
            f"point ({r.lon:.6f}, {r.lat:.6f}) is {r.distance:,.0f} m outside the town "
            f"(nearest village {r.name} {r.code}; GPS tolerance {tolerance_m:.0f} m)"
            " / 点位在镇域外",
            row=r.row,
            field=field,
            hint=SWAPPED_HINT if swapped else None,
        )
    total_far = conn.execute(text(f"SELECT count(*) FROM {UNPLACED}")).scalar_one()
    if total_far > len(far):
        report.add(f"… and {total_far - len(far)} more points outside the town", field=field)
    snapped = conn.execute(
        text(
            f"SELECT p.row, p.outside_m, v.code, v.name FROM {PLACES} p"
            " JOIN village v ON v.id = p.village_id WHERE p.outside_m IS NOT NULL"
            " ORDER BY p.row LIMIT :limit"
        ),
        {"limit": limit},
    ).all()
    for r in snapped:
        report.add(
            f"{r.outside_m:.0f} m outside every village boundary; assigned to the nearest, "
            f"{r.name} {r.code} (within the {tolerance_m:.0f} m GPS tolerance)",
            row=r.row,
            field=field,
            level="warning",
        )


def report_duplicates(conn: Connection, report: ImportReport, *, code: str, id_: str) -> None:
    """Rows whose code or id already exists in the database."""
    for column, field in (("code", code), ("id", id_)):
        found = conn.execute(
            text(
                f"SELECT s.row, s.{column}::text AS value FROM {STAGING} s"
                f" JOIN issue i ON i.{column} = s.{column} ORDER BY s.row"
            )
        ).all()
        for r in found:
            report.add(
                f"duplicate {column} {r.value!r}: already in the database", row=r.row, field=field
            )


def set_staged_deadlines(conn: Connection, rule: DeadlineRule) -> int:
    """Rows without a deadline get the town's rule (`geo.deadlines`), by their placed village
    (the same SQL the API's `create_issue` runs); given deadlines are kept. Returns how
    many distinct (village, day found) the rule was evaluated for.

    The rule depends on the village and the day found only, so it is evaluated once per
    distinct (village, day) — a few thousand for a year of a town, however many rows —
    into DEADLINES, which `write_staged_issues` joins in; the staged rows are not rewritten.
    """
    deadline, provisional = deadline_sql(rule, village="d.village_id", found="d.found_on")
    conn.execute(text(f"DROP TABLE IF EXISTS {DEADLINES}"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE {DEADLINES} ON COMMIT DROP AS"
            f" SELECT d.village_id, d.found_on, {deadline} AS deadline,"
            f" {provisional} AS provisional FROM ("
            f"  SELECT DISTINCT p.village_id, s.found_on FROM {STAGING} s"
            f"  JOIN {PLACES} p ON p.row = s.row"
            "  WHERE s.deadline IS NULL AND s.found_on IS NOT NULL) d"
        )
    )
    conn.execute(text(f"ANALYZE {DEADLINES}"))
    return int(conn.execute(text(f"SELECT count(*) FROM {DEADLINES}")).scalar_one())


def stage_batch(conn: Connection, report: ImportReport, *, batch_id: int, field: str) -> None:
    """Rows of a third-party batch: source third_party (another source given is an error),
    and none in a village whose counts for the batch's year were typed in."""
    wrong = conn.execute(
        text(
            f"SELECT row, source FROM {STAGING} WHERE source IS NOT NULL"
            " AND source NOT IN ('third_party', 'inspection') ORDER BY row"
        )
    ).all()
    for r in wrong:
        report.add(
            f"a third-party batch holds third_party issues, not {r.source!r}",
            row=r.row,
            field=field,
        )
    conn.execute(text(f"UPDATE {STAGING} SET source = 'third_party'"))
    clashes = conn.execute(
        text(
            f"SELECT DISTINCT ON (v.code) v.code, v.name, p.row FROM {PLACES} p"
            " JOIN village v ON v.id = p.village_id JOIN third_party_evaluation t"
            " ON t.village_id = v.id JOIN third_party_batch b ON b.id = :b AND t.year = b.year"
            " ORDER BY v.code, p.row"
        ),
        {"b": batch_id},
    ).all()
    for r in clashes:
        report.add(
            f"{r.name} {r.code}: third-party counts for this year were typed in; points and "
            "typed counts of one village and year cannot both count "
            "(已录入该村第三方测评问题数，不能再导入点位)",
            row=r.row,
            field="village",
        )


def write_staged_issues(
    conn: Connection, *, note: str, third_party_batch_id: int | None = None
) -> int:
    """Insert the staged, placed rows into `issue` and one `created` event each."""
    missing_codes = conn.execute(
        text(f"SELECT count(*) FROM {STAGING} WHERE code IS NULL")
    ).scalar_one()
    conn.execute(text("DROP TABLE IF EXISTS issue_new_code"))
    conn.execute(
        text("CREATE TEMP TABLE issue_new_code (row int PRIMARY KEY, code text) ON COMMIT DROP")
    )
    if missing_codes:
        # {village code}-{YYYYMM}-{seq}: seq continues after the highest in use for that prefix.
        conn.execute(
            text(
                "WITH wanting AS ("
                "  SELECT s.row, v.code || '-' || to_char(s.found_on, 'YYYYMM') AS prefix"
                f"  FROM {STAGING} s JOIN {PLACES} p ON p.row = s.row"
                "  JOIN village v ON v.id = p.village_id WHERE s.code IS NULL),"
                " used AS ("
                "  SELECT substring(c.code FROM '^(.*)-[0-9]{1,18}$') AS prefix,"
                "   max(substring(c.code FROM '-([0-9]{1,18})$')::bigint) AS n"
                f"  FROM (SELECT code FROM issue UNION ALL SELECT code FROM {STAGING}"
                "    WHERE code IS NOT NULL) c WHERE c.code ~ '-[0-9]{1,18}$'"
                "  GROUP BY 1),"
                " numbered AS ("
                "  SELECT w.row, w.prefix, coalesce(u.n, 0)"
                "    + row_number() OVER (PARTITION BY w.prefix ORDER BY w.row) AS k"
                "  FROM wanting w LEFT JOIN used u ON u.prefix = w.prefix)"
                " INSERT INTO issue_new_code (row, code)"
                " SELECT row, prefix || '-' || lpad(k::text, greatest(4, length(k::text)), '0')"
                " FROM numbered"
            )
        )
    # With towns (issue.town_id), each row takes its village's town here, in the one
    # statement, so the per-row trigger that fills a missing town_id never fires.
    towns = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'issue'::regclass"
            " AND attname = 'town_id' AND NOT attisdropped)"
        )
    ).scalar_one()
    town_column, town_value, town_join = (
        (", town_id", ", v.town_id", " JOIN village v ON v.id = p.village_id")
        if towns
        else ("", "", "")
    )
    inserted = conn.execute(
        text(
            "INSERT INTO issue (id, code, category_code, description, address, geom, village_id,"
            " grid_id, outside_m, source, found_on, found_by, deadline, deadline_provisional,"
            f" responsible, status, closed_on, photo_names, third_party_batch_id, version"
            f"{town_column})"
            " SELECT s.id, coalesce(s.code, c.code), s.category_code, s.description, s.address,"
            " s.geom, p.village_id, p.grid_id, p.outside_m, s.source, s.found_on, s.found_by,"
            " coalesce(s.deadline, d.deadline),"
            " CASE WHEN s.deadline IS NULL AND d.deadline IS NOT NULL THEN d.provisional"
            " ELSE s.deadline_provisional END,"
            f" s.responsible, s.status, s.closed_on, s.photo_names, :batch, 1{town_value}"
            f" FROM {STAGING} s JOIN {PLACES} p ON p.row = s.row{town_join}"
            " LEFT JOIN issue_new_code c ON c.row = s.row"
            f" LEFT JOIN {DEADLINES} d ON s.deadline IS NULL"
            " AND d.village_id = p.village_id AND d.found_on = s.found_on"
        ),
        {"batch": third_party_batch_id},
    ).rowcount
    conn.execute(
        text(
            'INSERT INTO issue_event (issue_id, kind, from_status, to_status, "on", actor, note)'
            " SELECT s.id, 'created', NULL, s.status, s.found_on, s.found_by,"
            " :note || s.row"
            f" FROM {STAGING} s"
        ),
        {"note": note},
    )
    return inserted


def load_staged_issues(
    conn: Connection,
    *,
    rows: int,
    note: str,
    third_party_batch_id: int | None = None,
    bulk_rows: int | None = None,
) -> int:
    """Write staged issues; from `bulk_rows` rows on (default BULK_ROWS), when the load is
    at least as large as the table, the issue tables' indexes and keys are dropped first
    and rebuilt afterwards (`geo.io.bulk.indexes_deferred`)."""
    if is_bulk_load(conn, rows=rows, bulk_rows=bulk_rows):
        with bulk.indexes_deferred(conn, ["issue", "issue_event"]):
            return write_staged_issues(conn, note=note, third_party_batch_id=third_party_batch_id)
    return write_staged_issues(conn, note=note, third_party_batch_id=third_party_batch_id)
