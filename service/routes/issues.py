"""Issues as GeoJSON, filtered in PostGIS."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import ColumnClause, Text, func, literal_column, select

from geo.models import OPEN_STATUSES, Category, Grid, Issue, Village
from service.deps import ConnDep
from service.filters import IssueFilterDep, PageLimitDep
from service.geojson import GeoJSONResponse, geojson_responses
from service.schemas import INT_MAX

router = APIRouter(tags=["issues 问题"])


@router.get(
    "/issues",
    response_class=GeoJSONResponse,
    responses=geojson_responses("问题点位 issue points"),
)
def list_issues(
    conn: ConnDep,
    selection: IssueFilterDep,
    limit: PageLimitDep,
    offset: Annotated[int, Query(ge=0, le=INT_MAX)] = 0,
) -> GeoJSONResponse:
    """Issues matching every given filter, newest first, as a GeoJSON FeatureCollection.

    Pages with `limit`/`offset`; the header `X-Total-Count` gives the number of matches.
    """
    today = selection.as_of or date.today()
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
    feature: ColumnClause[Any] = literal_column("ST_AsGeoJSON(t.*, 'geom', 7)::json")
    collection = select(
        func.json_build_object(
            "type",
            "FeatureCollection",
            "features",
            func.coalesce(func.json_agg(feature), literal_column("'[]'::json")),
        ).cast(Text)
    ).select_from(rows)
    total = conn.execute(
        select(func.count()).select_from(Issue).where(*selection.conditions())
    ).scalar_one()
    return GeoJSONResponse(
        conn.execute(collection).scalar_one(),
        headers={"X-Total-Count": str(total), "Access-Control-Expose-Headers": "X-Total-Count"},
    )
