"""Villages and communities, as GeoJSON."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import text

from geo.towns import scope_params
from service.auth import Reader, town_scope
from service.deps import ConnDep
from service.filters import known_villages
from service.geojson import GeoJSONResponse, geojson_responses

router = APIRouter(tags=["villages 村"])

_VILLAGES = text(
    "SELECT json_build_object('type', 'FeatureCollection', 'features',"
    " coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.code), '[]'::json))::text"
    " FROM (SELECT v.code, v.name, c.code AS community, c.name AS community_name,"
    "       v.party_secretary, v.households, v.population,"
    "       round(ST_Area(v.geom::geography)::numeric / 1e6, 3) AS area_km2, v.geom"
    "       FROM village v LEFT JOIN community c ON c.id = v.community_id"
    "       WHERE CAST(:all AS boolean) OR v.town_id = ANY(CAST(:towns AS int[]))) t"
)


@router.get(
    "/villages",
    response_class=GeoJSONResponse,
    responses=geojson_responses("村界 village boundaries"),
)
def list_villages(conn: ConnDep, user: Reader) -> GeoJSONResponse:
    """The villages of the caller's towns with their boundaries (EPSG:4326) as a GeoJSON
    FeatureCollection."""
    return GeoJSONResponse(conn.execute(_VILLAGES, scope_params(town_scope(user))).scalar_one())


_COMMUNITIES = text(
    "SELECT json_build_object('type', 'FeatureCollection', 'features',"
    " coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.code), '[]'::json))::text"
    " FROM (SELECT c.code, c.name, c.secretary, c.deputy_secretary,"
    "       count(v.id) AS villages, ST_Multi(ST_Union(v.geom)) AS geom"
    "       FROM community c LEFT JOIN village v ON v.community_id = c.id"
    "       WHERE CAST(:all AS boolean) OR c.town_id = ANY(CAST(:towns AS int[]))"
    "       GROUP BY c.id) t"
)

_GRIDS = text(
    "SELECT json_build_object('type', 'FeatureCollection', 'features',"
    " coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.code), '[]'::json))::text"
    " FROM (SELECT g.code, g.name, g.leader, v.code AS village, v.name AS village_name, g.geom"
    "       FROM grid g JOIN village v ON v.id = g.village_id"
    "       WHERE (cardinality(CAST(:villages AS text[])) = 0 OR v.code = ANY(:villages))"
    "       AND (CAST(:all AS boolean) OR g.town_id = ANY(CAST(:towns AS int[])))) t"
)


@router.get(
    "/communities",
    response_class=GeoJSONResponse,
    responses=geojson_responses("党建共同体 with their villages"),
)
def list_communities(conn: ConnDep, user: Reader) -> GeoJSONResponse:
    """Communities (党建共同体) of the caller's towns with secretaries and the union of their
    villages."""
    return GeoJSONResponse(conn.execute(_COMMUNITIES, scope_params(town_scope(user))).scalar_one())


@router.get(
    "/grids",
    response_class=GeoJSONResponse,
    responses=geojson_responses("网格 with grid leaders"),
)
def list_grids(
    conn: ConnDep, user: Reader, village: Annotated[list[str] | None, Query()] = None
) -> GeoJSONResponse:
    """Grids (网格, 一网三联) with their leaders, optionally of some villages only."""
    codes = known_villages(conn, user, village)
    params = {"villages": list(codes), **scope_params(town_scope(user))}
    return GeoJSONResponse(conn.execute(_GRIDS, params).scalar_one())
