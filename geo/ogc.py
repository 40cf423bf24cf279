"""OGC API Features pieces that belong to the domain: coordinate reference systems (Part 2),
`bbox`/`bbox-crs` and `datetime` parsing, and a page of a layer read by the existing readers
(geo.frames, geo.sites) as GeoJSON features in the asked-for CRS.

Issues are paged in PostGIS by the one issue reader (`geo.issue_reader.geojson` with `srid`
and `swap_axes`); the other layers are small (villages, grids, communities, roads, chosen
sites) and are read whole by their readers, then filtered and paged here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS

from geo.errors import InvalidInput
from geo.issue_filter import check_date
from geo.models import SRID

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
"""WGS-84 longitude/latitude: the default CRS of OGC API Features (and of GeoJSON)."""
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{srid}"
CGCS2000 = 4490
"""China Geodetic Coordinate System 2000, geographic (latitude, longitude)."""

DEGREE_DECIMALS = 7
"""7 decimals of a degree ≈ 1 cm."""
METRE_DECIMALS = 3
"""Millimetres in a projected CRS."""


def epsg_uri(srid: int) -> str:
    """The OGC URI of an EPSG code."""
    return EPSG_URI.format(srid=srid)


@lru_cache(maxsize=32)
def _north_first(srid: int) -> bool:
    """Whether the EPSG definition lists the northing/latitude axis first."""
    axes = CRS.from_epsg(srid).axis_info
    return bool(axes) and axes[0].direction.lower() in ("north", "south")


@lru_cache(maxsize=32)
def _is_geographic(srid: int) -> bool:
    return bool(CRS.from_epsg(srid).is_geographic)


@dataclass(frozen=True)
class OutputCrs:
    """A CRS features are written in (or a bbox is given in)."""

    uri: str
    srid: int
    """The PostGIS SRID coordinates are transformed to (CRS84 is EPSG:4326 with lon/lat)."""
    swap_axes: bool
    """True when the CRS's first axis is latitude/northing (EPSG:4326, 4490, 4527 …):
    coordinates are then written (lat, lon) or (northing, easting), as Part 2 requires."""

    @property
    def decimals(self) -> int:
        return DEGREE_DECIMALS if _is_geographic(self.srid) else METRE_DECIMALS


def supported_crs(metric_srids: Sequence[int]) -> list[str]:
    """The CRS every collection offers: CRS84 first (the default), then EPSG:4326,
    EPSG:4490 (CGCS2000) and the metric CRS of each town the caller reads (`metric_srids`,
    each once, in the order given)."""
    out = [CRS84]
    for srid in (SRID, CGCS2000, *metric_srids):
        uri = epsg_uri(srid)
        if uri not in out:
            out.append(uri)
    return out


def _srid_of(value: str) -> int | None:
    """EPSG code from a URI, a URN, a CURIE ('[EPSG:4490]') or 'EPSG:4490'; None for CRS84."""
    text = value.strip().strip("[]")
    low = text.lower()
    if low in ("crs84", "ogc:crs84", CRS84.lower(), "urn:ogc:def:crs:ogc:1.3:crs84"):
        return None
    for prefix in (
        "http://www.opengis.net/def/crs/epsg/0/",
        "https://www.opengis.net/def/crs/epsg/0/",
        "urn:ogc:def:crs:epsg::",
        "urn:ogc:def:crs:epsg:",
        "epsg:",
    ):
        if low.startswith(prefix) and low[len(prefix) :].isdigit():
            return int(low[len(prefix) :])
    return -1


def parse_crs(value: str | None, *, metric_srids: Sequence[int], field: str = "crs") -> OutputCrs:
    """The CRS named by a `crs` or `bbox-crs` parameter (default CRS84), or InvalidInput
    naming the field and listing the supported ones (`supported_crs(metric_srids)`)."""
    if value is None or not value.strip():
        return OutputCrs(CRS84, SRID, swap_axes=False)
    srid = _srid_of(value)
    if srid is None:
        return OutputCrs(CRS84, SRID, swap_axes=False)
    supported = supported_crs(metric_srids)
    if srid < 0 or epsg_uri(srid) not in supported:
        raise InvalidInput(
            f"unsupported CRS {value!r}; expected one of {', '.join(supported)}", field=field
        )
    return OutputCrs(epsg_uri(srid), srid, swap_axes=_north_first(srid))


class Envelope(NamedTuple):
    """A box in some CRS, x = easting/longitude, y = northing/latitude (PostGIS order)."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    srid: int

    def polygon_4326(self) -> shapely.Geometry:
        """The box (its four corners, edges straight) in EPSG:4326 lon/lat."""
        box = shapely.box(self.minx, self.miny, self.maxx, self.maxy)
        if self.srid == SRID:
            return box
        return gpd.GeoSeries([box], crs=self.srid).to_crs(SRID).iloc[0]


def parse_bbox(value: str, crs: OutputCrs, *, field: str = "bbox") -> Envelope:
    """`bbox` (4 or 6 numbers, in the axis order of `bbox-crs`) → an Envelope."""
    parts = [p.strip() for p in value.split(",")]
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        numbers = []
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise InvalidInput(
            f"expected 4 (or 6) comma-separated numbers in the axis order of bbox-crs"
            f" ({crs.uri}), got {value!r}",
            field=field,
        )
    if len(numbers) == 6:  # lower corner x, y, z; upper corner x, y, z: heights are ignored
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    a1, b1, a2, b2 = numbers
    minx, miny, maxx, maxy = (b1, a1, b2, a2) if crs.swap_axes else (a1, b1, a2, b2)
    if _is_geographic(crs.srid):
        order = "lat,lon" if crs.swap_axes else "lon,lat"
        lon_ok = -180 <= minx <= 180 and -180 <= maxx <= 180
        if not (lon_ok and -90 <= miny <= 90 and -90 <= maxy <= 90):
            raise InvalidInput(
                f"coordinates out of range for {crs.uri} (axis order {order})", field=field
            )
    if minx > maxx or miny > maxy:
        raise InvalidInput("expected the lower corner first, then the upper one", field=field)
    if not _is_geographic(crs.srid):
        minx, miny, maxx, maxy = _within_area_of_use(minx, miny, maxx, maxy, crs, field=field)
    return Envelope(minx, miny, maxx, maxy, crs.srid)


@lru_cache(maxsize=32)
def _projected_area_of_use(srid: int) -> tuple[float, float, float, float] | None:
    """Where a projected CRS is defined, in its own x (easting) and y (northing)."""
    from pyproj import Transformer

    area = CRS.from_epsg(srid).area_of_use
    if area is None:
        return None
    to_crs = Transformer.from_crs(SRID, srid, always_xy=True)
    return tuple(to_crs.transform_bounds(*area.bounds))  # type: ignore[return-value]


def _within_area_of_use(
    minx: float, miny: float, maxx: float, maxy: float, crs: OutputCrs, *, field: str
) -> tuple[float, float, float, float]:
    """A projected box cut to where its CRS is defined (PostGIS cannot transform a point far
    outside it: it was a 500); a box wholly outside is refused, naming the axis order."""
    bounds = _projected_area_of_use(crs.srid)
    if bounds is None:
        return minx, miny, maxx, maxy
    x0, y0, x1, y1 = bounds
    if maxx < x0 or minx > x1 or maxy < y0 or miny > y1:
        order = "northing,easting" if crs.swap_axes else "easting,northing"
        first, second = ((y0, y1), (x0, x1)) if crs.swap_axes else ((x0, x1), (y0, y1))
        raise InvalidInput(
            f"the box lies outside where {crs.uri} is defined; expected its axis order"
            f" {order}, the first from {first[0]:.0f} to {first[1]:.0f}, the second from"
            f" {second[0]:.0f} to {second[1]:.0f}",
            field=field,
        )
    return max(minx, x0), max(miny, y0), min(maxx, x1), min(maxy, y1)


def _instant(text: str, *, field: str) -> date:
    try:
        if "T" in text or " " in text:
            return check_date(
                datetime.fromisoformat(text.replace("Z", "+00:00")).date(), field=field
            )
        return check_date(date.fromisoformat(text), field=field)
    except ValueError:
        raise InvalidInput(
            f"expected a date or date-time (RFC 3339), or an interval 'start/end' with '..'"
            f" for an open end, got {text!r}",
            field=field,
        ) from None


def parse_datetime(value: str, *, field: str = "datetime") -> tuple[date | None, date | None]:
    """`datetime` (an instant or an interval, '..' open) → (first day, last day)."""
    text = value.strip()
    if "/" not in text:
        day = _instant(text, field=field)
        return day, day
    start, _, end = text.partition("/")
    first = None if start.strip() in ("", "..") else _instant(start.strip(), field=field)
    last = None if end.strip() in ("", "..") else _instant(end.strip(), field=field)
    if first is None and last is None:
        raise InvalidInput("an interval needs at least one end", field=field)
    if first and last and first > last:
        raise InvalidInput(f"expected start ≤ end, got {text!r}", field=field)
    return first, last


def _plain(value: Any) -> Any:
    """A JSON value for a cell of a frame."""
    if value is None:
        return None
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    try:
        if value is gpd.pd.NaT or gpd.pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return value


def _geometry(geom: Any, crs: OutputCrs) -> Any:
    if geom is None or (isinstance(geom, float) and math.isnan(geom)) or geom.is_empty:
        return None
    decimals = crs.decimals

    def write(coords: np.ndarray) -> np.ndarray:
        out = np.round(coords, decimals)
        return out[:, ::-1] if crs.swap_axes else out

    return json.loads(shapely.to_geojson(shapely.transform(geom, write)))


@dataclass(frozen=True)
class FramePage:
    """One page of a layer: its features (GeoJSON dicts) and the matches over all pages."""

    features: list[dict[str, Any]]
    matched: int


def frame_page(
    frame: gpd.GeoDataFrame,
    *,
    id_column: str,
    crs: OutputCrs,
    envelope: Envelope | None = None,
    limit: int | None = None,
    offset: int = 0,
    ids: tuple[str, ...] | None = None,
) -> FramePage:
    """Features of a reader's frame (EPSG:4326): those intersecting `envelope`, with the
    given ids, a page of them, written in `crs`."""
    if ids is not None:
        frame = frame[frame[id_column].astype(str).isin(ids)]
    if envelope is not None:
        box = envelope.polygon_4326()
        geoms = frame.geometry
        frame = frame[geoms.notna() & geoms.intersects(box)]
    matched = len(frame)
    end = None if limit is None else offset + limit
    page = frame.iloc[offset:end]
    if crs.srid != SRID and not page.empty:
        page = page.to_crs(crs.srid)
    columns = [c for c in page.columns if c != page.geometry.name]
    features = []
    for record, geom in zip(page[columns].to_dict("records"), page.geometry.values, strict=True):
        features.append(
            {
                "type": "Feature",
                "id": _plain(record[id_column]),
                "geometry": _geometry(geom, crs),
                "properties": {k: _plain(v) for k, v in record.items()},
            }
        )
    return FramePage(features, matched)


def extent_4326(frame: gpd.GeoDataFrame) -> list[float] | None:
    """[west, south, east, north] of a frame, rounded outwards to 1e-6°, or None."""
    geoms = frame.geometry.dropna()
    if geoms.empty:
        return None
    west, south, east, north = (float(v) for v in geoms.total_bounds)
    return [
        math.floor(west * 1e6) / 1e6,
        math.floor(south * 1e6) / 1e6,
        math.ceil(east * 1e6) / 1e6,
        math.ceil(north * 1e6) / 1e6,
    ]
