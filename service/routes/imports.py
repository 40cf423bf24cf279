"""Admin re-imports of boundaries, roads and issues: the CLI's importer behind HTTP."""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam

from geo.errors import InvalidInput
from geo.io import import_file
from service.auth import Admin
from service.deps import ConnDep
from service.responses import ImportResult

router = APIRouter(tags=["import 导入"])

MAX_IMPORT_BYTES = 200 * 1024 * 1024
SINGLE_FILES = {".geojson", ".json", ".gpkg", ".kml", ".kmz", ".csv", ".xlsx"}


def unpack_upload(data: bytes, filename: str, folder: Path) -> Path:
    """Write the upload; a .zip (e.g. a Shapefile's .shp/.dbf/.shx/.prj/.cpg) is unpacked."""
    suffix = Path(filename).suffix.lower()
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidInput("the file is larger than 200 MB", field="file")
    if suffix == ".zip":
        archive = folder / "upload.zip"
        archive.write_bytes(data)
        try:
            with zipfile.ZipFile(archive) as zipped:
                for member in zipped.infolist():
                    name = Path(member.filename).name
                    if member.is_dir() or not name or name.startswith("."):
                        continue
                    (folder / name).write_bytes(zipped.read(member))
        except zipfile.BadZipFile:
            raise InvalidInput("not a valid .zip archive", field="file") from None
        for pattern in ("*.shp", "*.gpkg", "*.geojson", "*.kml", "*.csv", "*.xlsx"):
            found = sorted(folder.glob(pattern))
            if found:
                return found[0]
        raise InvalidInput(
            "the .zip holds no .shp, .gpkg, .geojson, .kml, .csv or .xlsx", field="file"
        )
    if suffix not in SINGLE_FILES:
        raise InvalidInput(
            f"expected one of {', '.join(sorted(SINGLE_FILES | {'.zip'}))}, got {filename!r}; "
            "send a Shapefile as a .zip of its files",
            field="file",
        )
    path = folder / Path(filename).name
    path.write_bytes(data)
    return path


@router.post("/import/{kind}", response_model=ImportResult)
async def import_upload(
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
    """Check and load a file, all or nothing; villages re-assign every issue afterwards."""
    del user
    settings = request.app.state.settings
    data = await file.read(MAX_IMPORT_BYTES + 1)
    with tempfile.TemporaryDirectory() as folder:
        path = unpack_upload(data, file.filename or "upload", Path(folder))
        report = import_file(
            conn,
            kind,
            path,
            encoding=encoding,
            crs=crs,
            coords=coords,
            dry_run=dry_run,
            tolerance_m=settings.gps_tolerance_m,
            metric_srid=settings.metric_srid,
            deadline=request.app.state.rules.loop.deadline,
        )
    return {
        "summary": report.summary(),
        "rows": report.rows,
        "inserted": report.inserted,
        "updated": report.updated,
        "dry_run": report.dry_run,
        "warnings": [asdict(p) for p in report.warnings],
    }
