"""Villages and communities, as GeoJSON."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from service.auth import Reader
from service.deps import ConnDep
from service.geojson import GEOJSON, GeoJSONResponse

router = APIRouter(tags=["villages 村"])

_VILLAGES = text(
    "SELECT json_build_object('type', 'FeatureCollection', 'features',"
    " coalesce(json_agg(ST_AsGeoJSON(t.*, 'geom', 7)::json ORDER BY t.code), '[]'::json))::text"
    " FROM (SELECT v.code, v.name, c.code AS community, c.name AS community_name,"
    "       v.party_secretary, v.households, v.population,"
    "       round(ST_Area(v.geom::geography)::numeric / 1e6, 3) AS area_km2, v.geom"
    "       FROM village v LEFT JOIN community c ON c.id = v.community_id) t"
)


@router.get(
    "/villages",
    response_class=GeoJSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "村界 village boundaries"}},
)
def list_villages(conn: ConnDep, user: Reader) -> GeoJSONResponse:
    """All villages with their boundaries (EPSG:4326) as a GeoJSON FeatureCollection."""
    del user  # every reader may see the town's villages
    return GeoJSONResponse(conn.execute(_VILLAGES).scalar_one())
