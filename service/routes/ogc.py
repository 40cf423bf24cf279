"""OGC API Features (Part 1 core + GeoJSON + OpenAPI 3.0, Part 2 CRS) under /ogc.

Native, not tipg (see docs/ogc.md): every layer is read by the reader the rest of the API
uses — issues by `service.filters.issue_filter` + `geo.issue_reader` (so a village user sees
its own issues only, and any scope added there applies here), the other layers by
`geo.frames` and `geo.sites` — and written in the CRS asked for (`crs`, `bbox-crs`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import geopandas as gpd
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection, select

from geo import frames, issue_reader
from geo.errors import CunrongError, NotFound
from geo.models import ISSUE_SOURCES, ISSUE_STATUSES, Category, Village
from geo.ogc import (
    CRS84,
    Envelope,
    OutputCrs,
    extent_4326,
    frame_page,
    parse_bbox,
    parse_crs,
    parse_datetime,
    supported_crs,
)
from geo.towns import list_towns
from geo.users import User, user_for_token
from service.auth import Unauthorized, may_read, optional_user, town_scope
from service.deps import ConnDep
from service.filters import check_known, issue_filter, split_values, village_scope
from service.geojson import GEOJSON, GeoJSONResponse
from service.ogc_models import (
    CONFORMANCE,
    Collection,
    Collections,
    Conformance,
    Extent,
    LandingPage,
    Link,
    Queryable,
    Queryables,
    SpatialExtent,
    TemporalExtent,
    items_responses,
)
from service.schemas import INT_MAX, Day

router = APIRouter(prefix="/ogc", tags=["OGC API Features 标准接口"])

OPENAPI_30 = "application/vnd.oai.openapi+json;version=3.0"
JSON = "application/json"


class UnknownParameter(CunrongError):
    """A query parameter the API does not define (OGC API Features: 400)."""

    code = "bad_request"


def ogc_reader(
    request: Request,
    conn: ConnDep,
    user: Annotated[User | None, Depends(optional_user)],
) -> User | None:
    """The caller, as for every reader (bearer token or session cookie); also HTTP Basic
    with the token as password, for QGIS versions whose authentication has no header method."""
    if user is None:
        header = request.headers.get("authorization", "")
        if header[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise Unauthorized("malformed Basic credentials", field="Authorization") from None
            user = user_for_token(conn, decoded.partition(":")[2])
            if user is None:
                raise Unauthorized(
                    "the token (Basic password) is unknown or revoked", field="Authorization"
                )
            request.state.user = user
            request.state.auth = "basic"
    return may_read(request, user)


OgcReader = Annotated[User | None, Depends(ogc_reader)]
Format = Annotated[
    Literal["json", "geojson"] | None,
    Query(description="json | geojson (the only encodings; HTML is not offered)"),
]
Limit = Annotated[
    int | None,
    Query(
        ge=1,
        le=INT_MAX,
        description="features per page (default CUNRONG_OGC_DEFAULT_LIMIT; more than"
        " CUNRONG_MAX_PAGE_SIZE is cut to it)",
    ),
]
Offset = Annotated[int, Query(ge=0, le=INT_MAX, description="features to skip")]
BBoxParam = Annotated[
    str | None,
    Query(
        description="minx,miny,maxx,maxy in the axis order of bbox-crs (CRS84: lon,lat;"
        " EPSG:4326/4490: lat,lon)"
    ),
]
BBoxCrs = Annotated[
    str | None,
    Query(alias="bbox-crs", description="CRS of bbox (default CRS84)"),
]
CrsParam = Annotated[str | None, Query(description="CRS of the answer (default CRS84)")]
Villages = Annotated[list[str] | None, Query(description="village code(s) 村编码")]


@dataclass(frozen=True)
class Layer:
    """A collection other than issues: read whole by its reader, paged in geo.ogc."""

    id: str
    title: str
    description: str
    id_column: str
    read: Callable[[Connection, User | None, tuple[str, ...]], gpd.GeoDataFrame]
    by_village: bool = True


def _villages(conn: Connection, user: User | None, codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    # every reader may see the villages of their towns
    return frames.villages_frame(conn, villages=codes, towns=town_scope(user))


def _grids(conn: Connection, user: User | None, codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    scoped, towns = village_scope(user, codes), town_scope(user)
    check_known(conn, field="village", given=scoped, column=Village.code, towns=towns)
    return frames.grids_frame(conn, villages=scoped, towns=towns)


def _communities(conn: Connection, user: User | None, codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    del codes
    return frames.communities_frame(conn, towns=town_scope(user))


def _roads(conn: Connection, user: User | None, codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    towns = town_scope(user)
    check_known(conn, field="village", given=codes, column=Village.code, towns=towns)
    return frames.roads_frame(conn, villages=codes, towns=towns)


def _sites(conn: Connection, user: User | None, codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    from geo.sites.notes import chosen_sites

    towns = town_scope(user)
    check_known(conn, field="village", given=codes, column=Village.code, towns=towns)
    return chosen_sites(conn, villages=codes, towns=towns)


ISSUES = "issues"
ISSUES_TITLE = "问题点位 Issues"
ISSUES_DESCRIPTION = (
    "整治问题点位：类别、状态、发现日期、整改期限 — issue points with category, status,"
    " dates; filters as queryables (village, category, status, month, source, overdue)"
)
LAYERS: dict[str, Layer] = {
    layer.id: layer
    for layer in (
        Layer("villages", "村界 Villages", "行政村边界 village boundaries", "code", _villages),
        Layer("grids", "网格 Grids", "网格（一网三联）grids with leaders", "code", _grids),
        Layer(
            "communities",
            "党建共同体 Communities",
            "党建共同体：所辖村的合并边界 communities, union of their villages",
            "code",
            _communities,
            by_village=False,
        ),
        Layer(
            "roads",
            "道路 Roads",
            "主干道、次干道、巷道 main roads, secondary roads, lanes",
            "id",
            _roads,
        ),
        Layer(
            "sites",
            "小微景观（已选定）Chosen sites",
            "规划已选定的小微景观点位 micro-landscape sites chosen by planners",
            "candidate_key",
            _sites,
        ),
    )
}
ORDER = ("villages", "grids", "communities", ISSUES, "roads", "sites")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _url(request: Request, path: str, **params: Any) -> str:
    query = urlencode([(k, v) for k, v in params.items() if v is not None])
    return f"{_base(request)}{path}" + (f"?{query}" if query else "")


def _refuse_unknown(request: Request, allowed: set[str]) -> None:
    for name in request.query_params:
        if name not in allowed:
            raise UnknownParameter(
                f"unknown query parameter {name!r}; expected one of {', '.join(sorted(allowed))}",
                field=name,
            )


def _content_crs(crs: OutputCrs) -> dict[str, str]:
    return {"Content-Crs": f"<{crs.uri}>"}


def _metric(request: Request, conn: Connection, user: User | None) -> tuple[int, ...]:
    """The metric CRS of each town the caller reads (`town.metric_srid`, by town code): a
    user of one town is offered its town's, a district reader every one of its towns'.
    CUNRONG_METRIC_SRID only when no town is known (none in the caller's scope)."""
    srids = tuple(dict.fromkeys(t.metric_srid for t in list_towns(conn, town_scope(user))))
    return srids or (int(request.app.state.settings.metric_srid),)


def _page_size(request: Request, limit: int | None) -> int:
    settings = request.app.state.settings
    if limit is None:
        return min(int(settings.ogc_default_limit), int(settings.max_page_size))
    return min(limit, int(settings.max_page_size))


def _town_extent(conn: Connection, user: User | None) -> Extent | None:
    """The extent of the villages of the caller's towns."""
    bbox = extent_4326(frames.villages_frame(conn, towns=town_scope(user)))
    return Extent(spatial=SpatialExtent(bbox=[bbox], crs=CRS84)) if bbox else None


def _collection(
    request: Request, cid: str, extent: Extent | None, metric: tuple[int, ...]
) -> Collection:
    if cid == ISSUES:
        title, description = ISSUES_TITLE, ISSUES_DESCRIPTION
        extent = Extent(
            spatial=extent.spatial if extent else None,
            temporal=TemporalExtent(interval=[[None, None]]),
        )
    else:
        title, description = LAYERS[cid].title, LAYERS[cid].description
    links = [
        Link(href=_url(request, f"/collections/{cid}"), rel="self", type=JSON, title=title),
        Link(
            href=_url(request, f"/collections/{cid}/items"),
            rel="items",
            type=GEOJSON,
            title="features (GeoJSON)",
        ),
    ]
    if cid == ISSUES:
        links.append(
            Link(
                href=_url(request, f"/collections/{cid}/queryables"),
                rel="http://www.opengis.net/def/rel/ogc/1.0/queryables",
                type="application/schema+json",
                title="queryables",
            )
        )
    return Collection(
        id=cid,
        title=title,
        description=description,
        links=links,
        extent=extent,
        crs=supported_crs(metric),
        storageCrs=CRS84,
    )


@router.get("/", response_model=LandingPage, response_model_exclude_none=True)
def landing_page(request: Request, user: OgcReader, f: Format = None) -> LandingPage:
    """Landing page: links to the API definition, the conformance classes and the data."""
    del user, f
    base = _base(request)
    return LandingPage(
        title=f"{request.app.state.settings.title} — OGC API Features",
        description="村容：村界、网格、党建共同体、问题点位、道路、小微景观点位"
        " (villages, grids, communities, issues, roads, sites)",
        links=[
            Link(href=f"{base}/", rel="self", type=JSON, title="this document"),
            Link(href=f"{base}/api", rel="service-desc", type=OPENAPI_30, title="API (OpenAPI)"),
            Link(href=f"{base}/conformance", rel="conformance", type=JSON, title="conformance"),
            Link(href=f"{base}/collections", rel="data", type=JSON, title="collections"),
        ],
    )


@router.get("/conformance", response_model=Conformance)
def conformance(user: OgcReader, f: Format = None) -> Conformance:
    """The conformance classes implemented."""
    del user, f
    return Conformance(conformsTo=CONFORMANCE)


class OpenAPIResponse(JSONResponse):
    """The API definition (OpenAPI 3.0)."""

    media_type = OPENAPI_30


def _to_openapi_30(node: Any) -> Any:
    """FastAPI's OpenAPI 3.1 schema → 3.0 (nullable, enum for const, no type lists)."""
    if isinstance(node, list):
        return [_to_openapi_30(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_openapi_30(v) for k, v in node.items()}
    for key in ("anyOf", "oneOf"):
        alternatives = out.get(key)
        if isinstance(alternatives, list) and {"type": "null"} in alternatives:
            rest = [a for a in alternatives if a != {"type": "null"}]
            del out[key]
            out["nullable"] = True
            if len(rest) == 1 and "$ref" not in rest[0]:
                out.update(rest[0])
            elif len(rest) == 1:
                out["allOf"] = rest
            else:
                out[key] = rest
    kind = out.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        if len(kinds) < len(kind):
            out["nullable"] = True
        if len(kinds) == 1:
            out["type"] = kinds[0]
        else:
            del out["type"]
            out["anyOf"] = [{"type": k} for k in kinds]
    if "const" in out and not isinstance(out.get("const"), dict):
        out["enum"] = [out.pop("const")]
    if "contentMediaType" in out:
        del out["contentMediaType"]
        out["format"] = "binary"
    if isinstance(out.get("examples"), list):
        examples = out.pop("examples")
        if examples:
            out["example"] = examples[0]
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(bound), int | float) and not isinstance(out.get(bound), bool):
            out[plain] = out[bound]
            out[bound] = True
    return out


@router.get(
    "/api",
    response_class=OpenAPIResponse,
    responses={200: {"content": {OPENAPI_30: {"schema": {"type": "object"}}}}},
)
def api_definition(request: Request, user: OgcReader, f: Format = None) -> OpenAPIResponse:
    """The definition of the /ogc routes as an OpenAPI 3.0 document."""
    del user, f
    full = request.app.openapi()
    paths = {p: v for p, v in full["paths"].items() if p.startswith("/ogc")}
    doc = {
        "openapi": "3.0.3",
        "info": {**full["info"], "title": f"{full['info']['title']} — OGC API Features"},
        "servers": [{"url": str(request.base_url).rstrip("/")}],
        "paths": paths,
        "components": _referenced(full.get("components", {}), paths),
    }
    return OpenAPIResponse(_to_openapi_30(doc))


def _referenced(components: dict[str, Any], paths: dict[str, Any]) -> dict[str, Any]:
    """The components the paths refer to, directly or through other components."""
    found: dict[str, dict[str, Any]] = {}
    todo: list[Any] = [paths, components.get("securitySchemes", {})]
    while todo:
        node = todo.pop()
        if isinstance(node, list):
            todo.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/"):
                kind, name = ref.split("/")[2:4]
                if name not in found.setdefault(kind, {}):
                    found[kind][name] = components.get(kind, {}).get(name, {})
                    todo.append(found[kind][name])
            todo.extend(node.values())
    if "securitySchemes" in components:
        found["securitySchemes"] = components["securitySchemes"]
    return found


@router.get("/collections", response_model=Collections, response_model_exclude_none=True)
def collections(request: Request, conn: ConnDep, user: OgcReader, f: Format = None) -> Collections:
    """Every collection: villages, grids, communities, issues, roads, sites."""
    del f
    extent, metric = _town_extent(conn, user), _metric(request, conn, user)
    return Collections(
        links=[Link(href=_url(request, "/collections"), rel="self", type=JSON)],
        collections=[_collection(request, cid, extent, metric) for cid in ORDER],
    )


def _known(collection_id: str) -> str:
    if collection_id != ISSUES and collection_id not in LAYERS:
        raise NotFound(
            f"no collection {collection_id!r}; expected one of {', '.join(ORDER)}",
            field="collectionId",
        )
    return collection_id


@router.get(
    "/collections/{collectionId}",
    response_model=Collection,
    response_model_exclude_none=True,
)
def collection(
    request: Request,
    conn: ConnDep,
    user: OgcReader,
    collectionId: str,
    f: Format = None,
) -> Collection:
    """One collection's description, links and extent."""
    del f
    return _collection(
        request, _known(collectionId), _town_extent(conn, user), _metric(request, conn, user)
    )


@router.get(
    "/collections/issues/queryables",
    response_model=Queryables,
    response_model_exclude_none=True,
)
def issue_queryables(
    request: Request, conn: ConnDep, user: OgcReader, f: Format = None
) -> Queryables:
    """The properties issues can be selected by (each one a query parameter of items)."""
    del user, f
    categories = list(conn.execute(select(Category.code).order_by(Category.code)).scalars())
    props = {
        "village": Queryable(title="村 village", type="string", description="village code(s)"),
        "community": Queryable(
            title="党建共同体 community", type="string", description="community code or name"
        ),
        "category": Queryable(title="问题类别 category", type="string", enum=categories),
        "status": Queryable(title="状态 status", type="string", enum=list(ISSUE_STATUSES)),
        "source": Queryable(title="来源 source", type="string", enum=list(ISSUE_SOURCES)),
        "month": Queryable(
            title="发现月份 month found",
            type="string",
            pattern=r"^\d{4}-\d{2}$",
            description="YYYY-MM",
        ),
        "overdue": Queryable(
            title="逾期 overdue", type="boolean", description="open and past the deadline"
        ),
        "found_on": Queryable(
            title="发现日期 found on",
            type="string",
            format="date",
            description="the temporal property: select with datetime=",
        ),
        "geometry": Queryable.model_validate(
            {"title": "位置 location", "$ref": "https://geojson.org/schema/Point.json"}
        ),
    }
    return Queryables.model_validate(
        {
            "$id": _url(request, "/collections/issues/queryables"),
            "title": ISSUES_TITLE,
            "properties": props,
        }
    )


def _links(
    request: Request, cid: str, *, offset: int, limit: int, returned: int, matched: int
) -> list[dict[str, Any]]:
    params = {k: v for k, v in request.query_params.multi_items() if k not in ("offset", "limit")}
    base = f"{_base(request)}/collections/{cid}/items"

    def at(start: int) -> str:
        query = urlencode([*params.items(), ("limit", limit), ("offset", start)])
        return f"{base}?{query}"

    links = [
        {"href": at(offset), "rel": "self", "type": GEOJSON, "title": "this page"},
        {"href": _url(request, f"/collections/{cid}"), "rel": "collection", "type": JSON},
    ]
    if offset + returned < matched:
        links.append({"href": at(offset + limit), "rel": "next", "type": GEOJSON})
    if offset > 0:
        links.append({"href": at(max(0, offset - limit)), "rel": "prev", "type": GEOJSON})
    return links


def _items_answer(
    request: Request,
    cid: str,
    features: list[dict[str, Any]],
    *,
    matched: int,
    offset: int,
    limit: int,
    crs: OutputCrs,
) -> GeoJSONResponse:
    body = {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": len(features),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": _links(
            request, cid, offset=offset, limit=limit, returned=len(features), matched=matched
        ),
    }
    return GeoJSONResponse(json.dumps(body, ensure_ascii=False), headers=_content_crs(crs))


COMMON_PARAMS = {"limit", "offset", "bbox", "bbox-crs", "crs", "datetime", "f"}
ISSUE_PARAMS = {"village", "community", "category", "status", "source", "month", "overdue", "as_of"}


def _geometry_params(
    metric: tuple[int, ...], bbox: str | None, bbox_crs: str | None, crs: str | None
) -> tuple[OutputCrs, Envelope | None]:
    out = parse_crs(crs, metric_srids=metric, field="crs")
    if bbox_crs is not None and bbox is None:
        parse_crs(bbox_crs, metric_srids=metric, field="bbox-crs")
    envelope = None
    if bbox is not None:
        envelope = parse_bbox(bbox, parse_crs(bbox_crs, metric_srids=metric, field="bbox-crs"))
    return out, envelope


def _issue_properties() -> tuple[str, ...]:
    return issue_reader.LIST_PROPERTIES


def _issue_features(text: str) -> list[dict[str, Any]]:
    features: list[dict[str, Any]] = json.loads(text)["features"]
    for feature in features:
        feature["id"] = feature["properties"]["id"]
        feature["geometry"].pop("crs", None)
    return features


@router.get(
    "/collections/issues/items",
    response_class=GeoJSONResponse,
    responses=items_responses("问题点位 issues, one page"),
)
def issue_items(
    request: Request,
    conn: ConnDep,
    user: OgcReader,
    limit: Limit = None,
    offset: Offset = 0,
    bbox: BBoxParam = None,
    bbox_crs: BBoxCrs = None,
    crs: CrsParam = None,
    datetime_: Annotated[
        str | None,
        Query(alias="datetime", description="date found (found_on): instant or interval a/b"),
    ] = None,
    f: Format = None,
    village: Villages = None,
    community: Annotated[list[str] | None, Query(description="community code or name")] = None,
    category: Annotated[list[str] | None, Query(description="category code(s) 问题类别")] = None,
    status: Annotated[list[str] | None, Query(description="open|submitted|closed|…")] = None,
    source: Annotated[list[str] | None, Query(description="inspection|recheck|…")] = None,
    month: Annotated[str | None, Query(description="found in month YYYY-MM")] = None,
    overdue: Annotated[bool | None, Query(description="open and past the deadline")] = None,
    as_of: Annotated[Day | None, Query(description="date for 'overdue' (default today)")] = None,
) -> GeoJSONResponse:
    """Issues as GeoJSON, a page at a time (newest first, as `GET /issues`), selected by the
    queryables, `bbox` and `datetime`; a village user sees its own village's only."""
    del f
    _refuse_unknown(request, COMMON_PARAMS | ISSUE_PARAMS)
    selection = issue_filter(
        conn,
        user,
        village=village,
        community=community,
        category=category,
        status=status,
        source=source,
        month=month,
        overdue=overdue,
        as_of=as_of,
    )
    out, envelope = _geometry_params(_metric(request, conn, user), bbox, bbox_crs, crs)
    found_from, found_to = parse_datetime(datetime_) if datetime_ else (None, None)
    size = _page_size(request, limit)
    text, matched = issue_reader.geojson(
        conn,
        issue_reader.IssueQuery(
            selection=selection,
            found_from=found_from,
            found_to=found_to,
            envelope=envelope,
            sort=("-found_on", "code"),
            limit=size,
            offset=offset,
        ),
        properties=_issue_properties(),
        max_page_size=None,
        srid=out.srid,
        swap_axes=out.swap_axes,
        decimals=out.decimals,
    )
    return _items_answer(
        request,
        ISSUES,
        _issue_features(text),
        matched=matched,
        offset=offset,
        limit=size,
        crs=out,
    )


@router.get(
    "/collections/issues/items/{featureId}",
    response_class=GeoJSONResponse,
    responses=items_responses("one issue", single=True),
)
def issue_item(
    request: Request,
    conn: ConnDep,
    user: OgcReader,
    featureId: str,
    crs: CrsParam = None,
    f: Format = None,
) -> GeoJSONResponse:
    """One issue (404 when there is none, or when it lies outside the caller's scope)."""
    del f
    _refuse_unknown(request, {"crs", "f"})
    out = parse_crs(crs, metric_srids=_metric(request, conn, user), field="crs")
    try:
        wanted = uuid.UUID(featureId)
    except ValueError:
        wanted = None
    features: list[dict[str, Any]] = []
    if wanted is not None:
        text, _ = issue_reader.geojson(
            conn,
            issue_reader.IssueQuery(selection=issue_filter(conn, user), ids=[wanted]),
            properties=_issue_properties(),
            max_page_size=None,
            srid=out.srid,
            swap_axes=out.swap_axes,
            decimals=out.decimals,
        )
        features = _issue_features(text)
    if not features:
        raise NotFound(f"no issue {featureId!r} in collection issues", field="featureId")
    return _item_answer(request, ISSUES, features[0], out)


def _item_answer(
    request: Request, cid: str, feature: dict[str, Any], crs: OutputCrs
) -> GeoJSONResponse:
    feature["links"] = [
        {
            "href": _url(request, f"/collections/{cid}/items/{feature['id']}"),
            "rel": "self",
            "type": GEOJSON,
        },
        {"href": _url(request, f"/collections/{cid}"), "rel": "collection", "type": JSON},
    ]
    return GeoJSONResponse(json.dumps(feature, ensure_ascii=False), headers=_content_crs(crs))


@router.get(
    "/collections/{collectionId}/items",
    response_class=GeoJSONResponse,
    responses=items_responses("features of the collection, one page"),
)
def layer_items(
    request: Request,
    conn: ConnDep,
    user: OgcReader,
    collectionId: str,
    limit: Limit = None,
    offset: Offset = 0,
    bbox: BBoxParam = None,
    bbox_crs: BBoxCrs = None,
    crs: CrsParam = None,
    datetime_: Annotated[
        str | None, Query(alias="datetime", description="ignored: these layers have no time")
    ] = None,
    f: Format = None,
    village: Villages = None,
) -> GeoJSONResponse:
    """Villages, grids, communities, roads or chosen sites, a page at a time."""
    del f, datetime_
    layer = LAYERS.get(_known(collectionId))
    if layer is None:  # the issues are served by issue_items (a more specific route)
        raise NotFound("no such collection", field="collectionId")
    _refuse_unknown(request, COMMON_PARAMS | ({"village"} if layer.by_village else set()))
    out, envelope = _geometry_params(_metric(request, conn, user), bbox, bbox_crs, crs)
    size = _page_size(request, limit)
    page = frame_page(
        layer.read(conn, user, split_values(village)),
        id_column=layer.id_column,
        crs=out,
        envelope=envelope,
        limit=size,
        offset=offset,
    )
    return _items_answer(
        request,
        layer.id,
        page.features,
        matched=page.matched,
        offset=offset,
        limit=size,
        crs=out,
    )


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    response_class=GeoJSONResponse,
    responses=items_responses("one feature", single=True),
)
def layer_item(
    request: Request,
    conn: ConnDep,
    user: OgcReader,
    collectionId: str,
    featureId: str,
    crs: CrsParam = None,
    f: Format = None,
) -> GeoJSONResponse:
    """One feature of a collection (404 in the error shape when there is none)."""
    del f
    layer = LAYERS.get(_known(collectionId))
    if layer is None:
        raise NotFound("no such collection", field="collectionId")
    _refuse_unknown(request, {"crs", "f"})
    out = parse_crs(crs, metric_srids=_metric(request, conn, user), field="crs")
    page = frame_page(
        layer.read(conn, user, ()), id_column=layer.id_column, crs=out, ids=(featureId,)
    )
    if not page.features:
        raise NotFound(f"no feature {featureId!r} in collection {layer.id}", field="featureId")
    return _item_answer(request, layer.id, page.features[0], out)
