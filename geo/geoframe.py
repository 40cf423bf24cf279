"""The one way geometries come back from PostGIS: WKB columns decoded by shapely, vectorised.

Every reader selects its geometry as `ST_AsBinary(…) AS geom` (last or named column) and
hands the result here; nothing else decodes geometries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, Executable

from geo.models import SRID


def geoframe(
    rows: Sequence[Sequence[Any]], columns: Sequence[str], *, geom: str = "geom", crs: int = SRID
) -> gpd.GeoDataFrame:
    """Rows (with a WKB column named `geom`) as a GeoDataFrame with a `geometry` column."""
    frame = pd.DataFrame.from_records(list(rows), columns=list(columns))
    wkb = frame.pop(geom)
    values = [None if w is None else bytes(w) for w in wkb]
    geometry = shapely.from_wkb(values) if values else []
    return gpd.GeoDataFrame(frame, geometry=list(geometry), crs=crs)


def read_geoframe(
    conn: Connection,
    stmt: Executable,
    params: dict[str, Any] | None = None,
    *,
    geom: str = "geom",
    crs: int = SRID,
) -> gpd.GeoDataFrame:
    """Run a statement whose geometry column `geom` is WKB and decode the result."""
    result = conn.execute(stmt, params or {})
    return geoframe(result.all(), list(result.keys()), geom=geom, crs=crs)
