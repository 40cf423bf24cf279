"""Vector tiles (MVT) of issues and villages, encoded by PostGIS (geo.tiles, docs/tiles.md)."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from geo import issue_reader
from geo.tiles import (
    MAX_TILE_ZOOM,
    MVT_MEDIA_TYPE,
    Tile,
    TileCache,
    issue_tile,
    village_tile,
)
from service.auth import Reader, town_scope
from service.deps import ConnDep
from service.filters import IssueFilterDep, known_communities, known_villages

router = APIRouter(prefix="/tiles", tags=["tiles 矢量瓦片"])

ZoomP = Annotated[int, Path(ge=0, le=MAX_TILE_ZOOM, description="zoom 0–24")]
ColumnP = Annotated[int, Path(ge=0, description="column, 0 … 2^z − 1 from the west")]
RowP = Annotated[int, Path(ge=0, description="row, 0 … 2^z − 1 from the north")]

_MVT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {MVT_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "description": "a Mapbox vector tile (protobuf); empty when nothing lies in the tile",
    },
    304: {"description": "not modified (the ETag given in If-None-Match still holds)"},
}


class MVTResponse(Response):
    """A Mapbox vector tile."""

    media_type = MVT_MEDIA_TYPE


def _tile_response(request: Request, body: bytes, **headers: str) -> Response:
    """The tile with an ETag (its content's hash) and a short, private max-age; 304 when the
    browser already holds these bytes."""
    settings = request.app.state.settings
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    common = {
        "ETag": etag,
        "Cache-Control": f"private, max-age={settings.tile_max_age_s}",
        "Vary": "Authorization, Cookie",
        **headers,
    }
    asked = request.headers.get("if-none-match", "")
    if etag in (t.strip() for t in asked.split(",")) or asked.strip() == "*":
        return Response(status_code=304, headers=common)
    return MVTResponse(body, headers=common)


def _cache(request: Request) -> TileCache:
    """The app's cache of aggregated tiles (see create_app)."""
    cache: TileCache = request.app.state.tile_cache
    return cache


@router.get(
    "/issues/{z}/{x}/{y}.mvt",
    response_class=MVTResponse,
    responses=_MVT_RESPONSES,
)
def issue_tile_route(
    request: Request,
    conn: ConnDep,
    selection: IssueFilterDep,
    z: ZoomP,
    x: ColumnP,
    y: RowP,
) -> Response:
    """问题矢量瓦片: the issues of `/issues` (same filters, same scope) in one tile, layer
    `issues`. Below the zoom `tile_points_zoom`: squares of `tile_cell_px` pixels with
    `count`, `open`, `overdue`; from it on: points with `id`, `code`, `status`, `category`,
    `overdue` — unless more than `tile_max_points` lie in the tile (cells still). The
    header `X-Tile-Kind` says which (`cells` or `points`), `X-Tile-Source` where it was
    read from: `summary` (cells summed from the summary of issues per cell, at most
    about `tile_summary_max_age_s` old), `cache` (cells this process made within
    `tile_max_age_s`) or `live`."""
    settings = request.app.state.settings
    tile = Tile(z, x, y)
    kind, source, body = issue_tile(
        conn,
        issue_reader.IssueQuery(selection=selection),
        tile,
        points_zoom=settings.tile_points_zoom,
        cell_px=settings.tile_cell_px,
        max_points=settings.tile_max_points,
        cache=_cache(request),
        summary_max_age_s=settings.tile_summary_max_age_s if settings.tile_summary else None,
        engine=request.app.state.engine,
    )
    return _tile_response(request, body, **{"X-Tile-Kind": kind, "X-Tile-Source": source})


@router.get(
    "/villages/{z}/{x}/{y}.mvt",
    response_class=MVTResponse,
    responses=_MVT_RESPONSES,
)
def village_tile_route(
    request: Request,
    conn: ConnDep,
    user: Reader,
    z: ZoomP,
    x: ColumnP,
    y: RowP,
    village: Annotated[list[str] | None, Query(description="village code(s) 村编码")] = None,
    community: Annotated[list[str] | None, Query(description="community code or name")] = None,
) -> Response:
    """村界矢量瓦片: village boundaries in one tile, layer `villages` (code, name, community,
    community_name)."""
    body = village_tile(
        conn,
        Tile(z, x, y),
        villages=known_villages(conn, user, village, own_only=False),
        communities=known_communities(conn, user, community),
        towns=town_scope(user),  # every reader sees the villages of their towns
    )
    return _tile_response(request, body)
