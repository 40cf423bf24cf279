"""Downloads for offices: the village ledger, issues as GeoJSON/GeoPackage/CSV, year results."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import geopandas as gpd
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy import Connection

from geo import frames
from geo.categories import CATEGORIES
from geo.issue_filter import IssueFilter
from geo.ledger import ledger_rows, ledger_workbook
from scoring.report import write_xlsx, year_sheets
from service.auth import Reader
from service.deps import ConnDep
from service.filters import IssueFilterDep
from service.rankings import year_ranking
from service.schemas import YearPath

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
    """Selected issues for offices: plain columns, Chinese category, lon/lat, dates as text."""
    frame = frames.issues_frame(conn, selection, history=True, photo_url=None)
    labels = {c.code: c.label_zh for c in CATEGORIES}
    frame.insert(3, "category_zh", frame["category"].map(labels))
    frame["lon"] = frame.geometry.x.round(7)
    frame["lat"] = frame.geometry.y.round(7)
    for column in ("id", "rebound_of", "found_on", "deadline", "closed_on"):
        frame[column] = frame[column].map(lambda v: "" if v is None or v != v else str(v))
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
def export_year(year: YearPath, request: Request, conn: ConnDep, user: Reader) -> Response:
    """年度考核结果: ranking, line items, monthly rankings, villages not scored."""
    del user
    result = year_ranking(conn, year, rules=request.app.state.rules)
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsx(year_sheets(result), Path(folder) / "year.xlsx")
        body = path.read_bytes()
    return _download(body, XLSX, f"{year}年度人居环境考核.xlsx")
