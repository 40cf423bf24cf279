"""Issues as GeoJSON, filtered in PostGIS (by the one issue reader, geo.issue_reader)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from geo import issue_reader
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
    request: Request,
    conn: ConnDep,
    selection: IssueFilterDep,
    limit: PageLimitDep,
    offset: Annotated[int, Query(ge=0, le=INT_MAX)] = 0,
) -> GeoJSONResponse:
    """Issues matching every given filter, newest first, as a GeoJSON FeatureCollection.

    Pages with `limit`/`offset`; the header `X-Total-Count` gives the number of matches.
    """
    collection, total = issue_reader.geojson(
        conn,
        issue_reader.IssueQuery(
            selection=selection, sort=("-found_on", "code"), limit=limit, offset=offset
        ),
        max_page_size=request.app.state.settings.max_page_size,
    )
    return GeoJSONResponse(
        collection,
        headers={"X-Total-Count": str(total), "Access-Control-Expose-Headers": "X-Total-Count"},
    )
