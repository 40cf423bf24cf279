"""The one reader of issues: every read of `issue` (and its events and photos) goes here.

Built the way tipg's `PgCollection.features` is: the count and the page are assembled from
the same clause builders —

- `_where`: the filter (IssueFilter, ids, found_from/found_to) as SQL conditions;
- `_order`: a sort list such as ("-found_on", "code");
- `_paging`: limit/offset, bounded by the caller's `max_page_size`;
- `_columns`: the named properties, from one catalogue (PROPERTIES);
- geometry: GeoJSON built in PostGIS (`ST_AsGeoJSON`, 7 decimals) for the API, WKB decoded
  by `geo.geoframe` for GeoDataFrames (maps, exports, analyses).

Outputs: `geojson` (a FeatureCollection as text, with the total), `feature` (one issue as
a GeoJSON dict), `frame` (a GeoDataFrame), and the aggregates the pages and scoring need
(`status_counts`, `unit_counts` by village, grid or community). Writers (geo.loop, the
importers, geo.assign) write their own SQL; nothing else reads issues.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Date,
    DateTime,
    Integer,
    Select,
    Text,
    case,
    cast,
    column,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from geo.errors import InvalidInput
from geo.events import EVENT_WORDS
from geo.geoframe import read_geoframe
from geo.issue_filter import IssueFilter
from geo.models import (
    OPEN_STATUSES,
    SRID,
    TOWN_TIME_ZONE,
    Category,
    Community,
    Grid,
    Issue,
    IssueEvent,
    Photo,
    Village,
)
from geo.towns import SCOPE_SQL, scope_params

if TYPE_CHECKING:
    from geo.tiles import Tile

GEOJSON_DECIMALS = 7
"""Coordinates in GeoJSON output: 7 decimals of a degree ≈ 1 cm."""


@dataclass(frozen=True)
class IssueQuery:
    """Which issues, in which order, which page."""

    selection: IssueFilter = field(default_factory=IssueFilter)
    ids: Sequence[uuid.UUID] | None = None
    codes: Sequence[str] | None = None
    """Issue codes (`W01-202405-0001`), as Open311's service_request_id."""
    found_from: date | None = None
    found_to: date | None = None
    requested_from: datetime | None = None
    requested_to: datetime | None = None
    """Bounds (timezone-aware) on `requested_at`, the moment an issue was reported."""
    sort: Sequence[str] = ("found_on", "code")
    """Property names; a leading '-' sorts descending."""
    limit: int | None = None
    offset: int = 0
    lang: str = "zh"
    """Language of computed labels (the one-line history)."""
    envelope: tuple[float, float, float, float, int] | None = None
    """(minx, miny, maxx, maxy, srid): a box in any CRS the issues' points must lie in
    (OGC API `bbox` with `bbox-crs`); its corners are transformed to EPSG:4326."""

    @property
    def today(self) -> date:
        """The date 'overdue' is judged on."""
        return self.selection.as_of or date.today()


_village = Village.__table__.alias("v")
_grid = Grid.__table__.alias("g")
_category = Category.__table__.alias("c")


def _history(q: IssueQuery) -> ColumnElement[Any]:
    labels = {kind: (w.zh if q.lang == "zh" else w.en) for kind, w in EVENT_WORDS.items()}
    step = (
        func.to_char(IssueEvent.on, "MM-DD")
        + literal(" ")
        + case(labels, value=IssueEvent.kind, else_=IssueEvent.kind)
    )
    return (
        select(func.string_agg(step, aggregate_order_by(literal(" → "), IssueEvent.id)))
        .where(IssueEvent.issue_id == Issue.id)
        .scalar_subquery()
    )


def _photo_ids(q: IssueQuery) -> ColumnElement[Any]:
    del q
    return (
        select(func.array_agg(aggregate_order_by(Photo.id, Photo.uploaded_at, Photo.id)))
        .where(Photo.issue_id == Issue.id)
        .scalar_subquery()
    )


def _requested_at(q: IssueQuery) -> ColumnElement[Any]:
    """When the issue was reported: the moment it was recorded if that was on the day it
    was found (the field page, Open311), else the start of that day in the town's calendar
    (an import of earlier finds)."""
    del q
    return case(
        (
            cast(func.timezone(TOWN_TIME_ZONE, Issue.created_at), Date) == Issue.found_on,
            Issue.created_at,
        ),
        else_=func.timezone(TOWN_TIME_ZONE, cast(Issue.found_on, DateTime)),
    )


def _overdue(q: IssueQuery) -> ColumnElement[Any]:
    return Issue.status.in_(OPEN_STATUSES) & (Issue.deadline < q.today)


PROPERTIES: dict[str, Callable[[IssueQuery], Any]] = {
    "id": lambda q: Issue.id,
    "code": lambda q: Issue.code,
    "category": lambda q: Issue.category_code,
    "category_zh": lambda q: _category.c.label_zh,
    "category_en": lambda q: _category.c.label_en,
    "description": lambda q: Issue.description,
    "address": lambda q: Issue.address,
    "village": lambda q: _village.c.code,
    "village_code": lambda q: _village.c.code,
    "village_name": lambda q: _village.c.name,
    "grid": lambda q: _grid.c.name,
    "grid_name": lambda q: _grid.c.name,
    "source": lambda q: Issue.source,
    "found_on": lambda q: Issue.found_on,
    "found_by": lambda q: Issue.found_by,
    "deadline": lambda q: Issue.deadline,
    "responsible": lambda q: Issue.responsible,
    "status": lambda q: Issue.status,
    "closed_on": lambda q: Issue.closed_on,
    "overdue": _overdue,
    "rebound_of": lambda q: Issue.rebound_of,
    "outside_m": lambda q: Issue.outside_m,
    "version": lambda q: Issue.version,
    "history": _history,
    "photo_ids": _photo_ids,
    "lon": lambda q: func.ST_X(Issue.geom),
    "lat": lambda q: func.ST_Y(Issue.geom),
    "requested_at": _requested_at,
    "updated_at": lambda q: Issue.updated_at,
}
"""Every property an issue can be read with: name → SQL expression."""

LIST_PROPERTIES = (
    "id",
    "code",
    "category",
    "category_zh",
    "category_en",
    "description",
    "village",
    "village_name",
    "grid",
    "source",
    "found_on",
    "found_by",
    "deadline",
    "status",
    "closed_on",
    "overdue",
    "rebound_of",
    "outside_m",
    "version",
)
"""The properties of `GET /issues`."""

DETAIL_PROPERTIES = (
    "id",
    "code",
    "category",
    "category_zh",
    "category_en",
    "description",
    "address",
    "village",
    "village_name",
    "grid",
    "source",
    "found_on",
    "found_by",
    "deadline",
    "responsible",
    "status",
    "closed_on",
    "rebound_of",
    "outside_m",
    "version",
)
"""The properties of `GET /issues/{id}`."""

MAP_PROPERTIES = (
    "id",
    "code",
    "category",
    "description",
    "status",
    "source",
    "found_on",
    "deadline",
    "closed_on",
    "rebound_of",
    "outside_m",
    "village_code",
    "village_name",
    "grid_name",
)
"""The properties maps and exports start from (history and photos added on request)."""

_SORTABLE = {
    "found_on",
    "code",
    "deadline",
    "closed_on",
    "status",
    "village",
    "category",
    "requested_at",
}


def _where(q: IssueQuery) -> list[ColumnElement[bool]]:
    """The filter as conditions on `issue` alone (shared by count and page)."""
    if q.found_from and q.found_to and q.found_from > q.found_to:
        raise InvalidInput("expected found_from ≤ found_to", field="found_from")
    conds = list(q.selection.conditions())
    if q.ids is not None:
        conds.append(Issue.id.in_(list(q.ids)))
    if q.found_from:
        conds.append(Issue.found_on >= q.found_from)
    if q.found_to:
        conds.append(Issue.found_on <= q.found_to)
    if q.envelope is not None:
        minx, miny, maxx, maxy, srid = q.envelope
        box: Any = func.ST_MakeEnvelope(minx, miny, maxx, maxy, srid)
        conds.append(Issue.geom.intersects(box if srid == SRID else func.ST_Transform(box, SRID)))
    if q.codes is not None:
        conds.append(Issue.code.in_(list(q.codes)))
    conds.extend(_requested_between(q))
    return conds


def _requested_between(q: IssueQuery) -> list[ColumnElement[bool]]:
    """`requested_at` within the query's bounds, with the bounds' days in the town's calendar
    on `found_on` beside them (a reported moment lies on the day found: the index narrows)."""
    if q.requested_from and q.requested_to and q.requested_from > q.requested_to:
        raise InvalidInput("expected start_date ≤ end_date", field="start_date")
    conds: list[ColumnElement[bool]] = []
    town = ZoneInfo(TOWN_TIME_ZONE)
    for bound, field_name in ((q.requested_from, "start_date"), (q.requested_to, "end_date")):
        if bound is not None and bound.tzinfo is None:
            raise InvalidInput("expected a datetime with its time zone", field=field_name)
    if q.requested_from is not None:
        conds.append(Issue.found_on >= q.requested_from.astimezone(town).date())
        conds.append(_requested_at(q) >= q.requested_from)
    if q.requested_to is not None:
        conds.append(Issue.found_on <= q.requested_to.astimezone(town).date())
        conds.append(_requested_at(q) <= q.requested_to)
    return conds


def _order(q: IssueQuery) -> list[Any]:
    out: list[Any] = []
    for key in q.sort:
        name = key.lstrip("-")
        if name not in _SORTABLE:
            raise InvalidInput(
                f"cannot sort by {name!r}; expected one of {', '.join(sorted(_SORTABLE))}",
                field="sortby",
            )
        column = PROPERTIES[name](q)
        out.append(column.desc() if key.startswith("-") else column)
    return out


def _paging(stmt: Select[Any], q: IssueQuery, max_page_size: int | None) -> Select[Any]:
    limit = q.limit
    if max_page_size is not None:
        if limit is not None and limit > max_page_size:
            raise InvalidInput(
                f"expected limit ≤ {max_page_size} (the page size limit), got {limit}",
                field="limit",
            )
        limit = max_page_size if limit is None else limit
    if q.offset < 0:
        raise InvalidInput(f"expected offset ≥ 0, got {q.offset}", field="offset")
    if limit is not None:
        stmt = stmt.limit(limit)
    return stmt.offset(q.offset) if q.offset else stmt


def _columns(q: IssueQuery, properties: Sequence[str]) -> list[ColumnElement[Any]]:
    unknown = [p for p in properties if p not in PROPERTIES]
    if unknown:
        raise InvalidInput(f"unknown issue properties: {', '.join(unknown)}", field="properties")
    return [PROPERTIES[p](q).label(p) for p in properties]


def _select(q: IssueQuery, columns: Sequence[ColumnElement[Any]]) -> Select[Any]:
    return (
        select(*columns)
        .select_from(Issue)
        .join(_category, _category.c.code == Issue.category_code)
        .outerjoin(_village, _village.c.id == Issue.village_id)
        .outerjoin(_grid, _grid.c.id == Issue.grid_id)
        .where(*_where(q))
        .order_by(*_order(q))
    )


def count(conn: Connection, q: IssueQuery | None = None) -> int:
    """How many issues match (ignoring paging)."""
    q = q or IssueQuery()
    return conn.execute(select(func.count()).select_from(Issue).where(*_where(q))).scalar_one()


def geojson(
    conn: Connection,
    q: IssueQuery,
    *,
    properties: Sequence[str] = LIST_PROPERTIES,
    max_page_size: int | None,
    srid: int = SRID,
    swap_axes: bool = False,
    decimals: int = GEOJSON_DECIMALS,
) -> tuple[str, int]:
    """One page of issues as a GeoJSON FeatureCollection (text, built in PostGIS) and the
    number of matches over all pages. Points are written in `srid` (transformed by
    PostGIS), with the axes swapped (latitude or northing first) when `swap_axes`."""
    geom: Any = Issue.geom if srid == SRID else func.ST_Transform(Issue.geom, srid)
    if swap_axes:
        geom = func.ST_FlipCoordinates(geom)
    page = _paging(_select(q, [*_columns(q, properties), geom.label("geom")]), q, max_page_size)
    as_feature: Any = literal_column(f"ST_AsGeoJSON(t.*, 'geom', {int(decimals)})::json")
    collection = select(
        func.json_build_object(
            "type",
            "FeatureCollection",
            "features",
            func.coalesce(func.json_agg(as_feature), literal_column("'[]'::json")),
        ).cast(Text)
    ).select_from(page.subquery("t"))
    return conn.execute(collection).scalar_one(), count(conn, q)


def feature(
    conn: Connection,
    issue_id: uuid.UUID,
    *,
    properties: Sequence[str] = DETAIL_PROPERTIES,
    towns: Sequence[int] | None = None,
) -> dict[str, Any] | None:
    """One issue as a GeoJSON Feature dict, or None (also outside the towns `towns`)."""
    q = IssueQuery(ids=[issue_id], selection=IssueFilter(towns=towns))
    text_, _ = geojson(conn, q, properties=properties, max_page_size=None)
    features = json.loads(text_)["features"]
    return features[0] if features else None


def records(
    conn: Connection,
    q: IssueQuery,
    *,
    properties: Sequence[str] = LIST_PROPERTIES,
    max_page_size: int | None,
) -> list[dict[str, Any]]:
    """One page of issues as plain dicts of the named properties (no geometry: ask for
    `lon` and `lat`)."""
    stmt = _paging(_select(q, _columns(q, properties)), q, max_page_size)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def frame(
    conn: Connection,
    q: IssueQuery | None = None,
    *,
    properties: Sequence[str] = MAP_PROPERTIES,
    max_page_size: int | None = None,
) -> gpd.GeoDataFrame:
    """Issues as a GeoDataFrame (EPSG:4326, `geometry`), dates as `date` objects."""
    q = q or IssueQuery()
    stmt = _paging(
        _select(q, [*_columns(q, properties), func.ST_AsBinary(Issue.geom).label("geom")]),
        q,
        max_page_size,
    )
    out = read_geoframe(conn, stmt, crs=SRID)
    for col in ("found_on", "deadline", "closed_on"):
        if col in out:
            out[col] = pd.to_datetime(out[col]).dt.date
    return out


# -- vector tiles (geo.tiles) ---------------------------------------------------------------

MVT_EXTENT = 4096
"""Tile coordinates per tile edge."""
MVT_POINT_MARGIN = 8 / 256
"""Points this far beyond a tile's edge (a fraction of it: 8 px) are in the tile too, so a
dot on a seam is drawn whole by both tiles."""


def _mvt(rows: Any, layer: str) -> Select[Any]:
    stmt = select(
        func.coalesce(
            func.ST_AsMVT(literal_column("t"), layer, MVT_EXTENT, "geom"),
            literal_column("''::bytea"),
        )
    ).select_from(rows)
    return stmt


def mvt_points(conn: Connection, q: IssueQuery, tile: Tile, *, layer: str = "issues") -> bytes:
    """The issues of `q` in `tile` (and its 8-pixel margin) as an MVT layer of points with
    id, code, status, category and overdue (on `q.today`)."""
    rows = (
        select(
            func.cast(Issue.id, Text).label("id"),
            Issue.code.label("code"),
            Issue.status.label("status"),
            Issue.category_code.label("category"),
            _overdue(q).label("overdue"),
            func.ST_AsMVTGeom(
                func.ST_Transform(Issue.geom, 3857),
                tile.envelope(),
                MVT_EXTENT,
                int(MVT_POINT_MARGIN * MVT_EXTENT),
                True,
            ).label("geom"),
        )
        .where(Issue.geom.op("&&")(tile.box(MVT_POINT_MARGIN)), *_where(q))
        .subquery("t")
    )
    return bytes(conn.execute(_mvt(rows, layer)).scalar_one())


def count_in_tile(conn: Connection, q: IssueQuery, tile: Tile, *, up_to: int) -> int:
    """How many issues of `q` lie in `tile` (with its point margin), counting no further
    than `up_to`."""
    some = (
        select(literal(1))
        .select_from(Issue)
        .where(Issue.geom.op("&&")(tile.box(MVT_POINT_MARGIN)), *_where(q))
        .limit(up_to)
        .subquery("n")
    )
    return int(conn.execute(select(func.count()).select_from(some)).scalar_one())


def mvt_cells(
    conn: Connection, q: IssueQuery, tile: Tile, *, levels: int, layer: str = "issues"
) -> bytes:
    """The issues of `q` in `tile` counted per cell — the tiles `levels` zooms deeper, so
    each issue is in exactly one cell of one tile — as an MVT layer of squares with count,
    open and overdue (on `q.today`)."""
    return bytes(conn.execute(mvt_cells_query(q, tile, levels=levels, layer=layer)).scalar_one())


def mvt_cells_query(
    q: IssueQuery, tile: Tile, *, levels: int, layer: str = "issues"
) -> Select[Any]:
    """The query of `mvt_cells` (its SQL and parameters key the tile cache of geo.tiles)."""
    n = 2 ** (tile.z + levels)
    per_tile = 2**levels
    # The Web-Mercator cell of each point (the slippy-map tile formula at zoom z + levels),
    # computed once per point: OFFSET 0 keeps the planner from repeating it per use.
    lat = func.radians(func.ST_Y(Issue.geom))
    points = (
        select(
            func.floor((func.ST_X(Issue.geom) + 180) / 360 * n).label("cx"),
            func.floor((1 - func.asinh(func.tan(lat)) / func.pi()) / 2 * n).label("cy"),
            Issue.status.in_(OPEN_STATUSES).label("is_open"),
            _overdue(q).label("is_overdue"),
        )
        .where(Issue.geom.op("&&")(tile.box()), *_where(q))
        .offset(literal_column("0"))
        .subquery("p")
    )
    cells = (
        select(
            points.c.cx,
            points.c.cy,
            func.count().label("count"),
            func.count().filter(points.c.is_open).label("open"),
            func.count().filter(points.c.is_overdue).label("overdue"),
        )
        .where(
            points.c.cx.between(tile.x * per_tile, (tile.x + 1) * per_tile - 1),
            points.c.cy.between(tile.y * per_tile, (tile.y + 1) * per_tile - 1),
        )
        .group_by(points.c.cx, points.c.cy)
        .subquery("c")
    )
    rows = select(
        cells.c["count"],
        cells.c.open,
        cells.c.overdue,
        func.ST_AsMVTGeom(
            func.ST_TileEnvelope(
                tile.z + levels, func.cast(cells.c.cx, Integer), func.cast(cells.c.cy, Integer)
            ),
            tile.envelope(),
            MVT_EXTENT,
            0,
            True,
        ).label("geom"),
    ).subquery("t")
    return _mvt(rows, layer)


# -- one issue: its village, history, photos -------------------------------------------------


def _in_towns(towns: Sequence[int] | None) -> ColumnElement[bool]:
    return true() if towns is None else Issue.town_id.in_(tuple(towns) or (-1,))


def village_of(
    conn: Connection, issue_id: uuid.UUID, *, towns: Sequence[int] | None = None
) -> tuple[bool, str | None]:
    """(whether the issue exists in the towns `towns` (None: any), its village code)."""
    row = conn.execute(
        select(_village.c.code)
        .select_from(Issue)
        .outerjoin(_village, _village.c.id == Issue.village_id)
        .where(Issue.id == issue_id, _in_towns(towns))
    ).first()
    return (row is not None, row[0] if row else None)


def point_of(conn: Connection, issue_id: uuid.UUID) -> tuple[float, float] | None:
    """The issue's lon/lat, or None when there is no such issue."""
    row = conn.execute(
        select(func.ST_X(Issue.geom), func.ST_Y(Issue.geom)).where(Issue.id == issue_id)
    ).first()
    return (float(row[0]), float(row[1])) if row else None


def events(conn: Connection, issue_id: uuid.UUID) -> list[dict[str, Any]]:
    """The issue's events in order, each with the ids of the photos attached to it."""
    photo_ids = func.coalesce(
        func.array_agg(Photo.id).filter(Photo.id.is_not(None)),
        literal_column("'{}'::uuid[]"),
    )
    rows = conn.execute(
        select(
            IssueEvent.id,
            IssueEvent.kind,
            IssueEvent.from_status,
            IssueEvent.to_status,
            IssueEvent.on,
            IssueEvent.recorded_at,
            IssueEvent.actor,
            IssueEvent.note,
            photo_ids.label("photo_ids"),
        )
        .outerjoin(Photo, Photo.event_id == IssueEvent.id)
        .where(IssueEvent.issue_id == issue_id)
        .group_by(IssueEvent.id)
        .order_by(IssueEvent.id)
    ).mappings()
    return [dict(r) for r in rows]


def photos(
    conn: Connection, issue_id: uuid.UUID, *, with_position: bool = False
) -> list[dict[str, Any]]:
    """The issue's photos in upload order (with where each was taken, `lon`/`lat`, if asked)."""
    position = (
        [func.ST_X(Photo.geom).label("lon"), func.ST_Y(Photo.geom).label("lat")]
        if with_position
        else []
    )
    rows = conn.execute(
        select(
            Photo.id,
            Photo.kind,
            Photo.sha256,
            Photo.mime,
            Photo.width,
            Photo.height,
            Photo.taken_at,
            *position,
        )
        .where(Photo.issue_id == issue_id)
        .order_by(Photo.uploaded_at, Photo.id)
    ).mappings()
    return [dict(r) for r in rows]


def photo_ids_by_issue(
    conn: Connection, issue_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """issue id → its photo ids in upload order."""
    out: dict[uuid.UUID, list[uuid.UUID]] = {}
    if not issue_ids:
        return out
    rows = conn.execute(
        select(Photo.issue_id, Photo.id)
        .where(Photo.issue_id.in_(list(issue_ids)))
        .order_by(Photo.uploaded_at, Photo.id)
    )
    for issue_id, photo_id in rows:
        out.setdefault(issue_id, []).append(photo_id)
    return out


def photo_record(
    conn: Connection, photo_id: uuid.UUID, *, towns: Sequence[int] | None = None
) -> Any:
    """A stored photo (sha256, path, mime) with its issue's village code, or None (also
    when its issue lies outside the towns `towns`)."""
    return conn.execute(
        select(Photo.sha256, Photo.path, Photo.mime, _village.c.code.label("village"))
        .join(Issue, Issue.id == Photo.issue_id)
        .outerjoin(_village, _village.c.id == Issue.village_id)
        .where(Photo.id == photo_id, _in_towns(towns))
    ).first()


# -- aggregates ------------------------------------------------------------------------------


def status_counts(conn: Connection, selection: IssueFilter) -> dict[str, int]:
    """issues, open, submitted, closed and overdue among the selected issues."""
    q = IssueQuery(selection=selection)
    is_open = Issue.status.in_(OPEN_STATUSES)
    row = (
        conn.execute(
            select(
                func.count().label("issues"),
                func.count().filter(is_open).label("open"),
                func.count().filter(Issue.status == "submitted").label("submitted"),
                func.count().filter(Issue.status == "closed").label("closed"),
                func.count().filter(_overdue(q)).label("overdue"),
            )
            .select_from(Issue)
            .where(*_where(q))
        )
        .mappings()
        .one()
    )
    return dict(row)


_UNITS = {
    "village": (
        "SELECT v.id, v.code, v.name, c.code AS parent, c.name AS parent_name, v.households,"
        " ST_Area(v.geom::geography) / 1e6 AS area_km2"
        " FROM village v LEFT JOIN community c ON c.id = v.community_id"
        " WHERE " + SCOPE_SQL.format(alias="v"),
        "i.village_id",
    ),
    "grid": (
        "SELECT g.id, g.code, g.name, v.code AS parent, v.name AS parent_name, g.households,"
        " ST_Area(g.geom::geography) / 1e6 AS area_km2"
        " FROM grid g JOIN village v ON v.id = g.village_id"
        " WHERE " + SCOPE_SQL.format(alias="g"),
        "i.grid_id",
    ),
    "community": (
        "SELECT c.id, c.code, c.name, NULL::text AS parent, NULL::text AS parent_name,"
        " CASE WHEN count(v.households) = count(v.id) AND count(v.id) > 0"
        "  THEN sum(v.households) END AS households,"
        " sum(ST_Area(v.geom::geography)) / 1e6 AS area_km2"
        " FROM community c LEFT JOIN village v ON v.community_id = c.id"
        " WHERE " + SCOPE_SQL.format(alias="c") + " GROUP BY c.id",
        "iv.community_id",
    ),
}
"""The units issues are counted by: (the units with households and area, the issue's key).
A community's households are its villages' sum (unknown when any village's is)."""

UNITS = tuple(_UNITS)
"""village, grid, community: the units `unit_counts` groups by."""


def closed_on_time_sql(alias: str) -> str:
    """SQL: the issue `alias` was rectified on time (按期整改) — the one definition used by
    the indicators (`unit_counts`) and the district view (`town_counts`).

    The village rectifies, the next month's recheck accepts (the notice: 各村负责问题整改，
    次月…实地检查时一并抽查问题整改). So an issue counts as rectified on time when it is
    closed (the recheck accepted it) and the rectification the recheck accepted — the
    issue's latest `submitted` event, the one with the after-photo — happened on or before
    its deadline; the day of the closing (usually the next month's recheck) does not count
    against the village. An issue without a deadline is on time; a closed issue without a
    `submitted` event (imported closed) is judged by its `closed_on`. docs/closed-loop.md.
    """
    a = alias
    return (
        f"({a}.status = 'closed' AND ({a}.deadline IS NULL OR coalesce("
        f'(SELECT max(se."on") FROM issue_event se'
        f" WHERE se.issue_id = {a}.id AND se.kind = 'submitted'),"
        f" {a}.closed_on) <= {a}.deadline))"
    )


_UNIT_COUNTS = """
    WITH units AS ({units}),
    scope AS (
        SELECT i.*, {key} AS unit_id FROM issue i
        LEFT JOIN village iv ON iv.id = i.village_id
        WHERE {key} IS NOT NULL
          AND (CAST(:start AS date) IS NULL OR i.found_on >= :start)
          AND (CAST(:end AS date) IS NULL OR i.found_on < :end)
    ),
    per_status AS (
        SELECT unit_id,
               count(*) FILTER (WHERE status = ANY(:open) AND deadline < :as_of) AS overdue,
               count(*) FILTER (WHERE rebound_of IS NOT NULL) AS rebounds,
               coalesce(sum(closed_on - found_on) FILTER (WHERE status = 'closed'), 0) AS days,
               count(*) FILTER (WHERE {on_time}) AS on_time
        FROM scope GROUP BY unit_id
    ),
    outcomes AS (
        SELECT s.unit_id,
               count(*) FILTER (WHERE e.kind = 'unrectified') AS unrectified,
               count(*) FILTER (WHERE e.kind = 'inadequate') AS inadequate
        FROM issue_event e JOIN scope s ON s.id = e.issue_id GROUP BY s.unit_id
    ),
    by_category AS (
        SELECT unit_id, json_object_agg(category_code, n) AS j FROM
          (SELECT unit_id, category_code, count(*) AS n FROM scope GROUP BY 1, 2) c
        GROUP BY unit_id
    ),
    by_status AS (
        SELECT unit_id, json_object_agg(status, n) AS j FROM
          (SELECT unit_id, status, count(*) AS n FROM scope GROUP BY 1, 2) c
        GROUP BY unit_id
    )
    SELECT u.code, u.name, u.parent, u.parent_name, u.households, u.area_km2,
           coalesce(p.overdue, 0) AS overdue, coalesce(p.rebounds, 0) AS rebounds,
           coalesce(p.days, 0) AS days, coalesce(p.on_time, 0) AS closed_on_time,
           coalesce(o.unrectified, 0) AS unrectified, coalesce(o.inadequate, 0) AS inadequate,
           coalesce(bc.j, '{{}}') AS by_category, coalesce(bs.j, '{{}}') AS by_status
    FROM units u
    LEFT JOIN per_status p ON p.unit_id = u.id
    LEFT JOIN outcomes o ON o.unit_id = u.id
    LEFT JOIN by_category bc ON bc.unit_id = u.id
    LEFT JOIN by_status bs ON bs.unit_id = u.id
    ORDER BY u.code
"""


def unit_counts(
    conn: Connection,
    unit: str,
    *,
    start: date | None,
    end: date | None,
    as_of: date,
    towns: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Per unit (`village`, `grid` or `community`; every one, by code): issues found in
    [start, end) counted by category and status, overdue on `as_of`, closed on time,
    rebounds, recheck outcomes, days to close; with the unit's name, its parent (a village's
    community, a grid's village), households and area in km². Only the units of the towns
    `towns` (None: every town)."""
    if unit not in _UNITS:
        raise InvalidInput(
            f"unknown unit {unit!r}; expected one of {', '.join(UNITS)}", field="unit"
        )
    units, key = _UNITS[unit]
    rows = conn.execute(
        text(_UNIT_COUNTS.format(units=units, key=key, on_time=closed_on_time_sql("scope"))),
        {
            "start": start,
            "end": end,
            "as_of": as_of,
            "open": list(OPEN_STATUSES),
            **scope_params(None if towns is None else tuple(towns)),
        },
    ).mappings()
    return [dict(r) for r in rows]


def village_counts(
    conn: Connection, *, start: date | None, end: date | None, as_of: date
) -> list[dict[str, Any]]:
    """`unit_counts` by village."""
    return unit_counts(conn, "village", start=start, end=end, as_of=as_of)


def due_for_recheck(
    conn: Connection,
    *,
    before: date,
    statuses: Sequence[str],
    villages: Sequence[str] = (),
    towns: Sequence[int] | None = None,
    metric_srid: int | None = None,
) -> list[Any]:
    """Issues in `statuses` found before `before`, with their village, lon/lat, metric x/y,
    and the village's first entrance (ex, ey) and inner point (cx, cy) in the metric CRS:
    `metric_srid`, else (None) the metric CRS of the village's town."""
    return list(
        conn.execute(
            text(
                "SELECT v.code AS village, v.name AS village_name, i.id, i.code,"
                " i.category_code AS category, c.label_zh AS category_zh,"
                " c.label_en AS category_en, i.status, i.description,"
                " i.found_on, i.deadline, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,"
                " ST_X(ST_Transform(i.geom, t.srid)) AS x, ST_Y(ST_Transform(i.geom, t.srid)) AS y,"
                " ST_X(ent.g) AS ex, ST_Y(ent.g) AS ey,"
                " ST_X(ST_Transform(ST_PointOnSurface(v.geom), t.srid)) AS cx,"
                " ST_Y(ST_Transform(ST_PointOnSurface(v.geom), t.srid)) AS cy"
                " FROM issue i JOIN village v ON v.id = i.village_id"
                " CROSS JOIN LATERAL (SELECT coalesce(CAST(:srid AS int), tw.metric_srid) AS srid"
                "  FROM town tw WHERE tw.id = v.town_id) t"
                " JOIN category c ON c.code = i.category_code"
                " LEFT JOIN LATERAL (SELECT ST_Transform(e.geom, t.srid) AS g FROM entrance e"
                "  WHERE e.village_id = v.id ORDER BY e.id LIMIT 1) ent ON true"
                " WHERE i.status = ANY(:due) AND i.found_on < :month"
                " AND (cardinality(CAST(:villages AS text[])) = 0 OR v.code = ANY(:villages))"
                f" AND {SCOPE_SQL.format(alias='i')}"
                " ORDER BY v.code, i.found_on, i.code"
            ),
            {
                "srid": metric_srid,
                "due": list(statuses),
                "month": before,
                "villages": list(villages),
                **scope_params(None if towns is None else tuple(towns)),
            },
        )
        .mappings()
        .all()
    )


def in_box_metric(
    conn: Connection, *, box: Any, metric_srid: int, towns: Sequence[int] | None = None
) -> list[Any]:
    """Issues of the towns `towns` (None: every town) whose point lies in `box` (a geometry
    in EPSG:4326): id, code, category_code, status, closed_on, village_id and the point as
    WKB in the metric CRS, by code."""
    return list(
        conn.execute(
            text(
                "SELECT id, code, category_code, status, closed_on, village_id,"
                " ST_AsBinary(ST_Transform(geom, :srid)) AS geom FROM issue i"
                f" WHERE geom && CAST(:box AS geometry) AND {SCOPE_SQL.format(alias='i')}"
                " ORDER BY code"
            ),
            {
                "srid": metric_srid,
                "box": box,
                **scope_params(None if towns is None else tuple(towns)),
            },
        ).all()
    )


_LEDGER = text(
    """
    SELECT i.id, i.code, v.name AS village, g.name AS grid, i.address,
           round(ST_X(i.geom)::numeric, 6) || ', ' || round(ST_Y(i.geom)::numeric, 6) AS lonlat,
           c.label_zh AS category, i.description, i.source, i.found_on, i.deadline,
           i.responsible, i.status, i.closed_on, r.code AS rebound_of,
           (SELECT count(*) FROM photo p WHERE p.issue_id = i.id) AS photos
    FROM issue i
    JOIN category c ON c.code = i.category_code
    LEFT JOIN village v ON v.id = i.village_id
    LEFT JOIN grid g ON g.id = i.grid_id
    LEFT JOIN issue r ON r.id = i.rebound_of
    WHERE i.id = ANY(:ids)
    ORDER BY v.code, i.found_on, i.code
    """
)

_STEPS = text(
    'SELECT issue_id, "on", kind, note FROM issue_event WHERE issue_id = ANY(:ids)'
    " ORDER BY issue_id, id"
)


def event_steps(conn: Connection, issue_ids: Sequence[uuid.UUID]) -> list[Any]:
    """(issue_id, on, kind, note) of the issues' events, per issue in the order recorded."""
    return list(conn.execute(_STEPS, {"ids": list(issue_ids)}))


def ledger_records(conn: Connection, selection: IssueFilter) -> list[Any]:
    """The ledger's columns (台账) for the selected issues, by village, date found, code."""
    ids = list(
        conn.execute(select(Issue.id).where(*_where(IssueQuery(selection=selection)))).scalars()
    )
    return list(conn.execute(_LEDGER, {"ids": ids}).mappings())


# -- the field pages -------------------------------------------------------------------------


def _by_ids(
    conn: Connection, sql: str, issue_ids: Sequence[uuid.UUID], *, mappings: bool = True
) -> list[Any]:
    """The rows of `sql` (which filters on ``= ANY(:ids)``) for `issue_ids`; none asked, no
    query. `mappings=False` gives plain rows."""
    if not issue_ids:
        return []
    result = conn.execute(text(sql), {"ids": list(issue_ids)})
    return list(result.mappings() if mappings else result)


def descriptions_with_photo(conn: Connection, issue_ids: Sequence[uuid.UUID]) -> list[Any]:
    """(id, description, photo): each issue's description and first photo (before-photos
    first) — for near-duplicate cards."""
    return _by_ids(
        conn,
        "SELECT i.id, i.description, (SELECT p.id FROM photo p WHERE p.issue_id = i.id"
        " ORDER BY p.kind <> 'before', p.uploaded_at LIMIT 1) AS photo"
        " FROM issue i WHERE i.id = ANY(:ids)",
        issue_ids,
        mappings=False,
    )


def due_per_village(
    conn: Connection, *, statuses: Sequence[str], towns: Sequence[int] | None = None
) -> list[Any]:
    """Every village (code, name) of the towns `towns` (None: all) with its number of issues
    in `statuses` (due)."""
    return list(
        conn.execute(
            text(
                "SELECT v.code, v.name, count(i.id) FILTER (WHERE i.status = ANY(:due)) AS due"
                " FROM village v LEFT JOIN issue i ON i.village_id = v.id"
                f" WHERE {SCOPE_SQL.format(alias='v')}"
                " GROUP BY v.code, v.name ORDER BY v.code"
            ),
            {"due": list(statuses), **scope_params(None if towns is None else tuple(towns))},
        ).mappings()
    )


def photo_rows(conn: Connection, issue_ids: Sequence[uuid.UUID]) -> list[Any]:
    """(issue_id, id, kind, event_id) of the issues' photos in upload order."""
    return _by_ids(
        conn,
        "SELECT issue_id, id, kind, event_id FROM photo WHERE issue_id = ANY(:ids)"
        " ORDER BY uploaded_at, id",
        issue_ids,
    )


def verdict_events(conn: Connection, issue_ids: Sequence[uuid.UUID]) -> list[Any]:
    """Submissions and recheck outcomes of the issues, oldest first, with their photo ids."""
    return _by_ids(
        conn,
        'SELECT e.issue_id, e.id, e.kind, e.to_status, e."on", e.recorded_at, e.actor,'
        " e.note,"
        " coalesce(array_agg(p.id ORDER BY p.uploaded_at)"
        "  FILTER (WHERE p.id IS NOT NULL), '{}') AS photo_ids"
        " FROM issue_event e LEFT JOIN photo p ON p.event_id = e.id"
        " WHERE e.issue_id = ANY(:ids)"
        " AND e.kind IN ('submitted', 'closed', 'unrectified', 'inadequate', 'reopened')"
        " GROUP BY e.id ORDER BY e.recorded_at, e.id",
        issue_ids,
    )


def village_worklist(
    conn: Connection, *, village: str, shown: Sequence[str], today: date
) -> list[Any]:
    """A village's issues in `shown` statuses for its own page: submitted last, then by
    deadline; with category labels and colour, lon/lat, overdue and days late."""
    return list(
        conn.execute(
            text(
                "SELECT i.id, i.code, i.category_code AS category, c.label_zh, c.label_en,"
                " c.color, i.description, i.address, i.found_on, i.deadline, i.status,"
                " i.version, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat,"
                " (i.status = ANY(:open) AND i.deadline < :today) AS overdue,"
                " (:today - i.deadline) AS days_late"
                " FROM issue i JOIN village v ON v.id = i.village_id"
                " JOIN category c ON c.code = i.category_code"
                " WHERE v.code = :v AND i.status = ANY(:shown)"
                " ORDER BY i.status = 'submitted', i.deadline NULLS LAST, i.code"
            ),
            {"v": village, "open": list(OPEN_STATUSES), "shown": list(shown), "today": today},
        ).mappings()
    )


def versions(conn: Connection, issue_ids: Sequence[uuid.UUID]) -> dict[Any, int]:
    """issue id → its version (for the optimistic lock of the next transition)."""
    if not issue_ids:
        return {}
    rows = conn.execute(select(Issue.id, Issue.version).where(Issue.id.in_(list(issue_ids)))).all()
    return {r[0]: r[1] for r in rows}


_THIRD_PARTY_POINTS = text(
    """
    SELECT v.code AS village, i.code, i.deadline, i.status,
           (SELECT e.to_status FROM issue_event e
             WHERE e.issue_id = i.id AND e.to_status IS NOT NULL AND e."on" <= :cutoff
             ORDER BY e."on" DESC, e.id DESC LIMIT 1) AS status_at_cutoff
    FROM issue i
    JOIN third_party_batch b ON b.id = i.third_party_batch_id
    JOIN village v ON v.id = i.village_id
    WHERE b.year = :year
    ORDER BY v.code, i.code
    """
)


def third_party_points(conn: Connection, *, year: int, cutoff: date) -> list[Any]:
    """The issues of `year`'s third-party batches: village code, issue code, deadline, status
    now, and status on `cutoff` (from the events dated up to it; None before its first)."""
    return list(conn.execute(_THIRD_PARTY_POINTS, {"year": year, "cutoff": cutoff}))


def third_party_clean_villages(conn: Connection, *, year: int) -> set[str]:
    """Villages `year`'s batches evaluated without finding a problem."""
    return set(
        conn.execute(
            text("SELECT DISTINCT unnest(clean_villages) FROM third_party_batch WHERE year = :y"),
            {"y": year},
        ).scalars()
    )


# -- towns side by side (the district view) --------------------------------------------------

_TOWN_COUNTS = text(
    """
    WITH t AS (
        SELECT t.id, t.code, t.name,
               (SELECT count(*) FROM village v WHERE v.town_id = t.id) AS villages,
               (SELECT CASE WHEN count(v.households) = count(v.id) AND count(v.id) > 0
                            THEN sum(v.households) END
                  FROM village v WHERE v.town_id = t.id) AS households
        FROM town t
        WHERE t.district_code = :district
          AND (CAST(:all AS boolean) OR t.id = ANY(CAST(:towns AS int[])))
    ),
    i AS (
        SELECT i.town_id,
               count(*) AS issues,
               count(*) FILTER (WHERE i.status = 'closed') AS closed,
               count(*) FILTER (WHERE """
    + closed_on_time_sql("i")
    + """) AS closed_on_time,
               count(*) FILTER (WHERE i.status = ANY(:open) AND i.deadline < :as_of) AS overdue,
               count(*) FILTER (WHERE i.rebound_of IS NOT NULL) AS rebounds
        FROM issue i
        WHERE i.town_id IN (SELECT id FROM t)
          AND (CAST(:start AS date) IS NULL OR i.found_on >= :start)
          AND (CAST(:end AS date) IS NULL OR i.found_on < :end)
        GROUP BY i.town_id
    )
    SELECT t.id, t.code, t.name, t.villages, t.households,
           coalesce(i.issues, 0) AS issues, coalesce(i.closed, 0) AS closed,
           coalesce(i.closed_on_time, 0) AS closed_on_time,
           coalesce(i.overdue, 0) AS overdue, coalesce(i.rebounds, 0) AS rebounds
    FROM t LEFT JOIN i ON i.town_id = t.id
    ORDER BY t.code
    """
)


def town_counts(
    conn: Connection,
    *,
    district: str,
    start: date | None,
    end: date | None,
    as_of: date,
    towns: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Per town of `district` (of the towns `towns`; None: every one), by code: villages,
    households (None when a village's is unknown), and the issues found in [start, end):
    how many, closed, closed on time, overdue on `as_of`, rebounds."""
    rows = conn.execute(
        _TOWN_COUNTS,
        {
            "district": district,
            "start": start,
            "end": end,
            "as_of": as_of,
            "open": list(OPEN_STATUSES),
            **scope_params(None if towns is None else tuple(towns)),
        },
    ).mappings()
    return [dict(r) for r in rows]


def latest_found_on(
    conn: Connection, *, towns: Sequence[int] | None, on_or_before: date | None = None
) -> date | None:
    """The day the latest issue of the towns `towns` (None: every town) was found, on or
    before `on_or_before` (None: any day); None when there is none."""
    return conn.execute(
        text(
            "SELECT max(i.found_on) FROM issue i"
            f" WHERE {SCOPE_SQL.format(alias='i')}"
            " AND (CAST(:until AS date) IS NULL OR i.found_on <= :until)"
        ),
        {"until": on_or_before, **scope_params(None if towns is None else tuple(towns))},
    ).scalar()


# -- cells from the summary (migration 0019, geo.tile_summary) -------------------------------

SUMMARY_ZOOM = 17
"""The zoom of the cells of `issue_tile_summary` (a coarser cell is `x >> k`)."""

SUMMARY_MID_ZOOM = 14
"""The zoom of the summary's coarser cells by every dimension (for filtered low zooms)."""

_summary = table(
    "issue_tile_summary",
    column("zoom", Integer),
    column("grain", Integer),
    column("cx", Integer),
    column("cy", Integer),
    column("town_id", Integer),
    column("village_id", Integer),
    column("category_code", Text),
    column("status", Text),
    column("source", Text),
    column("month", Date),
    column("n", BigInteger),
    column("overdue", BigInteger),
)

COARSE_GRAIN = 15
"""`grain` of the summary rows per cell, town and status only (GROUPING of the other four
dimensions: every bit set)."""

_SUMMARY_FILTERS = frozenset(
    {"towns", "villages", "communities", "categories", "statuses", "sources", "month"}
)
"""The IssueFilter fields the summary can answer; any other one set means a live read."""


def _summary_where(q: IssueQuery, cell_zoom: int) -> tuple[int, list[ColumnElement[bool]]] | None:
    """The filter of `q` as conditions on the summary, or None when it cannot answer it
    (bbox, as_of, overdue, ids, found dates, or any filter field added later); with the
    zoom of the summary's cells to read (cells of `cell_zoom` are sums of those)."""
    if q.ids is not None or q.found_from or q.found_to:
        return None
    s = q.selection
    for f in fields(s):
        value = getattr(s, f.name)
        unset = value is None or (isinstance(value, (list, tuple)) and not value)
        if f.name not in _SUMMARY_FILTERS and not unset:
            return None
    t = _summary.c
    coarse = not (s.villages or s.communities or s.categories or s.sources or s.month)
    conds: list[ColumnElement[bool]] = [t.grain == (COARSE_GRAIN if coarse else 0)]
    zoom = SUMMARY_ZOOM if coarse or cell_zoom > SUMMARY_MID_ZOOM else SUMMARY_MID_ZOOM
    conds.append(t.zoom == zoom)
    if s.towns is not None:
        conds.append(t.town_id.in_(tuple(s.towns)) if s.towns else false())
    if s.villages:
        conds.append(t.village_id.in_(select(Village.id).where(Village.code.in_(s.villages))))
    if s.communities:
        conds.append(
            t.village_id.in_(
                select(Village.id)
                .join(Community, Community.id == Village.community_id)
                .where(or_(Community.code.in_(s.communities), Community.name.in_(s.communities)))
            )
        )
    if s.categories:
        conds.append(t.category_code.in_(s.categories))
    if s.statuses:
        conds.append(t.status.in_(s.statuses))
    if s.sources:
        conds.append(t.source.in_(s.sources))
    if s.month is not None:
        conds.append(t.month == s.month)
    return zoom, conds


def summary_cells_query(
    q: IssueQuery, tile: Tile, *, levels: int, layer: str = "issues"
) -> Select[Any] | None:
    """The cells of `mvt_cells_query` summed from `issue_tile_summary`, or None when the
    summary cannot answer `q` or the cells are finer than its zoom. Its `overdue` is as of
    the summary's refresh day."""
    if tile.z + levels > SUMMARY_ZOOM:
        return None
    found = _summary_where(q, tile.z + levels)
    if found is None:
        return None
    zoom, conds = found
    shift = zoom - (tile.z + levels)
    per_tile = 2**levels
    t = _summary.c
    cx = t.cx.op(">>")(shift)
    cy = t.cy.op(">>")(shift)
    cells = (
        select(
            cx.label("cx"),
            cy.label("cy"),
            func.sum(t.n).label("count"),
            func.coalesce(func.sum(t.n).filter(t.status.in_(OPEN_STATUSES)), 0).label("open"),
            func.sum(t.overdue).label("overdue"),
        )
        .where(
            t.cx.between((tile.x * per_tile) << shift, (((tile.x + 1) * per_tile) << shift) - 1),
            t.cy.between((tile.y * per_tile) << shift, (((tile.y + 1) * per_tile) << shift) - 1),
            *conds,
        )
        .group_by(cx, cy)
        .subquery("c")
    )
    rows = select(
        func.cast(cells.c["count"], Integer).label("count"),
        func.cast(cells.c.open, Integer).label("open"),
        func.cast(cells.c.overdue, Integer).label("overdue"),
        func.ST_AsMVTGeom(
            func.ST_TileEnvelope(tile.z + levels, cells.c.cx, cells.c.cy),
            tile.envelope(),
            MVT_EXTENT,
            0,
            True,
        ).label("geom"),
    ).subquery("t")
    return _mvt(rows, layer)
