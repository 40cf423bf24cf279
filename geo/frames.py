"""The town's layers as GeoDataFrames (EPSG:4326), read from PostGIS with filters.

Maps and analyses take these frames; they never query the database themselves. Every
function takes a SQLAlchemy Connection and builds its query with select() and bound
parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    func,
    or_,
    select,
)
from sqlalchemy.sql.functions import Function

from geo import issue_reader
from geo.errors import InvalidInput
from geo.geoframe import read_geoframe
from geo.issue_filter import BBox, IssueFilter
from geo.models import ROAD_KINDS, SRID, Community, Grid, Road, Village

PHOTO_URL = "/photos/{id}/thumbnail"
"""Where the service serves a photo's thumbnail (see service/routes/loop.py)."""


def _read(stmt: Select, conn: Connection) -> gpd.GeoDataFrame:
    return read_geoframe(conn, stmt, crs=SRID)


def _envelope(bbox: BBox) -> Function[Any]:
    return func.ST_MakeEnvelope(bbox.west, bbox.south, bbox.east, bbox.north, SRID)


def _community_match(communities: Sequence[str]) -> ColumnElement[bool]:
    return or_(Community.code.in_(communities), Community.name.in_(communities))


def village_conditions(
    *,
    villages: Sequence[str] = (),
    communities: Sequence[str] = (),
    towns: Sequence[int] | None = None,
) -> list[ColumnElement[bool]]:
    """Which villages a layer shows (the query must join Community for `communities`), of
    the towns `towns` (None: every town; empty: none)."""
    conds: list[ColumnElement[bool]] = []
    if towns is not None:
        conds.append(Village.town_id.in_(tuple(towns) or (-1,)))
    if villages:
        conds.append(Village.code.in_(villages))
    if communities:
        conds.append(_community_match(communities))
    return conds


def villages_frame(
    conn: Connection,
    *,
    villages: Sequence[str] = (),
    communities: Sequence[str] = (),
    bbox: BBox | None = None,
    towns: Sequence[int] | None = None,
) -> gpd.GeoDataFrame:
    """Villages (code, name, community, secretary, households) with their boundaries, of the
    towns `towns` (None: every town)."""
    stmt = (
        select(
            Village.code,
            Village.name,
            Village.households,
            Village.population,
            Village.party_secretary,
            Community.code.label("community_code"),
            Community.name.label("community_name"),
            func.ST_AsBinary(Village.geom).label("geom"),
        )
        .outerjoin(Community, Community.id == Village.community_id)
        .where(*village_conditions(villages=villages, communities=communities, towns=towns))
        .order_by(Village.code)
    )
    if bbox is not None:
        stmt = stmt.where(Village.geom.intersects(_envelope(bbox)))
    frame = _read(stmt, conn)
    _require_found(frame, villages=villages, communities=communities)
    return frame


def _require_found(
    frame: pd.DataFrame, *, villages: Sequence[str], communities: Sequence[str]
) -> None:
    missing = sorted(set(villages) - set(frame["code"]))
    if missing:
        raise InvalidInput(f"no village with code {', '.join(missing)}", field="village")
    if communities and frame.empty:
        raise InvalidInput(f"no village in community {', '.join(communities)}", field="community")


def communities_frame(
    conn: Connection, *, communities: Sequence[str] = (), towns: Sequence[int] | None = None
) -> gpd.GeoDataFrame:
    """党建共同体 (code, name, secretaries) with the union of their villages as boundary, of
    the towns `towns` (None: every town)."""
    stmt = (
        select(
            Community.code,
            Community.name,
            Community.secretary,
            Community.deputy_secretary,
            func.count(Village.id).label("villages"),
            func.ST_AsBinary(func.ST_Multi(func.ST_Union(Village.geom))).label("geom"),
        )
        .join(Village, Village.community_id == Community.id)
        .group_by(Community.id)
        .order_by(Community.code)
    )
    if communities:
        stmt = stmt.where(_community_match(communities))
    if towns is not None:
        stmt = stmt.where(Community.town_id.in_(tuple(towns) or (-1,)))
    return _read(stmt, conn)


def grids_frame(
    conn: Connection,
    *,
    villages: Sequence[str] = (),
    communities: Sequence[str] = (),
    towns: Sequence[int] | None = None,
) -> gpd.GeoDataFrame:
    """网格 with their village and leader; grids without a boundary have no geometry (of the
    towns `towns`; None: every town)."""
    stmt = (
        select(
            Grid.code,
            Grid.name,
            Grid.leader,
            Village.code.label("village_code"),
            Village.name.label("village_name"),
            func.ST_AsBinary(Grid.geom).label("geom"),
        )
        .join(Village, Village.id == Grid.village_id)
        .outerjoin(Community, Community.id == Village.community_id)
        .order_by(Village.code, Grid.name)
    )
    if villages:
        stmt = stmt.where(Village.code.in_(villages))
    if communities:
        stmt = stmt.where(_community_match(communities))
    if towns is not None:
        stmt = stmt.where(Grid.town_id.in_(tuple(towns) or (-1,)))
    return _read(stmt, conn)


def roads_frame(
    conn: Connection,
    *,
    villages: Sequence[str] = (),
    kinds: Sequence[str] = (),
    bbox: BBox | None = None,
    towns: Sequence[int] | None = None,
) -> gpd.GeoDataFrame:
    """主干道 / 次干道 / 巷道 (id, code, kind, name, village) as lines, of the towns `towns`
    (None: every town)."""
    bad = [k for k in kinds if k not in ROAD_KINDS]
    if bad:
        raise InvalidInput(
            f"unknown road kind {bad[0]!r}; expected one of {', '.join(ROAD_KINDS)}", field="kind"
        )
    stmt = (
        select(
            Road.id,
            Road.code,
            Road.kind,
            Road.name,
            Village.code.label("village_code"),
            func.ST_AsBinary(Road.geom).label("geom"),
        )
        .outerjoin(Village, Village.id == Road.village_id)
        .order_by(Road.id)
    )
    if villages:
        stmt = stmt.where(Village.code.in_(villages))
    if kinds:
        stmt = stmt.where(Road.kind.in_(kinds))
    if towns is not None:
        stmt = stmt.where(Road.town_id.in_(tuple(towns) or (-1,)))
    if bbox is not None:
        stmt = stmt.where(Road.geom.intersects(_envelope(bbox)))
    return _read(stmt, conn)


def issues_frame(
    conn: Connection,
    issue_filter: IssueFilter | None = None,
    *,
    found_from: date | None = None,
    found_to: date | None = None,
    history: bool = True,
    photo_url: str | None = PHOTO_URL,
    lang: str = "zh",
) -> gpd.GeoDataFrame:
    """Issues as points with what the maps show: category, status, dates, village, grid,
    rebound link, a one-line history (处理经过) and thumbnail URLs (`photo_url` with {id}).

    Read by the one issue reader (geo.issue_reader)."""
    properties = list(issue_reader.MAP_PROPERTIES)
    if history:
        properties.append("history")
    if photo_url:
        properties.append("photo_ids")
    query = issue_reader.IssueQuery(
        selection=issue_filter or IssueFilter(),
        found_from=found_from,
        found_to=found_to,
        lang=lang,
    )
    frame = issue_reader.frame(conn, query, properties=properties)
    if photo_url:
        frame["photos"] = [
            [photo_url.format(id=pid) for pid in ids] if isinstance(ids, list) else []
            for ids in frame.pop("photo_ids")
        ]
    return frame


def towns_frame(
    conn: Connection, *, district: str, towns: Sequence[int] | None = None
) -> gpd.GeoDataFrame:
    """The towns of a district (code, name) with their boundary: the town's own, else the
    union of its villages (None when it has neither)."""
    from geo.models import Town

    union = (
        select(func.ST_Multi(func.ST_Union(Village.geom)))
        .where(Village.town_id == Town.id)
        .scalar_subquery()
    )
    stmt = (
        select(
            Town.code,
            Town.name,
            func.ST_AsBinary(func.coalesce(Town.boundary, union)).label("geom"),
        )
        .where(Town.district_code == district)
        .order_by(Town.code)
    )
    if towns is not None:
        stmt = stmt.where(Town.id.in_(tuple(towns) or (-1,)))
    return _read(stmt, conn)
