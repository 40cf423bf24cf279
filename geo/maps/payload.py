"""How frames travel into a page: safe JSON, rounded GeoJSON, compact point columns."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InvalidInput

_SCRIPT_UNSAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

POINT_SCALE = 100_000
"""Points travel as integers of 1e-5 degree (about 1 m) from the selection's corner."""


def js_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no '</script>', no HTML comment)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).translate(
        _SCRIPT_UNSAFE
    )


def check_color(value: str, *, field: str) -> str:
    """A '#rrggbb' colour, or InvalidInput naming the field."""
    if not isinstance(value, str) or not _COLOR.match(value):
        raise InvalidInput(f"expected a colour like '#1f77b4', got {value!r}", field=field)
    return value


def check_frame(
    frame: gpd.GeoDataFrame, *, name: str, columns: Sequence[str], geom_types: Sequence[str]
) -> None:
    """InvalidInput unless the frame is in EPSG:4326 with the columns and geometry types asked."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidInput(f"expected a GeoDataFrame, got {type(frame).__name__}", field=name)
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise InvalidInput(f"expected geometries in EPSG:4326, got {frame.crs}", field=name)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(f"missing column(s) {', '.join(missing)}", field=name)
    if frame.empty:
        return
    kinds = frame.geometry.geom_type
    bad = ~kinds.isin(list(geom_types))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidInput(
            f"expected {' or '.join(geom_types)} geometries, got {kinds.iloc[row]}",
            field=f"{name}.geometry",
            row=row,
        )


def geojson(
    frame: gpd.GeoDataFrame, properties: Sequence[dict[str, Any]], *, decimals: int = 6
) -> dict[str, Any]:
    """A FeatureCollection of the frame's geometries (rounded) with the given properties."""
    geoms = shapely.transform(frame.geometry.values, lambda c: np.round(c, decimals))
    texts = shapely.to_geojson(geoms)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(g), "properties": p}
            for g, p in zip(texts, properties, strict=True)
        ],
    }


def check_villages(villages: gpd.GeoDataFrame) -> None:
    """InvalidInput unless `villages` has `code`, `name` and polygon geometries."""
    check_frame(
        villages, name="villages", columns=("code", "name"), geom_types=("Polygon", "MultiPolygon")
    )


def label_points(frame: gpd.GeoDataFrame, *, decimals: int = 6) -> list[list[float]]:
    """Where each polygon's label goes, as [lat, lon]: a point surely inside it."""
    pts = shapely.point_on_surface(frame.geometry.values)
    return [
        [round(float(y), decimals), round(float(x), decimals)]
        for x, y in zip(shapely.get_x(pts), shapely.get_y(pts), strict=True)
    ]


def point_columns(lon: np.ndarray, lat: np.ndarray) -> dict[str, Any]:
    """Coordinates as integer offsets from the south-west corner (one short number each)."""
    if len(lon) == 0:
        return {"origin": [0.0, 0.0], "scale": POINT_SCALE, "x": [], "y": []}
    x0 = np.floor(np.min(lon) * POINT_SCALE) / POINT_SCALE
    y0 = np.floor(np.min(lat) * POINT_SCALE) / POINT_SCALE
    return {
        "origin": [float(x0), float(y0)],
        "scale": POINT_SCALE,
        "x": np.rint((lon - x0) * POINT_SCALE).astype(np.int64).tolist(),
        "y": np.rint((lat - y0) * POINT_SCALE).astype(np.int64).tolist(),
    }


def string_table(values: pd.Series, *, max_chars: int | None = None) -> dict[str, list] | None:
    """Texts as indices into their distinct values (descriptions repeat a lot in practice)."""
    texts = values.astype("string").fillna("")
    if max_chars is not None:
        long = texts.str.len() > max_chars
        texts = texts.where(~long, texts.str.slice(0, max_chars - 1) + "…")
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    if len(uniques) == 1 and uniques[0] == "":
        return None
    return {"k": codes.tolist(), "v": [str(u) for u in uniques]}


def day_numbers(values: pd.Series, origin: int) -> list[int | None]:
    """Dates as whole days after `origin` (days since 1970-01-01), None when missing."""
    days = pd.to_datetime(values, errors="raise").to_numpy().astype("datetime64[D]")
    ints = days.astype(np.int64) - origin
    missing = np.isnat(days)
    return [None if m else int(v) for v, m in zip(ints, missing, strict=True)]
