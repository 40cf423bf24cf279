"""区级视图 (issue 13.2): a district's towns side by side, as JSON, a map and a page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import folium
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import Connection

from geo import frames
from geo.errors import InvalidInput
from geo.issue_filter import parse_month
from geo.maps.basemaps import BASEMAP_HELP, BasemapName
from geo.maps.towns import towns_map
from geo.towns import Town, TownScope
from geo.users import User
from service.auth import Reader, town_scope
from service.deps import ConnDep
from service.districts import district_rows
from service.schemas import Day
from service.towns import year_rules
from service.web import PageLang, PageReader, map_page, render

router = APIRouter(tags=["districts 区"])

DistrictCode = Annotated[
    str, Path(pattern=r"^[0-9]{6}$", description="the district's 行政区划代码, e.g. 120113")
]
MonthQ = Annotated[
    str | None,
    Query(
        description="the interviews' month, YYYY-MM (default: last month, else the latest"
        " scored month before it)"
    ),
]
StartQ = Annotated[
    Day | None,
    Query(
        description="problems found from this day (default, with `end` not given either:"
        " 1 January of the year of the latest problem found)"
    ),
]
EndQ = Annotated[
    Day | None,
    Query(description="problems found before this day (default: the end of that year)"),
]
AsOfQ = Annotated[Day | None, Query(description="overdue on (default: today)")]


class InterviewCounts(BaseModel):
    """A town's interviews (约谈) of the month: due and not yet held, held, late."""

    due: int
    held: int
    late: int


class TownRow(BaseModel):
    """One town of the district."""

    code: str
    name: str
    villages: int
    households: int | None
    issues: int
    per_village: float | None
    per_100_households: float | None
    closed: int
    closed_on_time: int
    on_time_rate: float | None
    overdue: int
    rebounds: int
    interviews: InterviewCounts
    ranking_map: str


class DistrictOut(BaseModel):
    """区级视图: the towns of a district side by side."""

    code: str
    name: str
    start: date | None
    """The first day counted (problems found on or after it)."""
    end: date | None
    """The first day not counted (problems found before it); None: no end."""
    last_day: date
    """The last day counted: the day before `end`, else `as_of`."""
    as_of: date
    interview_month: str
    towns: list[TownRow]


def _view(
    request: Request,
    conn: Connection,
    user: User | None,
    code: str,
    *,
    start: date | None,
    end: date | None,
    as_of: date | None,
    month: str | None,
) -> dict[str, Any]:
    today = as_of or date.today()
    if month is not None:
        parse_month(month)
    if start is not None and end is not None and end <= start:
        raise InvalidInput("expected end after start", field="end")

    def rules_of(town: Town, year: int) -> Any:
        return year_rules(request, conn, town, year)

    return district_rows(
        conn,
        code,
        scope=town_scope(user),
        rules_of=rules_of,
        start=start,
        end=end,
        as_of=today,
        month=month,
        late_days=request.app.state.settings.interview_late_days,
    )


@router.get("/districts/{code}", response_model=DistrictOut)
def get_district(
    code: DistrictCode,
    request: Request,
    conn: ConnDep,
    user: Reader,
    start: StartQ = None,
    end: EndQ = None,
    as_of: AsOfQ = None,
    month: MonthQ = None,
) -> dict[str, Any]:
    """区级视图: the district's towns (those the caller reads) side by side — problems, per
    village and per 100 households, closed on time, overdue, rebounds, last month's
    interviews — with a link to each town's ranking map."""
    return _view(request, conn, user, code, start=start, end=end, as_of=as_of, month=month)


def _map(
    conn: Connection, code: str, scope: TownScope, view: dict[str, Any], lang: str, basemap: str
) -> folium.Map:
    towns = frames.towns_frame(conn, district=code, towns=scope)
    m = towns_map(
        towns,
        view["towns"],
        lang=lang,
        basemap=basemap,
        subtitle=f"{view['name']} {code}",
    )
    return m


@router.get("/maps/districts/{code}", response_class=HTMLResponse)
def district_map(
    code: DistrictCode,
    request: Request,
    conn: ConnDep,
    user: Reader,
    lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh",
    basemap: Annotated[BasemapName, Query(description=BASEMAP_HELP)] = BasemapName.osm,
    start: StartQ = None,
    end: EndQ = None,
    as_of: AsOfQ = None,
) -> HTMLResponse:
    """各镇问题分布图: the district's towns coloured by problems per 100 households (in the
    period of the district view); a click on a town opens its ranking map."""
    view = _view(request, conn, user, code, start=start, end=end, as_of=as_of, month=None)
    return map_page(request, _map(conn, code, town_scope(user), view, lang, basemap.value))


@router.get("/pages/districts/{code}", response_class=HTMLResponse)
def district_page(
    code: DistrictCode,
    request: Request,
    conn: ConnDep,
    user: PageReader,
    lang: PageLang,
    month: MonthQ = None,
    start: StartQ = None,
    end: EndQ = None,
    as_of: AsOfQ = None,
) -> HTMLResponse:
    """区级视图 as a page: the towns side by side (problems of the period: by default the
    year of the latest problem found) and the map of towns."""
    view = _view(request, conn, user, code, start=start, end=end, as_of=as_of, month=month)
    return render(request, "district.html", lang, district=view)
