"""Downloads for offices: the village ledger, issues as GeoJSON/GeoPackage/CSV, year results."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import geopandas as gpd
from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy import Connection

from geo import frames
from geo.categories import CATEGORIES
from geo.issue_filter import IssueFilter, parse_month
from geo.issue_reader import UNITS
from geo.ledger import ledger_rows, ledger_workbook
from geo.xlsx import titled_table
from scoring.report import write_xlsx, year_sheets
from service.auth import Reader, town_scope
from service.deps import ConnDep
from service.filters import IssueFilterDep, village_scope
from service.interviews import due_interviews, interview_out
from service.rankings import year_ranking
from service.schemas import Day, YearPath
from service.scoring_data import unit_indicator_rows
from service.tables import (
    INTERVIEW_COLUMNS,
    UNIT_LABELS,
    csv_bytes,
    indicator_columns,
    indicator_rows,
    interview_rows,
)
from service.towns import TownDep

router = APIRouter(prefix="/exports", tags=["exports 导出"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "geojson": ("application/geo+json", "GeoJSON"),
    "gpkg": ("application/geopackage+sqlite3", "GPKG"),
    "csv": ("text/csv; charset=utf-8", None),
}


def _download(body: bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


def issues_export_frame(conn: Connection, selection: IssueFilter) -> gpd.GeoDataFrame:
    """Selected issues for offices: plain columns, Chinese category, lon/lat, dates as ISO
    text (YYYY-MM-DD, the same in every format); a missing value is null (an empty CSV cell),
    never "" — a GIS filters on `IS NULL`."""
    frame = frames.issues_frame(conn, selection, history=True, photo_url=None)
    labels = {c.code: c.label_zh for c in CATEGORIES}
    frame.insert(3, "category_zh", frame["category"].map(labels))
    frame["lon"] = frame.geometry.x.round(7)
    frame["lat"] = frame.geometry.y.round(7)
    for column in ("id", "rebound_of", "found_on", "deadline", "closed_on"):
        frame[column] = frame[column].map(lambda v: None if v is None or v != v else str(v))
    return frame.rename(columns={"village_code": "village", "grid_name": "grid"})


@router.get("/issues.{fmt}", response_class=Response)
def export_issues(
    conn: ConnDep,
    selection: IssueFilterDep,
    fmt: Annotated[
        str, PathParam(pattern="^(geojson|gpkg|csv)$", description="geojson | gpkg | csv")
    ],
) -> Response:
    """The selected issues as GeoJSON, GeoPackage or CSV (UTF-8 with BOM, lon/lat columns)."""
    frame = issues_export_frame(conn, selection)
    media_type, driver = FORMATS[fmt]
    if fmt == "csv":
        body = frame.drop(columns=frame.geometry.name).to_csv(index=False).encode("utf-8-sig")
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"issues.{fmt}"
            frame.to_file(path, driver=driver, layer="issues" if fmt == "gpkg" else None)
            body = path.read_bytes()
    return _download(body, media_type, f"issues.{fmt}")


@router.get("/ledger.xlsx", response_class=Response)
def export_ledger(conn: ConnDep, selection: IssueFilterDep) -> Response:
    """工作台账: the village ledger as XLSX with Chinese headers."""
    as_of = selection.as_of or date.today()
    rows = ledger_rows(conn, selection, as_of=as_of)
    title = "工作台账 " + (",".join(selection.villages) or "全镇") + f"（截至 {as_of:%Y-%m-%d}）"
    return _download(ledger_workbook(rows, title=title), XLSX, "工作台账.xlsx")


@router.get("/year/{year}.xlsx", response_class=Response)
def export_year(year: YearPath, request: Request, conn: ConnDep, town: TownDep) -> Response:
    """年度考核结果 of a town: ranking, line items, monthly rankings, villages not scored, the
    interviews of every month (约谈记录), and the year's issue indicators per village, grid
    and community."""
    rules = town.rules_for(year)
    result = year_ranking(conn, year, rules=rules, town_id=town.id)
    settings = request.app.state.settings
    sheets = year_sheets(result)
    interviews = [
        interview_out(item)
        for month in result.months
        for item in due_interviews(
            conn,
            month.month,
            rules=rules,
            late_days=settings.interview_late_days,
            result=month,
            town_id=town.id,
        )
    ]
    sheets["约谈记录 interviews"] = (
        [header for _, header in INTERVIEW_COLUMNS],
        interview_rows(interviews),
    )
    for unit in UNITS:
        rows = unit_indicator_rows(
            conn,
            unit,
            start=date(year, 1, 1),
            end=date(year + 1, 1, 1),
            as_of=date(year, 12, 31),
            towns=(town.id,),
        )
        sheets[f"{UNIT_LABELS[unit]}指标 {unit}"] = (
            [header for _, header in indicator_columns(unit)],
            indicator_rows(unit, rows),
        )
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(sheets, Path(folder) / "year.xlsx")
        body = path.read_bytes()
    return _download(body, XLSX, f"{year}年度人居环境考核.xlsx")


TableFormat = Annotated[str, PathParam(pattern="^(csv|xlsx)$", description="csv | xlsx")]


def _table_download(
    columns: Sequence[tuple[str, str]], rows: list[list[Any]], *, fmt: str, title: str, name: str
) -> Response:
    if fmt == "csv":
        return _download(csv_bytes(columns, rows), FORMATS["csv"][0], f"{name}.csv")
    body = titled_table(
        sheet=name[:31],
        title=title,
        columns=[(key, header, max(10, len(header))) for key, header in columns],
        rows=rows,
    )
    return _download(body, XLSX, f"{name}.xlsx")


@router.get("/interviews.{fmt}", response_class=Response)
def export_interviews(
    request: Request,
    conn: ConnDep,
    user: Reader,
    town: TownDep,
    fmt: TableFormat,
    month: Annotated[str, Query(description="the ranking month, YYYY-MM")],
    as_of: Annotated[Day | None, Query(description="judge 'late' on this day")] = None,
) -> Response:
    """约谈记录 of a month as CSV or XLSX: due, held and late interviews."""
    parse_month(month)
    villages = village_scope(user, ())
    items = due_interviews(
        conn,
        month,
        rules=town.rules_for_month(month),
        late_days=request.app.state.settings.interview_late_days,
        today=as_of,
        villages=villages,
        town_id=town.id,
    )
    rows = interview_rows(interview_out(i) for i in items)
    return _table_download(
        INTERVIEW_COLUMNS, rows, fmt=fmt, title=f"约谈记录 {month}", name=f"约谈记录-{month}"
    )


@router.get("/indicators/{unit}.{fmt}", response_class=Response)
def export_indicators(
    conn: ConnDep,
    user: Reader,
    unit: Annotated[
        str,
        PathParam(pattern="^(village|grid|community)$", description="village | grid | community"),
    ],
    fmt: TableFormat,
    start: Day | None = None,
    end: Day | None = None,
    as_of: Day | None = None,
) -> Response:
    """Issue indicators per village, grid or community (of the caller's towns) as CSV or
    XLSX (the API's columns)."""
    rows = unit_indicator_rows(
        conn, unit, start=start, end=end, as_of=as_of, towns=town_scope(user)
    )
    label = UNIT_LABELS[unit]
    return _table_download(
        indicator_columns(unit),
        indicator_rows(unit, rows),
        fmt=fmt,
        title=f"{label}问题指标（截至 {as_of or date.today():%Y-%m-%d}）",
        name=f"{label}指标",
    )
