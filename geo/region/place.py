"""The placement rule of `geo.assign`, in geopandas, for one partition of points.

Same rule, same order of decisions as the PostGIS SQL:

1. the villages whose boundary covers the point (`covered_by`, boundary included, as
   `ST_Covers`); on a shared edge or node the lowest village id wins;
2. else the nearest village within the GPS tolerance, distances in metres in the metric
   CRS (both geometries transformed, as `ST_Distance(ST_Transform(…), ST_Transform(…))`),
   equal distances to the lowest id; the distance is kept as `outside_m`;
3. else no village (`village_id` missing).

Differences from `geo.assign`, both deliberate: no grid is looked up (a region's input has
no grids; the per-grid view stays a town's page), and distances are computed by GEOS on
coordinates projected by pyproj rather than by PostGIS on coordinates projected by its own
PROJ — the same library, so the results agree except for a point at exactly the tolerance
or exactly equidistant from two villages to the last bit (the test region checks every
issue's village against PostGIS).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.defaults import GPS_TOLERANCE_M, METRIC_SRID


def _lowest(points_idx: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per point index, the lowest id among its pairs: (point indices, ids)."""
    order = np.lexsort((ids, points_idx))
    p, v = points_idx[order], ids[order]
    first = np.unique(p, return_index=True)[1]
    return p[first], v[first]


class Villages:
    """The villages a worker places points in: geographic and metric, each with its index.

    Built once per worker (the object is broadcast; the spatial indexes are built lazily on
    first use and then kept with it).
    """

    def __init__(self, frame: gpd.GeoDataFrame, *, metric_srid: int = METRIC_SRID) -> None:
        self.ids = frame["id"].to_numpy(dtype=np.int64)
        self.town_of = pd.Series(frame["town_id"].to_numpy(dtype=np.int64), index=self.ids)
        self.geographic = gpd.GeoSeries(frame.geometry.to_numpy(), crs=frame.crs)
        self.metric_srid = metric_srid
        self._metric: gpd.GeoSeries | None = None

    @property
    def metric(self) -> gpd.GeoSeries:
        """The boundaries in the metric CRS (projected on first use)."""
        if self._metric is None:
            self._metric = self.geographic.to_crs(self.metric_srid)
        return self._metric


def place(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    villages: Villages,
    *,
    tolerance_m: float = GPS_TOLERANCE_M,
) -> pd.DataFrame:
    """village_id (Int64, missing when unplaced) and outside_m (NaN when covered) per point,
    aligned with `points`."""
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    n = len(geoms)
    village = np.full(n, -1, dtype=np.int64)
    outside = np.full(n, np.nan)
    values = geoms.to_numpy()
    if n:
        p, v = villages.geographic.sindex.query(values, predicate="covered_by")
        p, vid = _lowest(p, villages.ids[v])
        village[p] = vid
        rest = np.flatnonzero(village < 0)
        if rest.size:
            metric = gpd.GeoSeries(values[rest], crs=geoms.crs).to_crs(villages.metric_srid)
            (q, v), dist = villages.metric.sindex.nearest(
                metric.to_numpy(),
                max_distance=tolerance_m,
                return_all=True,
                return_distance=True,
            )
            ok = dist <= tolerance_m
            q, v, dist = q[ok], v[ok], dist[ok]
            q2, vid = _lowest(q, villages.ids[v])
            village[rest[q2]] = vid
            # every tie of a point has the same distance: take the first per point
            first = np.unique(q, return_index=True)[1]
            outside[rest[q[first]]] = dist[first]
    return pd.DataFrame(
        {
            "village_id": pd.arrays.IntegerArray(village, village < 0),
            "outside_m": outside,
        },
        index=geoms.index,
    )
