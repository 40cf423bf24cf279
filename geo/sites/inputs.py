"""What the site finder reads from the database: villages, roads, entrances, water, issues.

Everything comes back in the town's metric CRS (PostGIS transforms once), as GeoDataFrames
that the finder treats as plain data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection, Row, TextClause, text

from geo import issue_reader
from geo.coords import M_PER_DEG_MIN
from geo.defaults import METRIC_SRID
from geo.errors import InvalidInput
from geo.geoframe import geoframe

MARGIN_M = 200.0
"""Roads, water and issues this far outside the selected villages are read too (a main road
just across the boundary still makes a site visible; an open issue there still blocks it)."""


@dataclass(frozen=True)
class SiteInputs:
    """The data of the selected villages, in the metric CRS `srid`."""

    villages: gpd.GeoDataFrame
    """id, code, name."""
    roads: gpd.GeoDataFrame
    """id, code, kind (main/secondary/lane), name; every main road of the town (there are
    few, and a site's distance to the main road must not depend on the selection)."""
    entrances: gpd.GeoDataFrame
    """id, village_id, road_id, name."""
    water: gpd.GeoDataFrame
    """id, kind (river/pond/ditch), name."""
    issues: gpd.GeoDataFrame
    """id, code, category_code, status, closed_on, village_id."""
    srid: int


_VILLAGES = text(
    "SELECT id, code, name, ST_AsBinary(ST_Transform(geom, :srid)) AS geom, town_id"
    " FROM village"
    " WHERE cardinality(CAST(:codes AS text[])) = 0 OR code = ANY(CAST(:codes AS text[]))"
    " ORDER BY code"
)
_EXTENT = text(
    "SELECT ST_Expand(ST_Extent(geom)::geometry, :deg) FROM village WHERE id = ANY(:ids)"
)
_ROADS = text(
    "SELECT id, code, kind, name, ST_AsBinary(ST_Transform(geom, :srid)) AS geom FROM road"
    " WHERE (kind = 'main' OR geom && CAST(:box AS geometry)) AND town_id = ANY(:towns)"
    " ORDER BY id"
)
_ENTRANCES = text(
    "SELECT id, village_id, road_id, name, ST_AsBinary(ST_Transform(geom, :srid)) AS geom"
    " FROM entrance WHERE village_id = ANY(:ids) ORDER BY id"
)
_WATER = text(
    "SELECT id, kind, name, ST_AsBinary(ST_Transform(geom, :srid)) AS geom FROM waterbody"
    " WHERE geom && CAST(:box AS geometry) AND town_id = ANY(:towns) ORDER BY id"
)
_TOWN_SRID = text(
    "SELECT DISTINCT t.metric_srid FROM village v JOIN town t ON t.id = v.town_id"
    " WHERE cardinality(CAST(:codes AS text[])) = 0 OR v.code = ANY(CAST(:codes AS text[]))"
)


def town_srid(conn: Connection, villages: Sequence[str]) -> int:
    """The metric CRS of the towns of `villages` (codes; every village when empty): their
    towns' `metric_srid`. Villages of towns in different CRS are one call each
    (`geo.sites.finder.find_candidates` splits by town); the default when there is none."""
    found = list(conn.execute(_TOWN_SRID, {"codes": list(villages)}).scalars())
    if len(found) > 1:
        raise InvalidInput(
            "the villages lie in towns of different metric CRS "
            f"({', '.join(f'EPSG:{s}' for s in sorted(found))}); take them town by town",
            field="village",
        )
    return int(found[0]) if found else METRIC_SRID


def _frame(rows: Sequence[Row[Any]], columns: Sequence[str], srid: int) -> gpd.GeoDataFrame:
    return geoframe(rows, [*columns, "geom"], crs=srid)


def load_site_inputs(
    conn: Connection,
    *,
    villages: Sequence[str] = (),
    srid: int | None = None,
    margin_m: float = MARGIN_M,
) -> SiteInputs:
    """The villages asked for (codes; all when empty) and what lies in and around them —
    of their towns only (roads, water and issues of a town next door are not read).

    `srid`: the metric CRS; None: the villages' town's own (`town.metric_srid`)."""
    codes = [str(c) for c in villages]
    srid = srid or town_srid(conn, codes)
    rows = conn.execute(_VILLAGES, {"srid": srid, "codes": codes}).all()
    found = {r[1] for r in rows}
    missing = [c for c in codes if c not in found]
    if missing:
        raise InvalidInput(f"unknown village code(s): {', '.join(missing)}", field="village")
    towns = sorted({int(r[4]) for r in rows})
    village_frame = geoframe([r[:4] for r in rows], ["id", "code", "name", "geom"], crs=srid)
    ids = [int(i) for i in village_frame["id"]]
    box = None
    if ids:
        box = conn.execute(_EXTENT, {"ids": ids, "deg": margin_m / M_PER_DEG_MIN}).scalar_one()
    params = {"srid": srid, "box": box, "ids": ids, "towns": towns}

    def read(query: TextClause, columns: Sequence[str]) -> gpd.GeoDataFrame:
        found_rows = conn.execute(query, params).all() if ids else []
        return _frame(found_rows, columns, srid)

    issue_rows = (
        issue_reader.in_box_metric(conn, box=box, metric_srid=srid, towns=towns) if ids else []
    )

    return SiteInputs(
        villages=village_frame,
        roads=read(_ROADS, ("id", "code", "kind", "name")),
        entrances=read(_ENTRANCES, ("id", "village_id", "road_id", "name")),
        water=read(_WATER, ("id", "kind", "name")),
        issues=_frame(
            issue_rows, ("id", "code", "category_code", "status", "closed_on", "village_id"), srid
        ),
        srid=srid,
    )
