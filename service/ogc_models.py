"""Response models and GeoJSON schemas of the OGC API Features routes (service/routes/ogc.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from service.geojson import FEATURE_SCHEMA, GEOJSON

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
"""The conformance classes implemented (Part 1 core, OpenAPI 3.0, GeoJSON; Part 2 CRS)."""


class Link(BaseModel):
    """A link of OGC API (RFC 8288 style)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class LandingPage(BaseModel):
    """`/ogc/`: what the API offers, as links."""

    title: str
    description: str
    links: list[Link]


class Conformance(BaseModel):
    """The conformance classes the API implements."""

    conformsTo: list[str]


class SpatialExtent(BaseModel):
    """The town's bounding box in CRS84."""

    bbox: list[list[float]]
    crs: str


class TemporalExtent(BaseModel):
    """When the features were found (issues), open ends as null."""

    interval: list[list[str | None]]
    trs: str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"


class Extent(BaseModel):
    """Where (and when) a collection's features lie."""

    spatial: SpatialExtent | None = None
    temporal: TemporalExtent | None = None


class Collection(BaseModel):
    """One layer: villages, grids, communities, issues, roads or sites."""

    id: str
    title: str
    description: str
    links: list[Link]
    extent: Extent | None = None
    itemType: str = "feature"
    crs: list[str]
    storageCrs: str


class Collections(BaseModel):
    """Every layer the API serves."""

    links: list[Link]
    collections: list[Collection]


class Queryable(BaseModel):
    """One property an issue selection can be filtered by (a query parameter)."""

    model_config = ConfigDict(populate_by_name=True)

    title: str
    description: str | None = None
    type: str | None = None
    enum: list[str] | None = None
    format: str | None = None
    pattern: str | None = None
    ref: str | None = Field(default=None, alias="$ref")


class Queryables(BaseModel):
    """The queryables of a collection as a JSON Schema."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(default="https://json-schema.org/draft/2020-12/schema", alias="$schema")
    id_: str = Field(alias="$id")
    type: str = "object"
    title: str
    properties: dict[str, Queryable]
    additionalProperties: bool = False


_LINK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["href", "rel"],
    "properties": {
        "href": {"type": "string"},
        "rel": {"type": "string"},
        "type": {"type": "string"},
        "title": {"type": "string"},
    },
}
ITEMS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "features", "numberMatched", "numberReturned", "links"],
    "properties": {
        "type": {"enum": ["FeatureCollection"]},
        "features": {"type": "array", "items": FEATURE_SCHEMA},
        "numberMatched": {"type": "integer", "minimum": 0},
        "numberReturned": {"type": "integer", "minimum": 0},
        "timeStamp": {"type": "string", "format": "date-time"},
        "links": {"type": "array", "items": _LINK_SCHEMA},
    },
}
ITEM_SCHEMA: dict[str, Any] = {
    **FEATURE_SCHEMA,
    "properties": {
        **FEATURE_SCHEMA["properties"],
        "id": {"type": ["string", "integer"]},
        "links": {"type": "array", "items": _LINK_SCHEMA},
    },
}
CONTENT_CRS = {
    "Content-Crs": {
        "description": "the CRS of the coordinates, as <URI> (OGC API Features Part 2)",
        "schema": {"type": "string"},
    }
}


def items_responses(description: str, *, single: bool = False) -> dict[int | str, Any]:
    """The OpenAPI entry of an items (or one item) answer, with the Content-Crs header."""
    schema = ITEM_SCHEMA if single else ITEMS_SCHEMA
    return {
        200: {
            "content": {GEOJSON: {"schema": schema}},
            "description": description,
            "headers": CONTENT_CRS,
        }
    }
