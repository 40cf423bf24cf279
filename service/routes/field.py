"""Pages for the people in the loop: field capture, the village's page, the recheck walk.

Each page is server-rendered (Jinja2) and drives the JSON API with a small plain script
from service/static; nothing is built. The two JSON helpers here serve those scripts:
`GET /locate` (which village and grid a point falls in) and `POST /issues/check` (the
rebound and near-duplicate warnings of a report, before it is saved).
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, text

from geo import issue_reader
from geo.assign import locate
from geo.categories import CATEGORIES
from geo.errors import NotFound
from geo.issue_filter import parse_month
from geo.loop import Nearby, check_new_issue, check_point
from geo.maps.basemaps import choose_basemap
from geo.models import OPEN_STATUSES
from geo.recheck import recheck_list
from geo.towns import SCOPE_SQL, in_session_town, scope_params
from geo.users import User
from service.auth import Inspector, Reader, town_scope
from service.deps import ConnDep
from service.filters import village_scope
from service.routes.pages import _context, templates
from service.web import FIELD_ROLES, PageLang, finish, page_user

router = APIRouter(tags=["field pages 现场"])
pages = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parents[1] / "static"

CATEGORY_GLYPH = {
    "household_garbage": "垃",
    "clutter": "堆",
    "weeds": "草",
    "hanging_items": "挂",
    "standing_water": "水",
    "loose_livestock": "禽",
    "illegal_structure": "建",
    "zombie_facility": "僵",
    "agri_waste": "膜",
    "public_space_clutter": "物",
    "tangled_wires": "线",
    "street_sewage": "污",
    "idle_homestead": "宅",
    "waterbody_waste": "河",
    "road_obstruction": "路",
    "other": "他",
}
"""One character per category, drawn as a coloured badge: no icon font or emoji needed."""


class PlaceOut(BaseModel):
    """Where a point falls."""

    village: str
    village_name: str
    grid: str | None
    outside_m: float | None
    boundary: dict[str, Any] | None = None
    """The village's boundary (GeoJSON geometry), to draw under the pin."""


class NearbyOut(BaseModel):
    """An existing issue near a report, with a photo to compare."""

    id: uuid.UUID
    code: str
    status: str
    distance_m: float
    description: str
    thumbnail_url: str | None


class CheckIn(BaseModel):
    """A report as it stands before saving."""

    model_config = ConfigDict(extra="forbid")

    category: str = Field(..., min_length=1, max_length=40)
    lon: float
    lat: float
    coords: str = "wgs84"
    found_on: date | None = None


class CheckOut(BaseModel):
    """What saving the report would find."""

    place: PlaceOut
    rebound_of: NearbyOut | None
    possible_duplicates: list[NearbyOut]


def _outline(conn: Connection, code: str) -> dict[str, Any] | None:
    """A village's boundary as a GeoJSON geometry (6 decimals, about 0.1 m)."""
    found = conn.execute(
        text(
            "SELECT ST_AsGeoJSON(geom, 6)::json FROM village v"
            f" WHERE code = :c AND {in_session_town('v')}"
        ),
        {"c": code},
    ).scalar()
    return dict(found) if found else None


def _page(request: Request, template: str, context: dict[str, Any]) -> HTMLResponse:
    """A page with the shared context's cookies and headers (service.web.finish)."""
    return finish(request, templates.TemplateResponse(request, template, context))


def _grid_name(conn: Connection, grid_id: int | None) -> str | None:
    if grid_id is None:
        return None
    return conn.execute(text("SELECT name FROM grid WHERE id = :g"), {"g": grid_id}).scalar()


@router.get("/locate", response_model=PlaceOut)
def locate_point(
    request: Request,
    conn: ConnDep,
    user: Reader,
    lon: Annotated[float, Query(description="WGS-84 longitude")],
    lat: Annotated[float, Query(description="WGS-84 latitude")],
) -> PlaceOut:
    """The village and grid a point falls in (422 when it lies outside the town)."""
    check_point(lon, lat, field="lon")
    where = locate(conn, lon=lon, lat=lat, **request.app.state.settings.placement())
    return PlaceOut(
        village=where.village_code,
        village_name=where.village_name,
        grid=_grid_name(conn, where.grid_id),
        outside_m=where.outside_m,
        boundary=_outline(conn, where.village_code),
    )


def _with_photos(conn: Connection, nearby: list[Nearby]) -> list[NearbyOut]:
    if not nearby:
        return []
    rows = {r.id: r for r in issue_reader.descriptions_with_photo(conn, [n.id for n in nearby])}
    return [
        NearbyOut(
            id=n.id,
            code=n.code,
            status=n.status,
            distance_m=n.distance_m,
            description=rows[n.id].description or "",
            thumbnail_url=f"/photos/{rows[n.id].photo}/thumbnail" if rows[n.id].photo else None,
        )
        for n in nearby
    ]


@router.post("/issues/check", response_model=CheckOut)
def check_report(request: Request, body: CheckIn, conn: ConnDep, user: Inspector) -> CheckOut:
    """Dry run of `POST /issues`: place, rebound and near duplicates; nothing is written."""
    found = check_new_issue(
        conn,
        category=body.category,
        lon=body.lon,
        lat=body.lat,
        found_on=body.found_on or date.today(),
        coords=body.coords,
        detection=request.app.state.settings.detection(),
    )
    where = found.location
    return CheckOut(
        place=PlaceOut(
            village=where.village_code,
            village_name=where.village_name,
            grid=_grid_name(conn, where.grid_id),
            outside_m=where.outside_m,
        ),
        rebound_of=(_with_photos(conn, [found.rebound_of])[0] if found.rebound_of else None),
        possible_duplicates=_with_photos(conn, found.possible_duplicates),
    )


def _tiles(lang: str) -> list[dict[str, object]]:
    """The tile sources of the default basemap (the only thing a page loads from outside)."""
    active = [
        b for b in choose_basemap("osm").layers("en" if lang == "en" else "zh") if b["active"]
    ]
    tiles = active[0]["tiles"] if active else []
    return list(tiles) if isinstance(tiles, list) else []


def _town_center(conn: Connection) -> list[float]:
    row = conn.execute(
        text(
            "SELECT ST_X(c) AS lon, ST_Y(c) AS lat FROM"
            " (SELECT ST_Centroid(ST_Extent(geom)) AS c FROM village v"
            f" WHERE {in_session_town('v')}) t"
        )
    ).first()
    if row is None or row.lon is None:
        return [117.2, 39.29]
    return [row.lon, row.lat]


FieldInspector = Annotated[User, Depends(page_user(*FIELD_ROLES))]
"""Capture and recheck: inspectors (and the office)."""
SignedIn = Annotated[User, Depends(page_user())]
"""The village's page: a village user sees their own; others choose a village."""


@pages.get("/pages/report", response_class=HTMLResponse)
def report_page(
    request: Request, conn: ConnDep, user: FieldInspector, lang: PageLang
) -> HTMLResponse:
    """现场上报: photo, position, category and description, saved even without a connection."""
    categories = [
        {
            "code": c.code,
            "label": c.label_zh if lang == "zh" else c.label_en,
            "label_en": c.label_en,
            "glyph": CATEGORY_GLYPH.get(c.code, "•"),
            "color": c.color,
        }
        for c in CATEGORIES
    ]
    return _page(
        request,
        "report.html",
        _context(
            request,
            lang,
            user=user,
            categories=categories,
            tiles=_tiles(lang),
            center=_town_center(conn),
        ),
    )


def _village_or_choice(conn: Connection, user: Any, village: str | None) -> str | None:
    """The village a page is about: a village user's own; else the one asked for (or None)."""
    if user is not None and user.role == "village":
        village_scope(user, (village,) if village else ())
        return str(user.village_code)
    return village or None


def _villages(conn: Connection, user: Any) -> list[Any]:
    return issue_reader.due_per_village(
        conn, statuses=[*OPEN_STATUSES, "submitted"], towns=town_scope(user)
    )


def _village_row(conn: Connection, code: str, user: Any) -> Any:
    row = (
        conn.execute(
            text(
                "SELECT code, name FROM village v"
                f" WHERE code = :c AND {SCOPE_SQL.format(alias='v')}"
            ),
            {"c": code, **scope_params(town_scope(user))},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no village with code {code!r}", field="village")
    return row


def _photos_of(conn: Connection, ids: list[Any]) -> dict[Any, list[Any]]:
    photos: dict[Any, list[Any]] = {}
    for row in issue_reader.photo_rows(conn, ids):
        photos.setdefault(row["issue_id"], []).append(row)
    return photos


def _verdicts_of(conn: Connection, ids: list[Any]) -> dict[Any, list[Any]]:
    """Submissions and recheck outcomes of each issue, oldest first, with their photos."""
    events: dict[Any, list[Any]] = {}
    for row in issue_reader.verdict_events(conn, ids):
        events.setdefault(row["issue_id"], []).append(row)
    return events


@pages.get("/pages/my-village", response_class=HTMLResponse)
def village_page(
    request: Request,
    conn: ConnDep,
    user: SignedIn,
    lang: PageLang,
    village: Annotated[
        str | None, Query(description="village code (not for village users)")
    ] = None,
) -> HTMLResponse:
    """本村整改: the village's open issues by deadline, with 提交整改 on each."""
    code = _village_or_choice(conn, user, village)
    if code is None:
        return _page(
            request,
            "choose_village.html",
            _context(request, lang, villages=_villages(conn, user), target="/pages/my-village"),
        )
    row = _village_row(conn, code, user)
    today = date.today()
    issues = issue_reader.village_worklist(
        conn, village=code, shown=[*OPEN_STATUSES, "submitted"], today=today
    )
    ids = [i["id"] for i in issues]
    return _page(
        request,
        "my_village.html",
        _context(
            request,
            lang,
            user=user,
            village=row,
            issues=issues,
            photos=_photos_of(conn, ids),
            verdicts=_verdicts_of(conn, ids),
            tiles=_tiles(lang),
            outline=_outline(conn, code),
            points=[
                {
                    "id": str(i["id"]),
                    "code": i["code"],
                    "lon": i["lon"],
                    "lat": i["lat"],
                    "overdue": bool(i["overdue"]),
                    "color": i["color"],
                }
                for i in issues
            ],
            open_statuses=OPEN_STATUSES,
        ),
    )


def _month_or_default(month: str | None) -> str:
    if not month:
        return f"{date.today():%Y-%m}"
    parse_month(month)  # InvalidInput names the field and the expected form
    return month


@pages.get("/pages/recheck", response_class=HTMLResponse)
def recheck_page(
    request: Request,
    conn: ConnDep,
    user: FieldInspector,
    lang: PageLang,
    village: Annotated[str | None, Query(description="village code")] = None,
    month: Annotated[str | None, Query(description="the round's month YYYY-MM")] = None,
) -> HTMLResponse:
    """复核: the month's due issues of a village in walking order, before/after side by side."""
    round_month = _month_or_default(month)
    if not village:
        return _page(
            request,
            "choose_village.html",
            _context(request, lang, villages=_villages(conn, user), target="/pages/recheck"),
        )
    row = _village_row(conn, village, user)
    due = recheck_list(
        conn,
        month=parse_month(round_month),
        villages=(village,),
    )
    stops = due[0].stops if due else []
    ids = [s.id for s in stops]
    versions: dict[Any, int] = issue_reader.versions(conn, ids)
    return _page(
        request,
        "recheck.html",
        _context(
            request,
            lang,
            user=user,
            village=row,
            month=round_month,
            stops=stops,
            versions=versions,
            photos=_photos_of(conn, ids),
            verdicts=_verdicts_of(conn, ids),
            walk_m=due[0].walk_m if due else 0.0,
            tiles=_tiles(lang),
            outline=_outline(conn, village),
            points=[
                {"id": str(s.id), "code": s.code, "order": s.order, "lon": s.lon, "lat": s.lat}
                for s in stops
            ],
        ),
    )


KEEP_BYTES_LINE = "var KEEP_BYTES = 50000000;"
"""The line of sw.js that `worker_script` rewrites with the `offline_keep_bytes` setting."""


def worker_script(keep_bytes: int) -> str:
    """sw.js with the cap of its kept pages (`offline_keep_bytes`) written in."""
    script = (STATIC / "sw.js").read_text(encoding="utf-8")
    if KEEP_BYTES_LINE not in script:  # a guard for whoever edits sw.js
        raise RuntimeError(f"static/sw.js lost its line {KEEP_BYTES_LINE!r}")
    return script.replace(KEEP_BYTES_LINE, f"var KEEP_BYTES = {int(keep_bytes)};")


def _worker(request: Request, folder: str) -> Response:
    return Response(
        worker_script(request.app.state.settings.offline_keep_bytes),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": folder},
    )


@pages.get("/sw.js")
def service_worker(request: Request) -> Response:
    """The service worker, served from the root so that one worker (scope /) keeps the field
    pages and the office's, leaders' and planners' read-only pages (the dashboard is /)."""
    return _worker(request, "/")


@pages.get("/pages/sw.js")
def pages_service_worker(request: Request) -> Response:
    """The same script for phones that registered it for /pages/ before the worker moved to
    the root (offline.js unregisters that registration)."""
    return _worker(request, "/pages/")


@pages.get("/maps/sw.js")
def map_service_worker(request: Request) -> Response:
    """The same script for phones that registered it for /maps/ before (see above)."""
    return _worker(request, "/maps/")


@pages.get("/manifest.webmanifest")
def manifest() -> FileResponse:
    """The web app manifest (add to home screen)."""
    return FileResponse(STATIC / "manifest.webmanifest", media_type="application/manifest+json")


@pages.get("/favicon.ico", include_in_schema=False)
def favicon() -> FileResponse:
    """The app's icon where browsers look for it by themselves: the map pages (folium's own
    HTML) and /docs name no icon, and a 404 there is a red line in every reader's console."""
    return FileResponse(
        STATIC / "icon-192.png",
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )
