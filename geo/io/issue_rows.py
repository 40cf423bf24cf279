"""The direct bulk path of an issue file: every column computed client-side, then one binary
COPY straight into `issue` and one into `issue_event` — no staging table, no INSERT … SELECT.

Used for bulk loads (see `geo.io.issues.load_staged_issues` for the size rule) without a
third-party batch. It writes exactly what the staging path writes, by the same rules:

- **Placement** (`geo.assign`'s rule): the village whose boundary covers the point, the
  lower id on a shared edge — decided here by GEOS (`shapely.STRtree.query(…,
  predicate="intersects")`: for a point and a polygon, intersecting is being covered);
  the few points no boundary covers go to the database, which snaps them by the rule's own
  SQL (`geo.assign.nearest_sql`, metric CRS, GPS tolerance) and names the refused ones
  (`geo.io.issues.report_placement`). Grids: the lowest-id grid of the point's village
  covering it. Only villages and grids of the transaction's town take part.
- **Deadlines**: the town's rule (`geo.deadlines.deadline_sql`) evaluated by the database
  over the distinct (village, day found) pairs, joined back here.
- **Codes**: `{village code}-{YYYYMM}-{seq}` for rows without one, seq continuing after the
  highest in use for the prefix in the database and in the file (the regexes of the
  staging path's SQL, in Python).
- **Duplicates** of codes and ids already in the database are reported by row number.

All in the caller's transaction: any refusal leaves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from sqlalchemy import Connection, text

from geo.assign import nearest_sql, placement_params, points_from
from geo.deadlines import DeadlineRule, deadline_sql
from geo.io import bulk
from geo.io.issues import DEADLINES, PLACES, UNPLACED, Placement, issue_ids
from geo.io.report import ImportReport
from geo.models import SRID
from geo.towns import SESSION_TOWN

_CODE_SEQ = re.compile(r"(?s)^(.*)-([0-9]{1,18})\Z")
"""The staging path's `^(.*)-[0-9]{1,18}$` / `-([0-9]{1,18})$` (PostgreSQL's `.` matches a
newline and `$` is the end of the text; Python needs DOTALL and \\Z for the same)."""
_ORDINAL_1970 = 719_163
"""`date(1970, 1, 1).toordinal()`."""


@dataclass(frozen=True)
class Village:
    """What the written rows take from their village."""

    town_id: int
    code: str


@dataclass
class Rows:
    """The issue rows of a file in load order, with their computed columns."""

    frame: pd.DataFrame
    """Spatially ordered; columns of `geo.io.issues.ISSUE_FRAME_COLUMNS`."""
    ids: NDArray[np.uint8]
    village: NDArray[np.int64]
    """Village id, 0 where none (refused)."""
    grid: NDArray[np.int64]
    """Grid id, 0 where none."""
    outside_m: NDArray[np.float64]
    """Metres outside every boundary for snapped points, NaN otherwise."""


def _geometries(conn: Connection, sql: str) -> tuple[list[tuple[int, ...]], NDArray]:
    rows = conn.execute(text(sql)).all()
    geoms = shapely.from_wkb([r[-1] for r in rows]) if rows else np.empty(0, dtype=object)
    return [tuple(r[:-1]) for r in rows], np.asarray(geoms, dtype=object)


def _lowest_covering(
    ids: NDArray[np.int64],
    geoms: NDArray,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    candidate: NDArray[np.bool_],
    owner: NDArray[np.int64] | None = None,
    owners: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """Per point, the lowest id among the geometries (given in ascending id order) that
    cover it, 0 when none; only `candidate` points are looked at. With `owner` (per
    geometry) and `owners` (per point), a geometry is tried only on the points it owns
    (a grid on the points of its village).

    Each geometry tests the still unplaced points of its bounding box (an x-sorted slab,
    then y) with GEOS's prepared point-in-polygon (`shapely.intersects_xy`: a point
    intersecting a polygon is covered by it); the first, i.e. lowest, id to cover a point
    keeps it. No shapely point objects are made.
    """
    out = np.zeros(len(x), dtype=np.int64)
    which = np.flatnonzero(candidate)
    if not len(geoms) or not len(which):
        return out
    by_x = which[np.argsort(x[which], kind="stable")]
    xs = x[by_x]
    for k, (geom_id, geom) in enumerate(zip(ids, geoms, strict=True)):
        x0, y0, x1, y1 = shapely.bounds(geom)
        lo, hi = np.searchsorted(xs, x0, "left"), np.searchsorted(xs, x1, "right")
        slab = by_x[lo:hi]
        keep = (y[slab] >= y0) & (y[slab] <= y1) & (out[slab] == 0)
        if owner is not None and owners is not None:
            keep &= owners[slab] == owner[k]
        c = slab[keep]
        if not len(c):
            continue
        shapely.prepare(geom)
        out[c[shapely.intersects_xy(geom, x[c], y[c])]] = geom_id
    return out


def place_rows(
    conn: Connection,
    frame: pd.DataFrame,
    *,
    tolerance_m: float,
    metric_srid: int,
) -> tuple[Rows, Placement, dict[int, Village]]:
    """Put the rows in spatial order and place them (see the module's docstring).

    Leaves the temporary tables `report_placement` reads: UNPLACED (refused points) and
    PLACES (the snapped ones). Returns the rows, the counts, and the villages by id."""
    order = bulk.spatial_order(frame["lon"].to_numpy(), frame["lat"].to_numpy())
    frame = frame.iloc[order].reset_index(drop=True)
    x = frame["lon"].to_numpy(dtype=float)
    y = frame["lat"].to_numpy(dtype=float)
    finite = np.isfinite(x) & np.isfinite(y)
    in_town = f"({SESSION_TOWN} IS NULL OR town_id = {SESSION_TOWN})"
    vrows, vgeoms = _geometries(
        conn,
        f"SELECT id, town_id, code, ST_AsBinary(geom) FROM village WHERE geom IS NOT NULL"
        f" AND {in_town} ORDER BY id",
    )
    village_ids = np.array([r[0] for r in vrows], dtype=np.int64)
    villages = {int(r[0]): Village(town_id=int(r[1]), code=str(r[2])) for r in vrows}
    village = _lowest_covering(village_ids, vgeoms, x, y, finite)
    covered = int((village > 0).sum())
    outside_m = np.full(len(frame), np.nan)

    # Points no boundary covers: the database snaps those within the tolerance, by the rule's SQL.
    loose = np.flatnonzero(finite & (village == 0))
    bulk.temp_table(conn, UNPLACED, f"row int, geom geometry(Point, {SRID})")
    bulk.temp_table(conn, PLACES, "row int, village_id int, grid_id int, outside_m float8")
    snapped = 0
    if len(loose):
        bulk.copy_columns(
            conn,
            UNPLACED,
            [
                bulk.int4_column("row", loose),
                bulk.point_column("geom", x[loose], y[loose]),
            ],
        )
        params = placement_params(tolerance_m=tolerance_m, metric_srid=metric_srid)
        near = conn.execute(
            text(
                f"WITH snapped AS (INSERT INTO {PLACES} (row, village_id, outside_m)"
                f" {nearest_sql(points_from(f'{UNPLACED} u', 'u.row'))}"
                " RETURNING row, village_id, outside_m),"
                f" gone AS (DELETE FROM {UNPLACED} u USING snapped WHERE u.row = snapped.row)"
                " SELECT row, village_id, outside_m FROM snapped"
            ),
            params,
        ).all()
        snapped = len(near)
        if near:
            at = np.array([r.row for r in near], dtype=np.int64)
            village[at] = [r.village_id for r in near]
            outside_m[at] = [r.outside_m for r in near]
        # The temporary tables hold positions in `frame`; the report names file rows.
        conn.execute(
            text(
                f"UPDATE {UNPLACED} u SET row = r.file_row FROM unnest(:pos, :row)"
                " AS r(pos, file_row) WHERE u.row = r.pos"
            ),
            {"pos": loose.tolist(), "row": frame["row"].to_numpy()[loose].tolist()},
        )
        conn.execute(
            text(
                f"UPDATE {PLACES} p SET row = r.file_row FROM unnest(:pos, :row)"
                " AS r(pos, file_row) WHERE p.row = r.pos"
            ),
            {"pos": loose.tolist(), "row": frame["row"].to_numpy()[loose].tolist()},
        )

    grows, ggeoms = _geometries(
        conn,
        f"SELECT id, village_id, ST_AsBinary(geom) FROM grid WHERE geom IS NOT NULL"
        f" AND {in_town} ORDER BY id",
    )
    grid_ids = np.array([r[0] for r in grows], dtype=np.int64)
    grid_village = np.array([r[1] for r in grows], dtype=np.int64)
    grid = _lowest_covering(grid_ids, ggeoms, x, y, village > 0, owner=grid_village, owners=village)
    outside = int((finite & (village == 0)).sum())
    rows = Rows(frame=frame, ids=issue_ids(frame), village=village, grid=grid, outside_m=outside_m)
    return rows, Placement(covered=covered, snapped=snapped, outside=outside), villages


def report_duplicates(
    conn: Connection, rows: Rows, report: ImportReport, *, code: str, id_: str
) -> None:
    """Rows whose code or id already exists in the database (as the staging path reports)."""
    if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM issue)")).scalar_one():
        return
    f = rows.frame
    given = f["code"].notna().to_numpy() if "code" in f else np.zeros(len(f), dtype=bool)
    if given.any():
        codes = f["code"].to_numpy()[given].tolist()
        found = {
            r[0]
            for r in conn.execute(
                text("SELECT code FROM issue WHERE code = ANY(:codes)"), {"codes": codes}
            )
        }
        at = np.flatnonzero(given)
        clash = [i for i, c in zip(at, codes, strict=True) if c in found]
        for i in sorted(clash, key=lambda i: f["row"].iat[i]):
            report.add(
                f"duplicate code {f['code'].iat[i]!r}: already in the database",
                row=int(f["row"].iat[i]),
                field=code,
            )
    if "id" in f and f["id"].notna().any():
        given_ids = f["id"].notna().to_numpy()
        values = [str(u) for u in f["id"][given_ids]]
        found_ids = {
            str(r[0])
            for r in conn.execute(
                text("SELECT id FROM issue WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": values}
            )
        }
        at = np.flatnonzero(given_ids)
        for i, value in sorted(zip(at, values, strict=True), key=lambda t: f["row"].iat[t[0]]):
            if value in found_ids:
                report.add(
                    f"duplicate id {value!r}: already in the database",
                    row=int(f["row"].iat[i]),
                    field=id_,
                )


def deadlines(
    conn: Connection, rows: Rows, rule: DeadlineRule
) -> tuple[NDArray[np.datetime64], NDArray[np.bool_]]:
    """(deadline, provisional) of every row: given deadlines kept, the others by the town's
    rule, evaluated by the database once per distinct (village, day found)."""
    f = rows.frame
    n = len(f)
    given = (
        f["deadline"].to_numpy(dtype="datetime64[D]")
        if "deadline" in f
        else np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    )
    found = f["found_on"].to_numpy(dtype="datetime64[D]")
    wanting = np.isnat(given) & ~np.isnat(found) & (rows.village > 0)
    deadline = given.copy()
    provisional = np.zeros(n, dtype=bool)
    if not wanting.any():
        return deadline, provisional
    pairs = pd.DataFrame({"village_id": rows.village[wanting], "found_on": found[wanting]})
    pairs = pairs.drop_duplicates(ignore_index=True)
    bulk.temp_table(conn, DEADLINES, "village_id int, found_on date")
    bulk.copy_columns(
        conn,
        DEADLINES,
        [
            bulk.int4_column("village_id", pairs["village_id"].to_numpy()),
            bulk.date_column("found_on", pairs["found_on"].to_numpy()),
        ],
    )
    day, prov = deadline_sql(rule, village="d.village_id", found="d.found_on")
    ruled = pd.DataFrame(
        conn.execute(
            text(
                f"SELECT d.village_id, d.found_on, {day} AS deadline, {prov} AS provisional"
                f" FROM {DEADLINES} d"
            )
        ).all(),
        columns=["village_id", "found_on", "deadline", "provisional"],
    )
    # Joined back on whole days since 1970 (plain integers: no datetime units to reconcile).
    ruled["day"] = _days(ruled["found_on"])
    ruled["deadline"] = _days(ruled["deadline"])
    key = pd.DataFrame(
        {"village_id": rows.village[wanting], "day": found[wanting].astype(np.int64)}
    )
    merged = key.merge(ruled, on=["village_id", "day"], how="left", validate="many_to_one")
    deadline[wanting] = merged["deadline"].to_numpy(dtype=np.int64).astype("datetime64[D]")
    provisional[wanting] = merged["provisional"].to_numpy(dtype=bool)
    return deadline, provisional


def _days(dates: pd.Series) -> NDArray[np.int64]:
    """datetime.date values as days since 1970-01-01."""
    return np.array([d.toordinal() - _ORDINAL_1970 for d in dates], dtype=np.int64)


def new_codes(conn: Connection, rows: Rows, villages: dict[int, Village]) -> pd.Series:
    """The rows' codes, `{village code}-{YYYYMM}-{seq}` made up where none is given."""
    f = rows.frame
    codes = f["code"] if "code" in f else pd.Series([None] * len(f), dtype=object)
    missing = codes.isna().to_numpy() & (rows.village > 0)
    if not missing.any():
        return codes
    used: dict[str, int] = {}
    db = conn.execute(
        text(
            "SELECT substring(code FROM '^(.*)-[0-9]{1,18}$') AS prefix,"
            " max(substring(code FROM '-([0-9]{1,18})$')::bigint) AS n"
            " FROM issue WHERE code ~ '-[0-9]{1,18}$' GROUP BY 1"
        )
    ).all()
    used.update({r.prefix: int(r.n) for r in db})
    for code in codes.dropna():
        m = _CODE_SEQ.match(code)
        if m:
            used[m[1]] = max(used.get(m[1], 0), int(m[2]))
    found = f["found_on"].to_numpy(dtype="datetime64[M]")[missing].astype(str)
    vcodes = np.array([villages[v].code for v in rows.village[missing]], dtype=object)
    prefix = pd.Series(vcodes + "-" + np.char.replace(found, "-", "").astype(object))
    wanting = pd.DataFrame({"row": f["row"].to_numpy()[missing], "prefix": prefix})
    wanting["pos"] = np.flatnonzero(missing)
    wanting = wanting.sort_values("row", kind="stable")
    seq = wanting.groupby("prefix").cumcount().to_numpy() + 1
    start = wanting["prefix"].map(lambda p: used.get(p, 0)).to_numpy()
    k = start + seq
    made = [f"{p}-{n:04d}" for p, n in zip(wanting["prefix"], k, strict=True)]
    out = codes.copy().astype(object)
    out.iloc[wanting["pos"].to_numpy()] = made
    return out


def write_rows(
    conn: Connection,
    rows: Rows,
    *,
    deadline: NDArray[np.datetime64],
    provisional: NDArray[np.bool_],
    codes: pd.Series,
    villages: dict[int, Village],
    note: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """COPY the rows into `issue`, and one `created` event each into `issue_event`."""
    f = rows.frame
    n = len(f)

    def column(name: str, default: object = None) -> pd.Series:
        return f[name] if name in f else pd.Series([default] * n, dtype=object)

    town_of = np.zeros(int(rows.village.max(initial=0)) + 1, dtype=np.int64)
    for v, village in villages.items():
        if v < len(town_of):
            town_of[v] = village.town_id
    town = town_of[rows.village]
    has_village = rows.village > 0
    status = column("status", "open")
    found_on = f["found_on"].to_numpy()
    issue = [
        bulk.uuid_column("id", rows.ids),
        bulk.text_column("code", codes),
        bulk.text_column("category_code", f["category_code"]),
        bulk.text_column("description", column("description", "")),
        bulk.text_column("address", column("address")),
        bulk.point_column("geom", f["lon"].to_numpy(), f["lat"].to_numpy()),
        bulk.int4_column("village_id", rows.village, ~has_village),
        bulk.int4_column("grid_id", rows.grid, rows.grid == 0),
        bulk.float8_column("outside_m", rows.outside_m),
        bulk.text_column("source", column("source", "inspection")),
        bulk.date_column("found_on", found_on),
        bulk.text_column("found_by", column("found_by")),
        bulk.date_column("deadline", deadline),
        bulk.bool_column("deadline_provisional", provisional),
        bulk.text_column("responsible", column("responsible")),
        bulk.text_column("status", status),
        bulk.date_column("closed_on", column("closed_on", np.datetime64("NaT")).to_numpy()),
        bulk.text_column("photo_names", column("photo_names")),
        bulk.int4_column("version", np.ones(n, dtype=np.int32)),
        bulk.int4_column("town_id", town, ~has_village),
    ]
    bulk.copy_columns(conn, "issue", issue, progress=progress)
    notes = note + f["row"].astype(str)
    event = [
        bulk.uuid_column("issue_id", rows.ids),
        bulk.text_column("kind", pd.Series(["created"] * n, dtype=object)),
        bulk.text_column("to_status", status),
        bulk.date_column("on", found_on),
        bulk.text_column("actor", column("found_by")),
        bulk.text_column("note", notes),
    ]
    bulk.copy_columns(conn, "issue_event", event)
    return n


def load_rows(
    conn: Connection,
    rows: Rows,
    villages: dict[int, Village],
    *,
    rule: DeadlineRule,
    note: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Deadlines and codes, then the rows written with the issue tables' indexes and keys
    rebuilt afterwards (`geo.io.bulk.indexes_deferred`). Returns the rows written."""
    deadline, provisional = deadlines(conn, rows, rule)
    codes = new_codes(conn, rows, villages)
    with bulk.indexes_deferred(conn, ["issue", "issue_event"]):
        return write_rows(
            conn,
            rows,
            deadline=deadline,
            provisional=provisional,
            codes=codes,
            villages=villages,
            note=note,
            progress=progress,
        )
