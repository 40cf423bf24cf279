"""Admin re-imports of boundaries, roads and issues: the CLI's importer behind HTTP.

Two doors: the JSON API (POST /import/{kind}) and the town office's page
/pages/office/import (导入数据), which previews the file as a dry run (every error and
warning by row and field, nothing written) and imports exactly the previewed file on
确认导入; the file waits on the server in between (service.import_previews).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile as StarletteUpload

from geo.errors import CunrongError, InvalidInput, TooLarge
from geo.io import import_file
from geo.io.limits import ImportLimits
from geo.io.report import ImportFailed
from geo.users import User
from service import import_previews
from service.auth import SESSION_COOKIE, Admin
from service.deps import ConnDep, FormDep
from service.memory import GIVE_MEMORY_BACK
from service.responses import ImportResult
from service.towns import TownContext, user_town
from service.uploads import UploadLimits, check_workbook, save_upload, unpack_zip
from service.web import PageLang, page_user, render

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


# --- the town office's page: preview (a dry run), then import exactly the previewed file ----

pages = APIRouter(prefix="/pages/office", tags=["pages 页面"], include_in_schema=False)
OfficePage = Annotated[User, Depends(page_user("admin"))]

KINDS: dict[str, tuple[str, str]] = {
    "issues": ("问题", "issues"),
    "villages": ("村界", "village boundaries"),
    "grids": ("网格", "grids"),
    "roads": ("道路", "roads"),
    "entrances": ("卡口", "entrances"),
    "waterbodies": ("河塘沟渠", "ponds and ditches"),
}
"""The kinds POST /import/{kind} accepts, with the page's labels."""
COORDS = ("wgs84", "gcj02")
ACCEPT = ",".join(sorted(SINGLE_FILES | {".zip"}))


def _owner(request: Request, user: User) -> str:
    return import_previews.owner_of(request.cookies.get(SESSION_COOKIE), user.name)


def _kept(request: Request) -> Path:
    """The data folder the previewed uploads are kept under."""
    data_dir: Path = request.app.state.settings.data_dir
    return data_dir


def _form_page(
    request: Request,
    lang: str,
    *,
    status_code: int = 200,
    error: CunrongError | None = None,
    chosen: dict[str, str] | None = None,
    done: dict[str, Any] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "office/import.html",
        lang,
        status_code=status_code,
        kinds=KINDS,
        coords=COORDS,
        accept=ACCEPT,
        error=error,
        chosen=chosen or {},
        done=done,
    )


def _text(form: Any, key: str, limit: int = 100) -> str:
    value = form.get(key)
    return value.strip()[:limit] if isinstance(value, str) else ""


@pages.get("/import", response_class=HTMLResponse)
def import_page(
    request: Request,
    lang: PageLang,
    user: OfficePage,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    inserted: int | None = None,
    updated: int | None = None,
    warnings: int | None = None,
) -> HTMLResponse:
    """导入数据: choose the kind and the file; after an import, what it did."""
    del user
    done = None
    if kind in KINDS and inserted is not None:
        done = {"kind": kind, "inserted": inserted, "updated": updated or 0, "warnings": warnings}
    return _form_page(request, lang, chosen={"kind": kind or ""}, done=done)


@pages.post("/import", response_class=HTMLResponse)
def import_preview(
    request: Request, conn: ConnDep, lang: PageLang, user: OfficePage, form: FormDep
) -> HTMLResponse:
    """Check the uploaded file as a dry run: what would be added or updated, and every error
    and warning by row and field. Nothing is written; without errors the file is kept for
    the confirmation (service.import_previews)."""
    chosen = {k: _text(form, k) for k in ("kind", "encoding", "crs", "coords")}
    chosen["coords"] = chosen["coords"] or "wgs84"
    upload = form.get("file")
    if chosen["kind"] not in KINDS:
        error = InvalidInput(
            f"unknown kind {chosen['kind']!r}; expected one of {', '.join(KINDS)}", field="kind"
        )
        return _form_page(request, lang, status_code=422, error=error, chosen=chosen)
    if not isinstance(upload, StarletteUpload) or not upload.filename:
        error = InvalidInput("choose a file to upload", field="file")
        return _form_page(request, lang, status_code=422, error=error, chosen=chosen)
    if chosen["coords"] not in COORDS:
        error = InvalidInput(f"coords: expected one of {', '.join(COORDS)}", field="coords")
        return _form_page(request, lang, status_code=422, error=error, chosen=chosen)
    options: dict[str, Any] = {
        "encoding": chosen["encoding"] or None,
        "crs": chosen["crs"] or None,
        "coords": chosen["coords"],
    }
    limits = UploadLimits.from_settings(request.app.state.settings)
    token, folder = import_previews.new_folder(_kept(request))
    kept = False
    try:
        data = folder / "data"
        data.mkdir()
        path = unpack_upload(cast(UploadFile, upload), data, limits)
        try:
            report = import_file(
                conn,
                chosen["kind"],
                path,
                dry_run=True,
                **options,
                **import_options(request, user_town(request, conn, user)),
            )
        except ImportFailed as exc:
            report = exc.report
        if report.ok:
            import_previews.keep(
                import_previews.Pending(
                    token=token,
                    owner=_owner(request, user),
                    kind=chosen["kind"],
                    filename=upload.filename,
                    path=str(path.relative_to(folder)),
                    options=options,
                    created=time.time(),
                    data_dir=str(_kept(request)),
                )
            )
            kept = True
    except CunrongError as exc:
        status = 413 if isinstance(exc, TooLarge) else 422
        return _form_page(request, lang, status_code=status, error=exc, chosen=chosen)
    finally:
        if not kept:
            import_previews.drop(_kept(request), token)
    return render(
        request,
        "office/import_preview.html",
        lang,
        status_code=200 if report.ok else 422,
        kind=chosen["kind"],
        kinds=KINDS,
        filename=upload.filename,
        report=report,
        token=token if kept else None,
    )


@pages.post("/import/confirm", response_class=HTMLResponse, response_model=None)
def import_confirm(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: OfficePage,
    token: Annotated[str, Form(max_length=100)],
) -> HTMLResponse | RedirectResponse:
    """Import the previewed file (checked again, all or nothing), then show what was done."""
    try:
        pending = import_previews.take(_kept(request), token, _owner(request, user))
    except InvalidInput as exc:
        return _form_page(request, lang, status_code=422, error=exc)
    try:
        report = import_file(
            conn,
            pending.kind,
            pending.file,
            **pending.options,
            **import_options(request, user_town(request, conn, user)),
        )
    except ImportFailed as exc:  # the data changed since the preview: show why, keep nothing
        import_previews.drop(_kept(request), token)
        return render(
            request,
            "office/import_preview.html",
            lang,
            status_code=422,
            kind=pending.kind,
            kinds=KINDS,
            filename=pending.filename,
            report=exc.report,
            token=None,
        )
    import_previews.drop(_kept(request), token)
    query = urlencode(
        {
            "kind": pending.kind,
            "inserted": report.inserted,
            "updated": report.updated,
            "warnings": len(report.warnings),
        }
    )
    return RedirectResponse(f"/pages/office/import?{query}", status_code=303)


@pages.post("/import/cancel")
def import_cancel(
    request: Request, user: OfficePage, token: Annotated[str, Form(max_length=100)]
) -> RedirectResponse:
    """Forget a previewed upload."""
    try:
        pending = import_previews.take(_kept(request), token, _owner(request, user))
        import_previews.drop(_kept(request), pending.token)
    except InvalidInput:
        pass
    return RedirectResponse("/pages/office/import", status_code=303)
