"""The maps as HTML pages, with the same filters as the issue list and the CLI."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from geo import frames
from geo.issue_filter import parse_month
from geo.maps.basemaps import BASEMAP_HELP, BasemapName
from geo.vocab import TITLE_LEN
from scoring.inputs import EARLIEST_YEAR, LATEST_YEAR
from service.auth import MAP_KEY, Reader, map_key
from service.deps import ConnDep
from service.filters import FILTER_PARAMS, IssueFilterDep, split_values
from service.mapviews import (
    MapOptions,
    TileSwitch,
    hotspots_view,
    issues_view,
    map_options,
    ranking_view,
    status_view,
)
from service.schemas import Day
from service.towns import TownDep
from service.web import map_page

router = APIRouter(prefix="/maps", tags=["maps 地图"])

LangQ = Annotated[str, Query(pattern="^(zh|en)$", description="labels: zh | en")]
BasemapQ = Annotated[BasemapName, Query(description=BASEMAP_HELP)]
TitleQ = Annotated[str | None, Query(max_length=TITLE_LEN)]


def _options(
    request: Request, lang: str, basemap: BasemapName, as_of: date | None, title: str | None
) -> MapOptions:
    settings = request.app.state.settings
    return map_options(settings, lang=lang, basemap=basemap.value, today=as_of, title=title)


@router.get("/issues", response_class=HTMLResponse)
def issues_page(
    request: Request,
    conn: ConnDep,
    selection: IssueFilterDep,
    user: Reader,
    lang: LangQ = "zh",
    basemap: BasemapQ = BasemapName.osm,
    title: TitleQ = None,
) -> HTMLResponse:
    """问题分布图: clustered issues by category and status, boundaries, popups with photos.

    A selection of more than `map_tiles_over` issues is drawn from `/tiles/issues/…` instead
    (counts per cell when zoomed out, points when zoomed in; popups fetch `/issues/{id}`)."""
    settings = request.app.state.settings
    root = request.scope.get("root_path", "")
    params = [(k, v) for k, v in request.query_params.multi_items() if k in FILTER_PARAMS]
    key = map_key(request, user)  # a bearer-only client sends no cookie with the tiles
    keyed = f"?{urlencode({MAP_KEY: key})}" if key else ""
    query = urlencode(params + ([(MAP_KEY, key)] if key else []))
    tiles = TileSwitch(
        over=settings.map_tiles_over,
        tiles_url=f"{root}/tiles/issues/{{z}}/{{x}}/{{y}}.mvt" + (f"?{query}" if query else ""),
        detail_url=f"{root}/issues/{{id}}" + keyed,
        points_zoom=settings.tile_points_zoom,
    )
    return map_page(
        request,
        issues_view(
            conn,
            selection,
            _options(request, lang, basemap, selection.as_of, title),
            photo_url=f"{root}{frames.PHOTO_URL}{keyed}",
            tiles=tiles,
        ),
    )


@router.get("/status", response_class=HTMLResponse)
def status_page(
    request: Request,
    conn: ConnDep,
    selection: IssueFilterDep,
    lang: LangQ = "zh",
    basemap: BasemapQ = BasemapName.osm,
    title: TitleQ = None,
) -> HTMLResponse:
    """整改情况图: rectification rate and overdue per village, open issues beneath."""
    return map_page(
        request,
        status_view(conn, selection, _options(request, lang, basemap, selection.as_of, title)),
    )


@router.get("/hotspots", response_class=HTMLResponse)
def hotspots_page(
    request: Request,
    conn: ConnDep,
    selection: IssueFilterDep,
    found_from: Annotated[Day | None, Query(alias="from")] = None,
    found_to: Annotated[Day | None, Query(alias="to")] = None,
    grid: Annotated[str, Query(pattern="^(hex|square)$")] = "hex",
    resolution: Annotated[int, Query(ge=7, le=11)] = 9,
    cell_m: Annotated[float, Query(ge=50, le=2000)] = 300.0,
    lang: LangQ = "zh",
    basemap: BasemapQ = BasemapName.osm,
    title: TitleQ = None,
) -> HTMLResponse:
    """问题热点图: heat map plus Getis-Ord Gi* hot and cold spots."""
    m = hotspots_view(
        conn,
        selection,
        _options(request, lang, basemap, None, title),
        found_from=found_from,
        found_to=found_to,
        grid=grid,
        resolution=resolution,
        cell_m=cell_m,
    )
    return map_page(request, m)


@router.get("/ranking", response_class=HTMLResponse)
def ranking_page(
    request: Request,
    conn: ConnDep,
    town: TownDep,
    month: Annotated[str | None, Query(description="YYYY-MM (default: latest scored)")] = None,
    year: Annotated[
        int | None,
        Query(ge=EARLIEST_YEAR, le=LATEST_YEAR, description="year-end instead"),
    ] = None,
    community: Annotated[list[str] | None, Query()] = None,
    lang: LangQ = "zh",
    basemap: BasemapQ = BasemapName.osm,
    title: TitleQ = None,
) -> HTMLResponse:
    """村容排名图 of a town: villages coloured by score, top 5 and bottom 10 marked, month
    selector."""
    m = ranking_view(
        conn,
        _options(request, lang, basemap, None, title),
        rules_for=town.rules_for,
        town_id=town.id,
        month=parse_month(month) if month else None,
        year=year,
        communities=split_values(community),
    )
    return map_page(request, m)
