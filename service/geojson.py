"""GeoJSON responses built by PostGIS (ST_AsGeoJSON on whole rows), not in Python."""

from __future__ import annotations

from fastapi.responses import Response

GEOJSON = "application/geo+json"


class GeoJSONResponse(Response):
    """A response already serialised as GeoJSON."""

    media_type = GEOJSON
