"""Which village and grid an issue belongs to: ONE placement rule, decided in PostGIS.

The rule, used by every path that places a point (recording over the API with `locate`,
importing a file with `geo.io.issues.place_staged_issues`, re-assigning after boundaries
change with `assign_issues`):

1. The village whose boundary covers the point; on an edge shared by two villages the
   lower village id wins.
2. Else, within the GPS tolerance (metres, measured in the metric CRS) of some boundary:
   the nearest village by metric distance, then the lower id; the distance is kept in
   `outside_m` as a flag.
3. Else no village: the API and the importers refuse the point with a clear message,
   re-assignment leaves the issue without a village.

The grid is the lowest-id grid of that village whose boundary covers the point.

A point is placed only among the villages of its town: an issue's own town when it is
re-assigned, the transaction's town (`geo.towns.use_town`, set for a signed-in user and by
`--town`) for a new point, any town when none is set.

The SQL is written once, by the builders below, over any set of points exposed as a FROM
item `p(key, geom)`; the set-based paths run each piece into a temporary table
(polygon-outer joins: each boundary probes the points' GiST index once), `locate` runs them
for one point.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import Connection, text

from geo.coords import M_PER_DEG_MIN
from geo.defaults import GPS_TOLERANCE_M, METRIC_SRID
from geo.errors import OutsideTown
from geo.models import SRID
from geo.towns import SESSION_TOWN

METRIC_DISTANCE = (
    "ST_Distance(ST_Transform(v.geom, :metric_srid), ST_Transform(p.geom, :metric_srid))"
)
"""Distance in metres between village `v` and point `p`, in the metric CRS."""


def placement_params(*, tolerance_m: float, metric_srid: int) -> dict[str, object]:
    """The bound parameters the placement SQL uses."""
    return {"tol": tolerance_m, "deg": tolerance_m / M_PER_DEG_MIN, "metric_srid": metric_srid}


IN_TOWN = "(p.town_id IS NULL OR v.town_id = p.town_id)"
"""A point is placed only in a village of its own town (NULL: any town)."""


def points_from(
    source: str, key: str, where: str = "TRUE", geom: str = "geom", town: str = SESSION_TOWN
) -> str:
    """A FROM item `p(key, geom, town_id)` over a table (with its alias) and a condition;
    `town` is the points' town (default: the transaction's; NULL: any town)."""
    return f"(SELECT {key} AS key, {geom} AS geom, {town} AS town_id FROM {source} WHERE {where}) p"


def one_point() -> str:
    """A FROM item `p(key, geom, town_id)` holding the point of the parameters :lon, :lat,
    in the transaction's town."""
    return (
        f"(SELECT 0 AS key, ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID}) AS geom,"
        f" {SESSION_TOWN} AS town_id) p"
    )


def covered_sql(points: str) -> str:
    """Rule 1: (key, village_id) of every point some boundary covers; lower id on an edge."""
    return (
        "SELECT p.key, min(v.id) AS village_id, CAST(NULL AS float8) AS outside_m"
        f" FROM village v JOIN {points} ON ST_Covers(v.geom, p.geom) AND {IN_TOWN}"
        " GROUP BY p.key"
    )


def nearest_sql(points: str, *, unplaced: str = "TRUE") -> str:
    """Rule 2: (key, village_id, outside_m) of the points (not covered: `unplaced`) within
    the tolerance of a boundary: nearest by metric distance, then lower id."""
    return (
        "SELECT p.key, near.village_id, near.distance AS outside_m"
        f" FROM {points} CROSS JOIN LATERAL ("
        f"   SELECT v.id AS village_id, {METRIC_DISTANCE} AS distance"
        f"   FROM village v WHERE v.geom && ST_Expand(p.geom, :deg) AND {IN_TOWN}"
        "   ORDER BY distance, v.id LIMIT 1) near"
        f" WHERE near.distance <= :tol AND {unplaced}"
    )


def placed_sql(points: str) -> str:
    """Rules 1 and 2 in one statement, for a few points (one point of the API, the
    entrances of a file): (key, village_id, outside_m) of every point placed."""
    uncovered = (
        "NOT EXISTS (SELECT 1 FROM village c WHERE ST_Covers(c.geom, p.geom)"
        " AND (p.town_id IS NULL OR c.town_id = p.town_id))"
    )
    return (
        f"SELECT * FROM ({covered_sql(points)}) c"
        f" UNION ALL ({nearest_sql(points, unplaced=uncovered)})"
    )


def grid_sql(points: str) -> str:
    """(key, village_id, grid_id): per point and village, the lowest-id covering grid."""
    return (
        "SELECT p.key, g.village_id, min(g.id) AS grid_id FROM grid g"
        f" JOIN {points} ON g.geom IS NOT NULL AND ST_Covers(g.geom, p.geom)"
        " AND (p.town_id IS NULL OR g.town_id = p.town_id)"
        " GROUP BY p.key, g.village_id"
    )


def located_sql(point: str | None = None) -> str:
    """Rules 1 and 2 and the grid for one point (default: :lon, :lat): at most one row
    (id, code, name, outside_m, grid_id) naming the village, none when outside the town."""
    point = point or one_point()
    return (
        "SELECT v.id, v.code, v.name, placed.outside_m, gp.grid_id"
        f" FROM ({placed_sql(point)}) placed JOIN village v ON v.id = placed.village_id"
        f" LEFT JOIN ({grid_sql(point)}) gp ON gp.village_id = placed.village_id"
    )


def nearest_any_sql(geom: str, alias: str = "near") -> str:
    """For messages about refused points: a LATERAL FROM item `near(code, name, distance)`,
    the nearest village to the point `geom` however far, in geodesic metres (valid anywhere
    on earth, unlike the metric CRS)."""
    return (
        "CROSS JOIN LATERAL ("
        f"   SELECT v.code, v.name, ST_Distance(v.geom::geography, {geom}::geography) AS distance"
        f"   FROM (SELECT * FROM village v WHERE {SESSION_TOWN} IS NULL"
        f"    OR v.town_id = {SESSION_TOWN} ORDER BY v.geom <-> {geom} LIMIT 5) v"
        f"   ORDER BY distance, v.id LIMIT 1) {alias}"
    )


@dataclass(frozen=True)
class Assignment:
    """What a set-based assignment did."""

    covered: int
    snapped: int
    unassigned: int


@dataclass(frozen=True)
class Location:
    """Where one point falls: its village and grid, and how far outside it lay if snapped."""

    village_id: int
    village_code: str
    village_name: str
    grid_id: int | None
    outside_m: float | None


_SCOPES = {
    "all": "TRUE",
    "unassigned": "i.village_id IS NULL",
    "ids": "i.id = ANY(:ids)",
}


def assign_issues(
    conn: Connection,
    *,
    ids: Sequence[uuid.UUID] | None = None,
    only_unassigned: bool = False,
    tolerance_m: float = GPS_TOLERANCE_M,
    metric_srid: int = METRIC_SRID,
) -> Assignment:
    """Assign village and grid to issues (all, the unassigned, or `ids`), set-based.

    Placements are computed first into temporary tables with polygon-outer joins (each
    boundary probes the issue GiST index once), then one UPDATE writes only the rows whose
    village, grid or flag actually changed, so re-importing mostly unchanged boundaries
    touches few rows.
    """
    scope = "ids" if ids is not None else ("unassigned" if only_unassigned else "all")
    where = _SCOPES[scope]
    points = points_from("issue i", "i.id", where, town="i.town_id")
    params = placement_params(tolerance_m=tolerance_m, metric_srid=metric_srid)
    if ids is not None:
        params["ids"] = list(ids)
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.placement, pg_temp.grid_placement"))
    covered = conn.execute(
        text(f"CREATE TEMP TABLE placement ON COMMIT DROP AS {covered_sql(points)}"), params
    ).rowcount
    snapped = conn.execute(
        text(
            "INSERT INTO placement (key, village_id, outside_m) "
            + nearest_sql(
                points, unplaced="NOT EXISTS (SELECT 1 FROM placement x WHERE x.key = p.key)"
            )
        ),
        params,
    ).rowcount
    conn.execute(
        text(f"CREATE TEMP TABLE grid_placement ON COMMIT DROP AS {grid_sql(points)}"), params
    )
    conn.execute(text("ANALYZE placement"))
    conn.execute(text("ANALYZE grid_placement"))
    conn.execute(
        text(
            "UPDATE issue i SET village_id = p.village_id, grid_id = p.grid_id,"
            " outside_m = p.outside_m FROM ("
            "  SELECT p.key, p.village_id, gp.grid_id, p.outside_m FROM placement p"
            "  LEFT JOIN grid_placement gp ON gp.key = p.key AND gp.village_id = p.village_id"
            ") p WHERE p.key = i.id"
            " AND (i.village_id, i.grid_id, i.outside_m)"
            " IS DISTINCT FROM (p.village_id, p.grid_id, p.outside_m)"
        )
    )
    unassigned = conn.execute(
        text(
            "UPDATE issue i SET village_id = NULL, grid_id = NULL, outside_m = NULL"
            f" WHERE {where} AND NOT EXISTS (SELECT 1 FROM placement p WHERE p.key = i.id)"
        ),
        params,
    ).rowcount
    conn.execute(text("DROP TABLE pg_temp.placement, pg_temp.grid_placement"))
    return Assignment(covered=covered, snapped=snapped, unassigned=unassigned)


def locate(
    conn: Connection,
    *,
    lon: float,
    lat: float,
    tolerance_m: float = GPS_TOLERANCE_M,
    metric_srid: int = METRIC_SRID,
) -> Location:
    """The village (and grid) of one WGS-84 point; OutsideTown when beyond the tolerance."""
    params = placement_params(tolerance_m=tolerance_m, metric_srid=metric_srid)
    params |= {"lon": lon, "lat": lat}
    placed = conn.execute(text(located_sql()), params).mappings().first()
    if placed is None:
        _refuse(conn, lon=lon, lat=lat, tolerance_m=tolerance_m)
    return Location(
        village_id=placed["id"],
        village_code=placed["code"],
        village_name=placed["name"],
        grid_id=placed["grid_id"],
        outside_m=placed["outside_m"],
    )


def _refuse(conn: Connection, *, lon: float, lat: float, tolerance_m: float) -> NoReturn:
    near = (
        conn.execute(
            text(f"SELECT near.* FROM {one_point()} {nearest_any_sql('p.geom')}"),
            {"lon": lon, "lat": lat},
        )
        .mappings()
        .first()
    )
    if near is None:
        raise OutsideTown("no village boundaries are loaded yet", field="geometry")
    raise OutsideTown(
        f"point ({lon:.6f}, {lat:.6f}) is {near['distance']:.0f} m outside the town "
        f"(nearest village {near['name']} {near['code']}; GPS tolerance {tolerance_m:.0f} m)",
        field="geometry",
    )
