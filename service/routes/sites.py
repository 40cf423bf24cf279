"""Micro-landscape sites (一村一策一提升) for planners: candidates, map, decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field
from sqlalchemy import Connection

from geo.maps.basemaps import BASEMAP_HELP, BasemapName
from geo.vocab import SITE_NOTE_LEN
from service.auth import Reader, require, town_scope
from service.deps import ConnDep
from service.filters import check_known, split_values
from service.geojson import GeoJSONResponse, geojson_responses
from service.mapviews import map_options, sites_view
from service.responses import SiteDecisionOut
from service.schemas import RequestModel
from service.web import SITES_ROLES, map_page

router = APIRouter(prefix="/sites", tags=["sites 选址"])

SiteReader = Annotated[Any, Depends(require(*SITES_ROLES, write=False))]
Planner = Annotated[Any, Depends(require("planner", "admin"))]
Villages = Annotated[list[str] | None, Query(description="village code(s)")]


class DecisionIn(RequestModel):
    """A planner's decision on a candidate site."""

    decision: str = Field(..., pattern="^(chosen|rejected)$", description="chosen | rejected")
    note: str | None = Field(None, max_length=SITE_NOTE_LEN)


def _villages(conn: Connection, village: list[str] | None, user: Any) -> tuple[str, ...]:
    """The village codes asked for, within the caller's towns; none asked: every village
    of the caller's towns (all of them for the CLI-like anonymous development reader)."""
    from sqlalchemy import select

    from geo.errors import NotFound
    from geo.models import Village

    scope = town_scope(user)
    codes = split_values(village)
    check_known(conn, field="village", given=codes, column=Village.code, towns=scope)
    if codes or scope is None:
        return codes
    codes = tuple(
        conn.execute(
            select(Village.code).where(Village.town_id.in_(scope)).order_by(Village.code)
        ).scalars()
    )
    if not codes:
        raise NotFound("no village in your town yet", field="village")
    return codes


@router.get(
    "",
    response_class=GeoJSONResponse,
    responses=geojson_responses("ranked candidate sites"),
)
def list_sites(
    request: Request,
    conn: ConnDep,
    user: SiteReader,
    village: Villages = None,
    include_rejected: bool = False,
    format: Annotated[str, Query(pattern="^(geojson|xlsx)$")] = "geojson",
) -> Response:
    """Ranked candidates per village with score, reasons, area/length and decision."""
    from geo.sites import find_candidates
    from geo.sites.export import candidates_geojson, candidates_workbook

    codes = _villages(conn, village, user)
    found = find_candidates(
        conn,
        villages=codes,
        include_rejected=include_rejected,
    )
    if format == "xlsx":
        title = "小微景观点位候选（" + ("、".join(codes) or "全镇") + "）"
        return Response(
            candidates_workbook(found, title=title),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": "attachment; filename=sites.xlsx"},
        )
    return GeoJSONResponse(candidates_geojson(found))


@router.get("/map", response_class=HTMLResponse)
def sites_page(
    request: Request,
    conn: ConnDep,
    user: SiteReader,
    village: Villages = None,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    basemap: Annotated[BasemapName, Query(description=BASEMAP_HELP)] = BasemapName.osm,
) -> HTMLResponse:
    """小微景观选址图: candidates by kind, ranked labels, reasons in popups; a planner (or the
    office) signed in on the pages chooses or rejects a candidate in its popup."""
    options = map_options(request.app.state.settings, lang=lang, basemap=basemap.value)
    decides = (
        user is not None
        and user.role in ("planner", "admin")
        and user.town_id is not None
        and getattr(request.state, "auth", None) == "session"
    )
    root = request.scope.get("root_path", "")
    m = sites_view(
        conn,
        options,
        villages=_villages(conn, village, user),
        decide_url=f"{root}/sites/{{key}}/decision" if decides else None,
    )
    return map_page(request, m, csrf=decides)


@router.put("/{candidate_key}/decision", response_model=SiteDecisionOut)
def decide_site(
    candidate_key: str, body: DecisionIn, conn: ConnDep, user: Planner
) -> dict[str, Any]:
    """Mark a candidate chosen (已选定) or rejected (不采用) with a note; survives re-runs."""
    from geo.sites import mark_site

    done = mark_site(
        conn,
        candidate_key=candidate_key,
        decision=body.decision,
        note=body.note,
        decided_by=user.name,
    )
    return {"candidate_key": candidate_key, "decision": done.decision, "note": done.note}


@router.get(
    "/chosen",
    response_class=GeoJSONResponse,
    responses=geojson_responses("sites chosen by planners"),
)
def chosen(conn: ConnDep, user: Reader, village: Villages = None) -> GeoJSONResponse:
    """Sites planners have chosen, for the ranking and issue maps."""
    from geo.sites import chosen_sites
    from geo.sites.export import candidates_geojson

    return GeoJSONResponse(
        candidates_geojson(chosen_sites(conn, villages=_villages(conn, village, user)))
    )
