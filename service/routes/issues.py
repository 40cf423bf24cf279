"""Issues as GeoJSON, filtered in PostGIS."""

from __future__ import annotations

import difflib
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import Connection, Text, func, literal_column, select

from geo.errors import Forbidden, InvalidInput
from geo.issue_filter import BBox, IssueFilter, parse_month
from geo.models import OPEN_STATUSES, Category, Grid, Issue, Village
from service.auth import Reader
from service.deps import ConnDep
from service.geojson import GEOJSON, GeoJSONResponse

router = APIRouter(tags=["issues 问题"])


def _split(values: list[str] | None) -> tuple[str, ...]:
    """Accept both ?status=a&status=b and ?status=a,b."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def _check_known(conn: Connection, *, field: str, given: tuple[str, ...], column) -> None:  # type: ignore[no-untyped-def]
    if not given:
        return
    known = set(conn.execute(select(column)).scalars())
    for value in given:
        if value not in known:
            close = difflib.get_close_matches(value, sorted(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise InvalidInput(f"unknown {field} {value!r}{hint}", field=field)


@router.get(
    "/issues",
    response_class=GeoJSONResponse,
    responses={200: {"content": {GEOJSON: {}}, "description": "问题点位 issue points"}},
)
def list_issues(
    conn: ConnDep,
    user: Reader,
    village: Annotated[list[str] | None, Query(description="village code(s) 村编码")] = None,
    community: Annotated[list[str] | None, Query(description="community code or name")] = None,
    category: Annotated[list[str] | None, Query(description="category code(s) 问题类别")] = None,
    status: Annotated[list[str] | None, Query(description="open|submitted|closed|…")] = None,
    source: Annotated[list[str] | None, Query(description="inspection|recheck|…")] = None,
    month: Annotated[str | None, Query(description="found in month YYYY-MM")] = None,
    overdue: Annotated[bool | None, Query(description="open and past the deadline")] = None,
    bbox: Annotated[str | None, Query(description="west,south,east,north (EPSG:4326)")] = None,
    as_of: Annotated[date | None, Query(description="date for 'overdue' (default today)")] = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GeoJSONResponse:
    """Issues matching every given filter, newest first, as a GeoJSON FeatureCollection."""
    villages = _split(village)
    if user is not None and user.role == "village":
        if any(v != user.village_code for v in villages):
            raise Forbidden(
                f"user {user.name} sees village {user.village_code} only", field="village"
            )
        villages = (user.village_code or "",)
    selection = IssueFilter(
        villages=villages,
        communities=_split(community),
        categories=_split(category),
        statuses=_split(status),
        sources=_split(source),
        month=parse_month(month) if month else None,
        overdue=overdue,
        bbox=BBox.parse(bbox) if bbox else None,
        as_of=as_of,
    )
    _check_known(conn, field="village", given=selection.villages, column=Village.code)
    _check_known(conn, field="category", given=selection.categories, column=Category.code)
    today = as_of or date.today()
    rows = (
        select(
            Issue.id,
            Issue.code,
            Issue.category_code.label("category"),
            Category.label_zh.label("category_zh"),
            Category.label_en.label("category_en"),
            Issue.description,
            Village.code.label("village"),
            Village.name.label("village_name"),
            Grid.name.label("grid"),
            Issue.source,
            Issue.found_on,
            Issue.found_by,
            Issue.deadline,
            Issue.status,
            Issue.closed_on,
            (Issue.status.in_(OPEN_STATUSES) & (Issue.deadline < today)).label("overdue"),
            Issue.rebound_of,
            Issue.outside_m,
            Issue.version,
            Issue.geom,
        )
        .join(Category, Category.code == Issue.category_code)
        .outerjoin(Village, Village.id == Issue.village_id)
        .outerjoin(Grid, Grid.id == Issue.grid_id)
        .where(*selection.conditions())
        .order_by(Issue.found_on.desc(), Issue.code)
        .limit(limit)
        .offset(offset)
        .subquery("t")
    )
    feature = literal_column("ST_AsGeoJSON(t.*, 'geom', 7)::json")
    collection = select(
        func.json_build_object(
            "type",
            "FeatureCollection",
            "features",
            func.coalesce(func.json_agg(feature), literal_column("'[]'::json")),
        ).cast(Text)
    ).select_from(rows)
    return GeoJSONResponse(conn.execute(collection).scalar_one())
