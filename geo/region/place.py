"""The placement rule of `geo.assign`, in geopandas, for one partition of points.

Same rule, same order of decisions as the PostGIS SQL:

1. the villages whose boundary covers the point (`covered_by`, boundary included, as
   `ST_Covers`); on a shared edge or node the lowest village id wins;
2. else the nearest village within the GPS tolerance, distances in metres in the metric
   CRS (both geometries transformed, as `ST_Distance(ST_Transform(…), ST_Transform(…))`),
   equal distances to the lowest id; the distance is kept as `outside_m`;
3. else no village (`village_id` missing);

and, as `geo.assign` does once a database has towns, only among the villages of the town
the point was recorded in (its `town_id`; any town when it has none). `analyse(...,
within_town=False)` (`--any-town`) places among every village, as a database without
towns does.

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
import shapely

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
    towns: np.ndarray | None = None,
) -> pd.DataFrame:
    """village_id (Int64, missing when unplaced) and outside_m (NaN when covered) per point,
    aligned with `points`. With `towns` (the town each point was recorded in, -1 for none)
    a point is placed only among its town's villages, as `geo.assign` does."""
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    n = len(geoms)
    village = np.full(n, -1, dtype=np.int64)
    outside = np.full(n, np.nan)
    values = geoms.to_numpy()
    village_town = villages.town_of.to_numpy()

    def same_town(p: np.ndarray, v: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        if towns is None:
            return np.ones(p.size, dtype=bool)
        t = towns[p if where is None else where[p]]
        return (t < 0) | (t == village_town[v])

    if n:
        p, v = villages.geographic.sindex.query(values, predicate="covered_by")
        keep = same_town(p, v)
        p, vid = _lowest(p[keep], villages.ids[v[keep]])
        village[p] = vid
        rest = np.flatnonzero(village < 0)
        if rest.size:
            metric = gpd.GeoSeries(values[rest], crs=geoms.crs).to_crs(villages.metric_srid)
            near = metric.to_numpy()
            q, v = villages.metric.sindex.query(near, predicate="dwithin", distance=tolerance_m)
            keep = same_town(q, v, rest)
            q, v = q[keep], v[keep]
            dist = shapely.distance(near[q], villages.metric.to_numpy()[v])
            ok = dist <= tolerance_m
            q, v, dist = q[ok], v[ok], dist[ok]
            # nearest first, then the lowest id (ORDER BY distance, v.id LIMIT 1)
            ids = villages.ids[v]
            order = np.lexsort((ids, dist, q))
            q, ids, dist = q[order], ids[order], dist[order]
            first = np.unique(q, return_index=True)[1]
            village[rest[q[first]]] = ids[first]
            outside[rest[q[first]]] = dist[first]
    return pd.DataFrame(
        {
            "village_id": pd.arrays.IntegerArray(village, village < 0),
            "outside_m": outside,
        },
        index=geoms.index,
    )
