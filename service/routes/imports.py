"""Admin re-imports of boundaries, roads and issues: the CLI's importer behind HTTP."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam

from geo.errors import InvalidInput
from geo.io import import_file
from geo.io.limits import ImportLimits
from service.auth import Admin
from service.deps import ConnDep
from service.memory import GIVE_MEMORY_BACK
from service.responses import ImportResult
from service.towns import TownContext, user_town
from service.uploads import UploadLimits, check_workbook, save_upload, unpack_zip

router = APIRouter(tags=["import 导入"])

SINGLE_FILES = {".geojson", ".json", ".gpkg", ".kml", ".kmz", ".csv", ".xlsx"}


def unpack_upload(file: UploadFile, folder: Path, limits: UploadLimits) -> Path:
    """Copy the upload to disk; a .zip (e.g. a Shapefile's .shp/.dbf/.shx/.prj/.cpg) is unpacked.

    Both steps stream in chunks and stop at the limits (upload size, unpacked size, member
    count), so a zip bomb costs at most the limits in disk and never its size in memory.
    """
    filename = file.filename or "upload"
    suffix = Path(filename).suffix.lower()
    if suffix != ".zip" and suffix not in SINGLE_FILES:
        raise InvalidInput(
            f"expected one of {', '.join(sorted(SINGLE_FILES | {'.zip'}))}, got {filename!r}; "
            "send a Shapefile as a .zip of its files",
            field="file",
        )
    if suffix == ".zip":
        archive = save_upload(
            file, folder / "upload.zip", max_mib=limits.max_mib, setting=limits.size_setting
        )
        unpacked = folder / "unpacked"
        unpacked.mkdir()
        unpack_zip(archive, unpacked, limits)
        archive.unlink()
        for pattern in ("*.shp", "*.gpkg", "*.geojson", "*.kml", "*.csv", "*.xlsx"):
            found = sorted(unpacked.glob(pattern))
            if found:
                if found[0].suffix.lower() in (".xlsx", ".kmz"):
                    check_workbook(found[0], limits)
                return found[0]
        raise InvalidInput(
            "the .zip holds no .shp, .gpkg, .geojson, .kml, .csv or .xlsx", field="file"
        )
    path = save_upload(
        file, folder / Path(filename).name, max_mib=limits.max_mib, setting=limits.size_setting
    )
    if suffix in (".xlsx", ".kmz"):
        check_workbook(path, limits)
    return path


def import_options(request: Request, town: TownContext | None = None) -> dict[str, Any]:
    """The settings and rules an import over HTTP runs with (GPS tolerance, metric SRID,
    deadline rule, row and vertex limits), as keyword arguments of the geo importers; with
    `town`, that town's metric CRS and deadline rule and the rows go to it."""
    settings = request.app.state.settings
    town_options: dict[str, Any] = {}
    if town is not None:
        town_options = {
            "metric_srid": town.town.metric_srid,
            "deadline": town.rules_now.loop.deadline,
            "town_id": town.id,
        }
    return {
        "tolerance_m": settings.gps_tolerance_m,
        "metric_srid": settings.metric_srid,
        "deadline": request.app.state.rules.loop.deadline,
        "bulk_rows": settings.import_bulk_rows,
        **town_options,
        "limits": ImportLimits(
            max_rows=settings.max_upload_rows,
            max_polygon_vertices=settings.max_polygon_vertices,
            max_file_vertices=settings.max_file_vertices,
        ),
    }


def report_out(report: Any) -> dict[str, Any]:
    """An import report as the body of ImportResult."""
    return {
        "summary": report.summary(),
        "rows": report.rows,
        "inserted": report.inserted,
        "updated": report.updated,
        "dry_run": report.dry_run,
        "warnings": [asdict(p) for p in report.warnings],
    }


@router.post("/import/{kind}", response_model=ImportResult, dependencies=[GIVE_MEMORY_BACK])
def import_upload(
    request: Request,
    conn: ConnDep,
    user: Admin,
    kind: Annotated[
        str, PathParam(pattern="^(villages|grids|roads|entrances|waterbodies|issues)$")
    ],
    file: Annotated[
        UploadFile, File(description="GeoJSON, GPKG, KML, CSV, XLSX, or a zipped Shapefile")
    ],
    encoding: Annotated[str | None, Form(description="e.g. GBK for a .dbf without .cpg")] = None,
    crs: Annotated[
        str | None, Form(description="e.g. EPSG:4527 when the file does not say")
    ] = None,
    coords: Annotated[str, Form(pattern="^(wgs84|gcj02)$")] = "wgs84",
    dry_run: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Check and load a file, all or nothing; villages re-assign every issue afterwards.

    A plain `def`: reading, unpacking and importing run in the threadpool, never on the
    event loop. Files over the limits (CUNRONG_MAX_UPLOAD_MIB, …_UNZIPPED_MIB,
    …_ZIP_MEMBERS, …_POLYGON_VERTICES, …_FILE_VERTICES, …_UPLOAD_ROWS) get a 413.
    """
    limits = UploadLimits.from_settings(request.app.state.settings)
    with tempfile.TemporaryDirectory() as folder:
        path = unpack_upload(file, Path(folder), limits)
        report = import_file(
            conn,
            kind,
            path,
            encoding=encoding,
            crs=crs,
            coords=coords,
            dry_run=dry_run,
            **import_options(request, user_town(request, conn, user)),
        )
    return report_out(report)
