"""Where the rows lie: any CRS (or plain numbers) → WGS-84 lon/lat, with the usual mix-ups caught.

Stored geometries are EPSG:4326; CGCS2000 (EPSG:4490) is taken as identical at this scale.
CSV and XLSX coordinates are degrees unless `--crs` says otherwise. Numbers that cannot be
degrees are reported per row, as swapped lon/lat when swapping them makes sense, or as
projected metres with the CRS they most likely are in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo.coords import gcj02_to_wgs84
from geo.errors import InvalidInput
from geo.io.read import SourceTable
from geo.io.report import ImportReport

WGS84 = CRS.from_epsg(4326)
SAME_AS_WGS84 = {4326, 4490}
COORD_SYSTEMS = ("wgs84", "gcj02")
SWAPPED_HINT = "经纬度可能颠倒 / lon and lat look swapped: exchange the two columns"
_CHINA = (73.0, 18.0, 135.5, 54.0)
_NAMES = {3857: "Web Mercator"}


@dataclass(frozen=True)
class Town:
    """What the database knows about the town, for checks that need it."""

    bbox: tuple[float, float, float, float] | None
    """West, south, east, north of the loaded villages, or None when none is loaded."""


def parse_crs(value: str | None) -> CRS | None:
    """The CRS named by `--crs` (EPSG:4527, 4527, a WKT or PROJ string)."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except CRSError:
        raise InvalidInput(
            f"unknown CRS {value!r}; expected e.g. EPSG:4527, EPSG:3857 or EPSG:4490",
            field="--crs",
        ) from None


def check_coords_option(value: str) -> str:
    """Validate `--coords`."""
    if value not in COORD_SYSTEMS:
        raise InvalidInput(f"--coords must be wgs84 or gcj02, got {value!r}", field="--coords")
    return value


def _is_degrees(crs: CRS | None) -> bool:
    return crs is None or crs.is_geographic


def _transformer(crs: CRS | None) -> Transformer | None:
    if crs is None or crs.to_epsg() in SAME_AS_WGS84:
        return None
    return Transformer.from_crs(crs, WGS84, always_xy=True)


def _name(epsg: int) -> str:
    if epsg in _NAMES:
        return _NAMES[epsg]
    try:
        return CRS.from_epsg(epsg).name
    except CRSError:
        return f"EPSG:{epsg}"


def _candidates(x: float, y: float, town: Town) -> list[int]:
    """EPSG codes the numbers plausibly are in (China: Gauss-Krüger on CGCS2000, Mercator)."""
    codes = []
    ax = abs(x)
    if 25e6 <= ax < 46e6:
        codes.append(4488 + int(ax // 1e6))  # CGCS2000 3-degree GK zone 25..45, zone prefixed
    if 13e6 <= ax < 24e6:
        codes.append(4478 + int(ax // 1e6))  # CGCS2000 6-degree GK zone 13..23, zone prefixed
    if 1e5 <= ax < 1e6:
        if town.bbox is not None:
            meridian = round((town.bbox[0] + town.bbox[2]) / 2 / 3) * 3
            codes.append(4534 + (meridian - 75) // 3)  # 3-degree GK by central meridian
        else:
            codes.extend(4534 + i for i in range(21))
    if ax < 2.01e7:
        codes.append(3857)
    box = town.bbox or _CHINA
    margin = 0.2 if town.bbox else 0.0
    fitting = []
    for code in codes:
        try:
            lon, lat = Transformer.from_crs(code, 4326, always_xy=True).transform(x, y)
        except CRSError:
            continue
        inside = (box[0] - margin <= lon <= box[2] + margin) and (
            box[1] - margin <= lat <= box[3] + margin
        )
        if np.isfinite(lon) and inside:
            fitting.append(code)
    return fitting


def projected_hint(x: NDArray, y: NDArray, town: Town) -> str:
    """What to tell a person whose degrees are really metres."""
    codes = _candidates(float(np.median(x)), float(np.median(y)), town) if len(x) else []
    if codes:
        best = codes[0]
        return (
            f"these look like projected metres, probably EPSG:{best} ({_name(best)}): "
            f"pass --crs EPSG:{best} / 坐标似为投影坐标(米), 请用 --crs 指定"
        )
    return (
        "these look like projected metres, not degrees: pass --crs with the file's CRS "
        "(e.g. EPSG:4527 or EPSG:3857) / 坐标似为投影坐标(米), 请用 --crs 指定"
    )


def _degree_problems(
    x: NDArray,
    y: NDArray,
    rows: NDArray,
    *,
    report: ImportReport,
    field: str,
    town: Town,
) -> NDArray[np.bool_]:
    """Report numbers that cannot be lon/lat; returns the rows that are out of range."""
    finite = np.isfinite(x) & np.isfinite(y)
    bad = finite & ((np.abs(x) > 180) | (np.abs(y) > 90))
    swapped = bad & (np.abs(y) <= 180) & (np.abs(x) <= 90)
    if swapped.any():
        report.add_rows(
            rows[swapped],
            [
                f"({a:g}, {b:g}) is not a valid lon/lat"
                for a, b in zip(x[swapped], y[swapped], strict=True)
            ],
            field=field,
            hint=SWAPPED_HINT,
        )
    projected = bad & ~swapped
    if projected.any():
        hint = projected_hint(x[projected], y[projected], town)
        report.add_rows(
            rows[projected],
            [
                f"({a:.10g}, {b:.10g}) is out of the range of degrees (lon ±180, lat ±90)"
                for a, b in zip(x[projected], y[projected], strict=True)
            ],
            field=field,
            hint=hint,
        )
    return bad


def _transform_xy(x: NDArray, y: NDArray, crs: CRS | None, coords: str) -> tuple[NDArray, NDArray]:
    transformer = _transformer(crs)
    if transformer is not None:
        x, y = transformer.transform(x, y)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if coords == "gcj02":
        x, y = gcj02_to_wgs84(x, y)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def source_crs(table: SourceTable, crs_option: str | None) -> CRS | None:
    """The CRS the numbers are in: --crs, else the file's, else degrees (None)."""
    return parse_crs(crs_option) or (None if table.tabular else table.crs)


def _numbers(table: SourceTable, name: str, report: ImportReport) -> NDArray:
    raw = table.frame[name]
    text = raw.astype(object).where(raw.notna(), None)
    cleaned = text.map(lambda v: str(v).strip().rstrip("°") if v is not None else None)
    values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=float)
    unparsable = np.isnan(values) & cleaned.notna().to_numpy() & (cleaned != "").to_numpy()
    if unparsable.any():
        report.add_rows(
            table.frame["row"].to_numpy()[unparsable],
            [f"expected a number in degrees, got {v!r}" for v in cleaned[unparsable]],
            field=table.label(name),
        )
    return values


def point_coordinates(
    table: SourceTable,
    *,
    report: ImportReport,
    town: Town,
    crs_option: str | None = None,
    coords: str = "wgs84",
) -> tuple[NDArray, NDArray]:
    """WGS-84 lon/lat per row (NaN where a problem was reported)."""
    rows = table.frame["row"].to_numpy()
    crs = source_crs(table, crs_option)
    frame = table.frame
    has_shapes = table.geometry is not None and any(g is not None for g in table.geometry)
    if "lon" in frame and "lat" in frame and not has_shapes:
        x = _numbers(table, "lon", report)
        y = _numbers(table, "lat", report)
        field = f"{table.label('lon')}/{table.label('lat')}"
    elif table.geometry is not None or "wkt" in frame:
        geoms = geometries(table, report=report)
        kinds = shapely.get_type_id(geoms)
        point = kinds == 0
        wrong = (kinds > 0) & ~point
        if wrong.any():
            report.add_rows(
                rows[wrong],
                [f"expected a point, got a {g.geom_type}" for g in geoms[wrong]],
                field="geometry",
            )
        points = _none_where(~point, geoms)
        x = np.where(point, shapely.get_x(points), np.nan)
        y = np.where(point, shapely.get_y(points), np.nan)
        field = "geometry"
    else:
        raise InvalidInput(
            "no coordinates: expected lon/lat columns (经度/纬度, lon/lat, lng, x/y) or a geometry",
            field="lon/lat",
        )
    missing = ~(np.isfinite(x) & np.isfinite(y))
    already = {p.row for p in report.problems if p.row is not None}
    lost = missing & ~np.isin(rows, list(already))
    if lost.any():
        report.add_rows(rows[lost], "missing coordinates (lon and lat are required)", field=field)
    if _is_degrees(crs):
        bad = _degree_problems(x, y, rows, report=report, field=field, town=town)
        x, y = np.where(bad, np.nan, x), np.where(bad, np.nan, y)
    lon, lat = _transform_xy(x, y, crs, coords)
    broken = ~missing & ~(np.isfinite(lon) & np.isfinite(lat))
    broken |= ~missing & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    if not _is_degrees(crs) and broken.any():
        report.add_rows(
            rows[broken],
            f"cannot be transformed from {crs.to_string() if crs else '?'} to lon/lat",
            field=field,
        )
    unusable = ~(np.isfinite(lon) & np.isfinite(lat)) | broken
    return np.where(unusable, np.nan, lon), np.where(unusable, np.nan, lat)


def _none_where(blank: NDArray[np.bool_], geoms: NDArray) -> NDArray:
    """`geoms` as an object array with None where `blank` holds."""
    # numpy's stubs do not accept None as a fill value, though numpy does.
    return np.where(blank, None, geoms)  # type: ignore[call-overload]


def geometries(table: SourceTable, *, report: ImportReport) -> NDArray:
    """The file's geometries (vector, or a WKT column) as given; None where missing/unreadable."""
    rows = table.frame["row"].to_numpy()
    if table.geometry is not None:
        geoms = np.asarray(table.geometry, dtype=object)
        return _none_where(shapely.is_empty(geoms), geoms)
    if "wkt" not in table.frame:
        raise InvalidInput(
            "no geometry: expected a geodata file or a WKT column (wkt/geometry/几何)",
            field="geometry",
        )
    text = table.frame["wkt"].astype(object)
    geoms = shapely.from_wkt(text.where(text.notna(), None).to_numpy(), on_invalid="ignore")
    unreadable = text.notna().to_numpy() & (geoms == None)  # noqa: E711
    if unreadable.any():
        report.add_rows(rows[unreadable], "not a WKT geometry", field=table.label("wkt"))
    return _none_where(shapely.is_empty(geoms), geoms)


def shapes_to_wgs84(
    geoms: NDArray,
    table: SourceTable,
    *,
    report: ImportReport,
    town: Town,
    crs_option: str | None = None,
    coords: str = "wgs84",
) -> NDArray:
    """Polygons or lines → EPSG:4326; None for rows whose numbers cannot be degrees."""
    rows = table.frame["row"].to_numpy()
    crs = source_crs(table, crs_option)
    present = geoms != None  # noqa: E711
    if _is_degrees(crs) and present.any():
        bounds = shapely.bounds(geoms)
        xmax = np.fmax(np.abs(bounds[:, 0]), np.abs(bounds[:, 2]))
        ymax = np.fmax(np.abs(bounds[:, 1]), np.abs(bounds[:, 3]))
        centre_x = (bounds[:, 0] + bounds[:, 2]) / 2
        centre_y = (bounds[:, 1] + bounds[:, 3]) / 2
        bad = present & ((xmax > 180) | (ymax > 90))
        swapped = bad & (ymax <= 180) & (xmax <= 90)
        if swapped.any():
            report.add_rows(
                rows[swapped],
                "coordinates are not valid lon/lat",
                field="geometry",
                hint=SWAPPED_HINT,
            )
        projected = bad & ~swapped
        if projected.any():
            report.add_rows(
                rows[projected],
                "coordinates are out of the range of degrees (lon ±180, lat ±90)",
                field="geometry",
                hint=projected_hint(centre_x[projected], centre_y[projected], town),
            )
        geoms = _none_where(bad, geoms)
    transformer = _transformer(crs)
    if transformer is not None or coords == "gcj02":

        def move(xy: NDArray) -> NDArray:
            lon, lat = _transform_xy(xy[:, 0], xy[:, 1], crs, coords)
            return np.column_stack([lon, lat])

        geoms = shapely.transform(geoms, move)
    return geoms
