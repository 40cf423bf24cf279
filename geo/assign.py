"""Which village and grid an issue belongs to: decided in PostGIS, set-based.

An issue belongs to the village whose boundary covers it. A point slightly outside every
boundary (GPS error, within the tolerance, default 30 m) goes to the nearest village and
keeps the distance in `outside_m` as a flag; a point farther out belongs to no village.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.errors import OutsideTown
from geo.settings import get_settings

# A tolerance in metres as a (generous) bound in degrees, for the index pre-filter only;
# the exact test is on geography. 1° of longitude is ≥ 70 km everywhere below 50°N.
_M_PER_DEG_MIN = 70_000.0

_SCOPES = {
    "all": "TRUE",
    "unassigned": "i.village_id IS NULL",
    "ids": "i.id = ANY(:ids)",
}


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


def assign_issues(
    conn: Connection,
    *,
    ids: Sequence[uuid.UUID] | None = None,
    only_unassigned: bool = False,
    tolerance_m: float | None = None,
) -> Assignment:
    """Assign village and grid to issues (all, the unassigned, or `ids`), set-based.

    Placements are computed first into a temporary table with polygon-outer joins (each
    boundary probes the issue GiST index once), then one UPDATE writes only the rows whose
    village, grid or flag actually changed, so re-importing mostly unchanged boundaries
    touches few rows. A point on an edge shared by two villages goes to the lower id.
    """
    tolerance_m = get_settings().gps_tolerance_m if tolerance_m is None else tolerance_m
    scope = "ids" if ids is not None else ("unassigned" if only_unassigned else "all")
    where = _SCOPES[scope]
    params: dict[str, object] = {"tol": tolerance_m, "deg": tolerance_m / _M_PER_DEG_MIN}
    if ids is not None:
        params["ids"] = list(ids)
    conn.execute(text("DROP TABLE IF EXISTS pg_temp.placement, pg_temp.grid_placement"))
    # Polygon-outer: each boundary probes the issue GiST index once.
    covered = conn.execute(
        text(
            "CREATE TEMP TABLE placement ON COMMIT DROP AS"
            " SELECT i.id, min(v.id) AS village_id, CAST(NULL AS float8) AS outside_m"
            f" FROM village v JOIN issue i ON ST_Covers(v.geom, i.geom) WHERE {where}"
            " GROUP BY i.id"
        ),
        params,
    ).rowcount
    snapped = conn.execute(
        text(
            "INSERT INTO placement (id, village_id, outside_m)"
            " SELECT i.id, near.village_id, near.distance FROM issue i"
            " CROSS JOIN LATERAL ("
            "   SELECT v.id AS village_id,"
            "          ST_Distance(v.geom::geography, i.geom::geography) AS distance"
            "   FROM village v WHERE v.geom && ST_Expand(i.geom, :deg)"
            "   ORDER BY distance, v.id LIMIT 1) near"
            f" WHERE {where} AND near.distance <= :tol"
            " AND NOT EXISTS (SELECT 1 FROM placement p WHERE p.id = i.id)"
        ),
        params,
    ).rowcount
    # Grids: one more polygon-outer pass; a grid counts only inside its own village.
    conn.execute(
        text(
            "CREATE TEMP TABLE grid_placement ON COMMIT DROP AS"
            " SELECT i.id, g.village_id, min(g.id) AS grid_id FROM grid g"
            " JOIN issue i ON g.geom IS NOT NULL AND ST_Covers(g.geom, i.geom)"
            f" WHERE {where} GROUP BY i.id, g.village_id"
        ),
        params,
    )
    conn.execute(text("ANALYZE placement"))
    conn.execute(text("ANALYZE grid_placement"))
    conn.execute(
        text(
            "UPDATE issue i SET village_id = p.village_id, grid_id = p.grid_id,"
            " outside_m = p.outside_m FROM ("
            "  SELECT p.id, p.village_id, gp.grid_id, p.outside_m FROM placement p"
            "  LEFT JOIN grid_placement gp ON gp.id = p.id AND gp.village_id = p.village_id"
            ") p WHERE p.id = i.id"
            " AND (i.village_id, i.grid_id, i.outside_m)"
            " IS DISTINCT FROM (p.village_id, p.grid_id, p.outside_m)"
        )
    )
    unassigned = conn.execute(
        text(
            "UPDATE issue i SET village_id = NULL, grid_id = NULL, outside_m = NULL"
            f" WHERE {where} AND NOT EXISTS (SELECT 1 FROM placement p WHERE p.id = i.id)"
        ),
        params,
    ).rowcount
    conn.execute(text("DROP TABLE pg_temp.placement, pg_temp.grid_placement"))
    return Assignment(covered=covered, snapped=snapped, unassigned=unassigned)


def locate(
    conn: Connection, *, lon: float, lat: float, tolerance_m: float | None = None
) -> Location:
    """The village (and grid) of one WGS-84 point; OutsideTown when beyond the tolerance."""
    tolerance_m = get_settings().gps_tolerance_m if tolerance_m is None else tolerance_m
    row = (
        conn.execute(
            text(
                "WITH p AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geom) "
                "SELECT v.id, v.code, v.name,"
                "       CASE WHEN ST_Covers(v.geom, p.geom) THEN 0"
                "            ELSE ST_Distance(v.geom::geography, p.geom::geography) END AS distance"
                " FROM village v, p ORDER BY v.geom <-> p.geom LIMIT 1"
            ),
            {"lon": lon, "lat": lat},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise OutsideTown("no village boundaries are loaded yet", field="geometry")
    if row["distance"] > tolerance_m:
        raise OutsideTown(
            f"point ({lon:.6f}, {lat:.6f}) is {row['distance']:.0f} m outside the town "
            f"(nearest village {row['name']} {row['code']}; GPS tolerance {tolerance_m:.0f} m)",
            field="geometry",
        )
    grid_id = conn.execute(
        text(
            "SELECT id FROM grid WHERE village_id = :vid AND geom IS NOT NULL AND "
            "ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)) LIMIT 1"
        ),
        {"vid": row["id"], "lon": lon, "lat": lat},
    ).scalar()
    return Location(
        village_id=row["id"],
        village_code=row["code"],
        village_name=row["name"],
        grid_id=grid_id,
        outside_m=float(row["distance"]) or None,
    )
