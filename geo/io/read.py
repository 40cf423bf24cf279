"""How a file becomes a table: any supported format → attributes, geometries and row numbers.

Rows are numbered as a person finds them: in a spreadsheet (CSV, XLSX) the row number the
program shows, header included; in GeoJSON, GeoPackage, Shapefile and KML the feature
number, from 1.
"""

from __future__ import annotations

import csv
import io
import math
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo.errors import InvalidInput, TooLarge
from geo.io.columns import canonical_names, looks_like_header
from geo.io.dbf import inspect_dbf

VECTOR = {".geojson", ".json", ".gpkg", ".shp", ".kml", ".kmz", ".zip", ".fgb", ".gml"}
FORMATS_HELP = "GeoJSON, GeoPackage, Shapefile (.shp or .zip), KML/KMZ, CSV or XLSX"
_HEADER_SEARCH_ROWS = 20
_KML_EXTRAS = (
    "description",
    "timestamp",
    "begin",
    "end",
    "altitudeMode",
    "tessellate",
    "extrude",
    "visibility",
    "drawOrder",
    "icon",
)


@dataclass
class SourceTable:
    """A file read as it is: recognised columns renamed to canonical fields, rows numbered."""

    frame: pd.DataFrame
    """Attributes; canonical names for recognised columns, and `row` (the row a person sees)."""
    geometry: np.ndarray | None
    """Shapely geometries (or None) aligned with `frame`, when the file carries geometries."""
    crs: CRS | None
    unit: str
    tabular: bool
    labels: dict[str, str] = field(default_factory=dict)
    """Canonical field → the header as written in the file (for messages)."""
    notes: list[str] = field(default_factory=list)
    """Things decided while reading that the report should mention (e.g. encoding guessed)."""

    def label(self, name: str) -> str:
        """The header a person sees for a canonical field."""
        return self.labels.get(name, name)


def read_source(
    path: Path,
    *,
    kind: str,
    layer: str | None = None,
    encoding: str | None = None,
    max_polygon_vertices: int | None = None,
) -> SourceTable:
    """Read any supported file; InvalidInput names what is wrong with the file itself.

    `max_polygon_vertices` (the caller's limit, None: none) also bounds what GDAL parses of
    a GeoJSON before any vertex is counted (`geojson_feature_cap`)."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(f"file not found: {path}", field="file")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        table = _read_csv(path, kind=kind, encoding=encoding)
    elif suffix in {".xlsx", ".xlsm"}:
        table = _read_excel(path, kind=kind, sheet=layer)
    elif suffix == ".xls":
        raise InvalidInput(
            "old .xls workbooks are not read; save it as .xlsx (Excel: 另存为 → .xlsx)",
            field="file",
        )
    elif suffix in VECTOR:
        with geojson_feature_cap(max_polygon_vertices):
            table = _read_vector(path, layer=layer, encoding=encoding)
    else:
        raise InvalidInput(
            f"unsupported file type {suffix or '(none)'}; expected {FORMATS_HELP}", field="file"
        )
    mapping = canonical_names(kind, [c for c in table.frame.columns if c != "row"])
    table.frame = table.frame.rename(columns=mapping)
    table.labels = {canonical: original for original, canonical in mapping.items()}
    return table


def _header_row(kind: str, rows: list[list[object]]) -> int:
    for index, cells in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        if looks_like_header(kind, cells):
            return index
    for index, cells in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        if any(c is not None and str(c).strip() for c in cells):
            return index
    raise InvalidInput("the sheet is empty", field="file")


def _table(kind: str, rows: list[list[object]]) -> pd.DataFrame:
    """Rows of cells → a frame under the detected header row, numbered as the person sees."""
    start = _header_row(kind, rows)
    header = [str(c).strip() if c is not None else "" for c in rows[start]]
    header = [h or f"column {i + 1}" for i, h in enumerate(header)]
    body = rows[start + 1 :]
    width = len(header)
    frame = pd.DataFrame([list(r[:width]) + [None] * (width - len(r)) for r in body], dtype=object)
    if frame.empty:
        frame = pd.DataFrame(columns=header, dtype=object)
    else:
        frame.columns = pd.Index(header)
    frame["row"] = np.arange(len(frame)) + start + 2
    blank = frame.drop(columns="row").apply(_is_blank).all(axis=1)
    return frame.loc[~blank].reset_index(drop=True)


def _is_blank(column: pd.Series) -> pd.Series:
    return column.isna() | (column.astype(str).str.strip() == "")


def _decode_csv(path: Path, encoding: str | None, notes: list[str]) -> str:
    raw = path.read_bytes()
    if encoding:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"the file cannot be read as {encoding}: {exc}", field="--encoding"
            ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise InvalidInput(
            "the CSV is neither UTF-8 nor GBK; pass --encoding (e.g. --encoding GBK)",
            field="--encoding",
        ) from None
    notes.append("CSV is not UTF-8: read as GBK (GB18030); pass --encoding to choose another")
    return text


def _read_csv(path: Path, *, kind: str, encoding: str | None) -> SourceTable:
    notes: list[str] = []
    text = _decode_csv(path, encoding, notes)
    sample = text[:20_000]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    head = list(csv.reader(io.StringIO(sample), delimiter=delimiter))[:_HEADER_SEARCH_ROWS]
    start = _header_row(kind, [list(r) for r in head])
    frame = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        skiprows=start,
        header=0,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
        na_filter=False,
    )
    frame.columns = pd.Index(
        [str(c).strip() if not str(c).startswith("Unnamed:") else "" for c in frame.columns]
    )
    frame.columns = pd.Index([c or f"column {i + 1}" for i, c in enumerate(frame.columns)])
    frame["row"] = np.arange(len(frame)) + start + 2
    cells = frame.drop(columns="row")
    blank = (cells.apply(lambda c: c.str.strip() == "")).all(axis=1)
    frame = frame.loc[~blank].reset_index(drop=True)
    frame = _blank_to_none(frame)
    return SourceTable(frame, None, None, "row", True, notes=notes)


def _blank_to_none(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column != "row":
            values = frame[column].astype(object)
            frame[column] = values.where(values != "", None)
    return frame


def _read_excel(path: Path, *, kind: str, sheet: str | None) -> SourceTable:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InvalidInput(f"not a readable .xlsx workbook: {exc}", field="file") from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise InvalidInput(
                f"no sheet {sheet!r}; the workbook has {', '.join(book.sheetnames)}",
                field="--layer",
            )
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    frame = _table(kind, rows)
    return SourceTable(frame, None, None, "row", True)


GEOJSON_BYTES_PER_VERTEX = 64
"""Room for one vertex in GeoJSON text: `[117.12345678901234, 39.12345678901234], ` is about
42 bytes; the rest is headroom for properties and indentation."""

_GDAL_FEATURE_CAP = "OGR_GEOJSON_MAX_OBJ_SIZE"
_TOO_BIG_FOR_GDAL = "too complex/large"


_cap_lock = threading.Lock()
_cap_readers = 0
_cap_before: str | None = None


@contextmanager
def geojson_feature_cap(max_polygon_vertices: int | None) -> Iterator[None]:
    """While reading: GDAL refuses a GeoJSON feature longer than `max_polygon_vertices`
    vertices could take as text, before parsing it.

    GDAL's GeoJSON driver builds each feature as a JSON tree first: a 20 MB feature of
    500,000 vertices took 264 MB (kept by the allocator afterwards) before the vertex
    limit could even count it. GDAL's own `OGR_GEOJSON_MAX_OBJ_SIZE` (MB, default 200)
    stops it at the first byte past the cap; a feature under the cap is then counted
    exactly by `geo.io.limits.check_size`. The option is process-wide, and imports run in
    the service's threadpool: it is set while any capped read runs (every caller in the
    service passes the same limit) and put back when the last one ends."""
    global _cap_readers, _cap_before
    if max_polygon_vertices is None:
        yield
        return
    cap_mb = math.ceil(max_polygon_vertices * GEOJSON_BYTES_PER_VERTEX / 1_000_000) + 1
    with _cap_lock:
        if _cap_readers == 0:
            _cap_before = pyogrio.get_gdal_config_option(_GDAL_FEATURE_CAP)
        _cap_readers += 1
        pyogrio.set_gdal_config_options({_GDAL_FEATURE_CAP: str(cap_mb)})
    try:
        yield
    except InvalidInput as exc:
        if _TOO_BIG_FOR_GDAL not in exc.message:
            raise
        raise TooLarge(
            f"a feature of the file is over {cap_mb} MB of GeoJSON text, more than"
            f" {max_polygon_vertices:,} vertices could take; at most"
            f" {max_polygon_vertices:,} vertices per geometry (simplify it, e.g. QGIS 简化 /"
            " Simplify, or split it)",
            limit="CUNRONG_MAX_POLYGON_VERTICES",
            field="geometry",
        ) from None
    finally:
        with _cap_lock:
            _cap_readers -= 1
            if _cap_readers == 0:
                pyogrio.set_gdal_config_options({_GDAL_FEATURE_CAP: _cap_before})


def _layers(path: str) -> list[tuple[str, str | None]]:
    try:
        return [(str(name), geom) for name, geom in pyogrio.list_layers(path)]
    except Exception as exc:
        raise InvalidInput(f"not a readable geodata file: {exc}", field="file") from None


def _ogr_path(path: Path) -> str:
    if path.suffix.lower() != ".zip":
        return str(path)
    with zipfile.ZipFile(path) as archive:
        shps = [n for n in archive.namelist() if n.lower().endswith(".shp")]
    if len(shps) != 1:
        raise InvalidInput(
            f"a .zip must hold exactly one shapefile (.shp); found {len(shps)}", field="file"
        )
    return f"/vsizip/{path}/{shps[0]}"


def _shapefile_encoding(path: Path, notes: list[str]) -> str | None:
    """The encoding to read a .dbf without .cpg with, or an error saying to pass one.

    Not UTF-8 but cleanly GBK (the usual case for Chinese files from ArcGIS/older QGIS):
    read as GBK, and say so in the report's warnings.
    """
    if path.suffix.lower() == ".zip":
        return None
    found = inspect_dbf(path)
    if found.declared or found.ascii_only:
        return None
    if found.utf8:
        return "UTF-8"
    bad = found.first_undecodable
    if found.gbk:
        sample = f" (e.g. {bad.as_gbk!r})" if bad and bad.as_gbk else ""
        notes.append(
            "the .dbf has no .cpg and is not UTF-8; its text decodes cleanly as GBK, so it was"
            f" read as GBK{sample}; pass --encoding to choose another /"
            " 缺少 .cpg 文件, 已按 GBK 读取"
        )
        return "GBK"
    where = f"row {bad.row}" if bad and bad.row else "a field name"
    preview = f" (as GBK it reads {bad.as_gbk!r})" if bad and bad.as_gbk else ""
    raise InvalidInput(
        f"the .dbf has no .cpg and its text is not UTF-8 ({where}, field "
        f"{bad.field if bad else '?'}{preview}); pass --encoding GBK "
        "(or the encoding it was saved in) / 缺少 .cpg 文件, 请加 --encoding GBK",
        field="--encoding",
        row=bad.row if bad else None,
    )


def _read_vector(path: Path, *, layer: str | None, encoding: str | None) -> SourceTable:
    source = _ogr_path(path)
    suffix = path.suffix.lower()
    notes: list[str] = []
    if encoding is None and suffix == ".shp":
        encoding = _shapefile_encoding(path, notes)
    layers = _layers(source)
    if layer is not None and layer not in {name for name, _ in layers}:
        names = ", ".join(name for name, _ in layers)
        raise InvalidInput(f"no layer {layer!r}; the file has {names}", field="--layer")
    if layer is not None:
        chosen = [layer]
    elif len(layers) <= 1 or suffix in {".shp", ".zip", ".geojson", ".json"}:
        chosen = [layers[0][0]] if layers else []
    else:
        chosen = [name for name, _ in layers if _count(source, name) > 0]
        if len(chosen) > 1 and suffix not in {".kml", ".kmz"}:
            raise InvalidInput(
                f"the file has several layers ({', '.join(chosen)}); pass --layer NAME",
                field="--layer",
            )
    frames = []
    crs = None
    for name in chosen:
        try:
            gdf = pyogrio.read_dataframe(source, layer=name, encoding=encoding)
        except Exception as exc:
            raise InvalidInput(f"cannot read layer {name!r}: {exc}", field="file") from None
        if gdf.crs is not None:
            crs = CRS.from_user_input(gdf.crs)
        frames.append(gdf)
    if not frames:
        raise InvalidInput("the file has no layers", field="file")
    gdf = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    geometry = shapely.force_2d(np.asarray(gdf.geometry.array, dtype=object))
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).astype(object)
    attrs = attrs.where(attrs.notna(), None)
    if suffix in {".kml", ".kmz"}:
        # LIBKML adds the placemark's own id and styling fields; they are not ours.
        attrs = attrs.rename(columns={"id": "kml_id"})
        extras = [c for c in _KML_EXTRAS if c in attrs and attrs[c].isna().all()]
        attrs = attrs.drop(columns=extras)
    attrs["row"] = np.arange(len(attrs)) + 1
    return SourceTable(attrs, geometry, crs, "feature", False, notes=notes)


def _count(source: str, layer: str) -> int:
    try:
        return int(pyogrio.read_info(source, layer=layer)["features"])
    except Exception:
        return 0
