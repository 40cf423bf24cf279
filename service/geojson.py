"""GeoJSON responses built by PostGIS (ST_AsGeoJSON on whole rows), not in Python."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

GEOJSON = "application/geo+json"


class GeoJSONResponse(Response):
    """A response already serialised as GeoJSON."""

    media_type = GEOJSON


GEOMETRY_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "required": ["type", "coordinates"],
    "properties": {
        "type": {
            "enum": [
                "Point",
                "MultiPoint",
                "LineString",
                "MultiLineString",
                "Polygon",
                "MultiPolygon",
            ]
        },
        "coordinates": {"type": "array"},
    },
    "description": "WGS-84 longitude/latitude (RFC 7946)",
}
FEATURE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "geometry", "properties"],
    "properties": {
        "type": {"const": "Feature"},
        "geometry": GEOMETRY_SCHEMA,
        "properties": {"type": "object", "description": "the record's columns"},
    },
}
FEATURE_COLLECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features"],
    "properties": {
        "type": {"const": "FeatureCollection"},
        "features": {"type": "array", "items": FEATURE_SCHEMA},
    },
}


def geojson_responses(description: str, *, single: bool = False) -> dict[int | str, Any]:
    """The OpenAPI entry of a GeoJSON answer: a FeatureCollection (or one Feature)."""
    schema = FEATURE_SCHEMA if single else FEATURE_COLLECTION_SCHEMA
    return {200: {"content": {GEOJSON: {"schema": schema}}, "description": description}}
