"""Mapbox vector tiles (MVT) of issues and villages, built by PostGIS itself.

A tile is addressed like every web map's: zoom `z`, column `x`, row `y` of the Web-Mercator
(EPSG:3857) grid, the row counted from the north. PostGIS gives the tile's square
(`ST_TileEnvelope`), turns geometries into tile coordinates (`ST_AsMVTGeom`) and encodes the
protobuf (`ST_AsMVT`); nothing is drawn or encoded in Python.

The zoom rule (docs/tiles.md): below `points_zoom` an issue tile carries counts per square
cell — the tile cut into `cell_px`-pixel squares that are themselves tiles of a deeper
zoom, so a cell belongs to exactly one tile and the counts of all tiles add up to the
number of issues; from `points_zoom` on it carries the points (id, code, status, category,
overdue), unless more than `max_points` lie in it (then cells still).

Stored geometries stay in EPSG:4326 and the `geom` GiST index does the work: the tile's
square in 3857 transformed to 4326 is a lon/lat box with the same edges (meridians and
parallels are straight in both), so `geom && box` selects exactly the tile's points.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, literal_column, select

from geo import frames, issue_reader, tile_summary
from geo.errors import InvalidInput
from geo.models import SRID, Community, Village

MAX_TILE_ZOOM = 24
"""The deepest zoom served (a z24 tile is about 2 m across)."""

EXTENT = 4096
"""Tile coordinates per tile edge (the MVT default)."""

BUFFER = 64
"""Tile coordinates drawn beyond the edge, so lines and dots are not cut at a seam."""

ISSUE_LAYER = "issues"
VILLAGE_LAYER = "villages"
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"

WEB_MERCATOR = func.ST_MakeEnvelope(
    -20037508.342789244, -20037508.342789244, 20037508.342789244, 20037508.342789244, 3857
)
"""The bounds of the Web-Mercator tile grid (ST_TileEnvelope's default, spelled out)."""

CELL_PX_CHOICES = (16, 32, 64, 128)
"""Cell sizes (pixels of a 256-pixel tile) that cut a tile into whole cells."""


@dataclass(frozen=True)
class Tile:
    """One tile z/x/y of the Web-Mercator grid."""

    z: int
    x: int
    y: int

    def __post_init__(self) -> None:
        if not 0 <= self.z <= MAX_TILE_ZOOM:
            raise InvalidInput(
                f"expected a zoom from 0 to {MAX_TILE_ZOOM}, got {self.z}", field="z"
            )
        last = 2**self.z - 1
        for name, value in (("x", self.x), ("y", self.y)):
            if not 0 <= value <= last:
                raise InvalidInput(
                    f"expected {name} from 0 to {last} at zoom {self.z}, got {value}", field=name
                )

    def envelope(self, margin: float = 0.0) -> Any:
        """The tile's square in EPSG:3857 (widened by `margin`, a fraction of its edge)."""
        return func.ST_TileEnvelope(self.z, self.x, self.y, WEB_MERCATOR, margin)

    def box(self, margin: float = 0.0) -> Any:
        """The same square as a lon/lat box (EPSG:4326), for the `geom` index."""
        return func.ST_Transform(self.envelope(margin), SRID)


def check_cell_px(cell_px: int) -> int:
    """`cell_px`, or InvalidInput when it does not cut a 256-pixel tile into whole cells."""
    if cell_px not in CELL_PX_CHOICES:
        raise InvalidInput(
            f"expected a cell size of {', '.join(map(str, CELL_PX_CHOICES))} pixels, got {cell_px}",
            field="tile_cell_px",
        )
    return cell_px


def cell_levels(cell_px: int) -> int:
    """How many zooms deeper a cell is than its tile (32 px → 3: 8 × 8 cells)."""
    return {16: 4, 32: 3, 64: 2, 128: 1}[check_cell_px(cell_px)]


def is_aggregated(z: int, *, points_zoom: int) -> bool:
    """Whether an issue tile at zoom `z` carries cells whatever it holds (below `points_zoom`)."""
    return z < points_zoom


class TileCache:
    """Recently made aggregated tiles, each kept at most `max_age_s` seconds, at most
    `size` of them (the least recently used go first). Thread-safe.

    A tile is keyed by its query's SQL text and parameters, so whatever decides which
    issues a caller may see (filters, village or town scope) is part of the key."""

    def __init__(self, *, size: int, max_age_s: float):
        self.size = size
        self.max_age_s = max_age_s
        self._tiles: OrderedDict[tuple[str, tuple[Any, ...]], tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, tuple[Any, ...]]) -> bytes | None:
        """The tile made for `key` within the last `max_age_s` seconds, or None."""
        with self._lock:
            hit = self._tiles.get(key)
            if hit is None:
                return None
            made, body = hit
            if time.monotonic() - made > self.max_age_s:
                del self._tiles[key]
                return None
            self._tiles.move_to_end(key)
            return body

    def put(self, key: tuple[str, tuple[Any, ...]], body: bytes) -> None:
        """Keep a tile."""
        if self.size <= 0:
            return
        with self._lock:
            self._tiles[key] = (time.monotonic(), body)
            self._tiles.move_to_end(key)
            while len(self._tiles) > self.size:
                self._tiles.popitem(last=False)


def _key(conn: Connection, stmt: Any) -> tuple[str, tuple[Any, ...]]:
    compiled = stmt.compile(dialect=conn.dialect)
    params = tuple(sorted((k, repr(v)) for k, v in compiled.params.items()))
    return str(compiled), params


def issue_tile(
    conn: Connection,
    q: issue_reader.IssueQuery,
    tile: Tile,
    *,
    points_zoom: int,
    cell_px: int,
    max_points: int,
    cache: TileCache | None = None,
    summary_max_age_s: float | None = None,
    engine: Engine | None = None,
) -> tuple[str, str, bytes]:
    """The issues of `q` in `tile` as an MVT, its kind and where it was read from: kind
    `cells` below `points_zoom`, and from it on where more than `max_points` issues lie in
    the tile; else `points`. Source `summary` when the cells were summed from
    `issue_tile_summary` (when `summary_max_age_s` is given, the summary is fresh enough
    and can answer the filter), `cache` when taken from `cache`, else `live`. A stale
    summary is refreshed in the background on `engine` (the request never waits)."""
    few = not is_aggregated(tile.z, points_zoom=points_zoom) and (
        issue_reader.count_in_tile(conn, q, tile, up_to=max_points + 1) <= max_points
    )
    if few:
        return "points", "live", issue_reader.mvt_points(conn, q, tile)
    levels = cell_levels(cell_px)
    if summary_max_age_s is not None:
        stmt = issue_reader.summary_cells_query(q, tile, levels=levels)
        if stmt is not None:
            now = tile_summary.state(conn)
            if engine is not None and now.stale(max_age_s=summary_max_age_s):
                tile_summary.refresh_in_background(engine)
            if now.usable(max_age_s=summary_max_age_s):
                return "cells", "summary", bytes(conn.execute(stmt).scalar_one())
    source, body = _cells(conn, q, tile, levels=levels, cache=cache)
    return "cells", source, body


def _cells(
    conn: Connection,
    q: issue_reader.IssueQuery,
    tile: Tile,
    *,
    levels: int,
    cache: TileCache | None,
) -> tuple[str, bytes]:
    stmt = issue_reader.mvt_cells_query(q, tile, levels=levels)
    key = _key(conn, stmt) if cache is not None else None
    if cache is not None and key is not None:
        body = cache.get(key)
        if body is not None:
            return "cache", body
    body = bytes(conn.execute(stmt).scalar_one())
    if cache is not None and key is not None:
        cache.put(key, body)
    return "live", body


def village_tile(
    conn: Connection,
    tile: Tile,
    *,
    villages: Sequence[str] = (),
    communities: Sequence[str] = (),
    towns: Sequence[int] | None = None,
) -> bytes:
    """Village boundaries (code, name, community) in `tile` as an MVT layer `villages`, of
    the towns `towns` (None: every town)."""
    env = tile.envelope()
    rows = (
        select(
            Village.code.label("code"),
            Village.name.label("name"),
            Community.code.label("community"),
            Community.name.label("community_name"),
            func.ST_AsMVTGeom(
                func.ST_Transform(Village.geom, 3857), env, EXTENT, BUFFER, True
            ).label("geom"),
        )
        .outerjoin(Community, Community.id == Village.community_id)
        .where(
            and_(
                Village.geom.op("&&")(tile.box()),
                *frames.village_conditions(villages=villages, communities=communities, towns=towns),
            )
        )
        .subquery("t")
    )
    stmt = select(
        func.coalesce(
            func.ST_AsMVT(literal_column("t"), VILLAGE_LAYER, EXTENT, "geom"),
            literal_column("''::bytea"),
        )
    ).select_from(rows)
    return bytes(conn.execute(stmt).scalar_one())
