"""Where do issues concentrate more than chance allows? Getis-Ord Gi* on a hexagon or square grid.

The statistic is the textbook Gi* (Ord & Getis 1995) with binary weights that include the
cell itself: for cell i with neighbourhood N(i) (i and the cells touching it),

    Gi* = (Σ_{j∈N(i)} x_j − x̄·|N(i)|) / (S · √((n·|N(i)| − |N(i)|²) / (n − 1)))

where x̄ and S = √(Σx²/n − x̄²) are the mean and standard deviation of the counts over all
n cells of the study area (empty cells included). Gi* is itself a z-score; p-values are
two-sided from the normal distribution, so no permutation (and no numba) is needed.
Pure: GeoDataFrames in, a GeoDataFrame out.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from shapely.geometry import Polygon

from geo.defaults import METRIC_SRID
from geo.errors import InvalidInput

GridKind = Literal["hex", "square"]

CONFIDENCE_LEVELS: tuple[tuple[int, float], ...] = ((99, 0.01), (95, 0.05), (90, 0.10))
"""Confidence (%) and the two-sided p-value below which a cell is a hot or cold spot."""

HEX_RESOLUTION = 9
"""H3 resolution 9: cells of about 0.1 km² (edge ≈ 200 m) — a few dozen per village."""

SQUARE_CELL_M = 300.0


def _area_union(area: gpd.GeoDataFrame) -> shapely.Geometry:
    if area.crs is None or area.crs.to_epsg() != 4326:
        raise InvalidInput(f"expected the study area in EPSG:4326, got {area.crs}", field="area")
    if area.empty:
        raise InvalidInput("the study area is empty (no village selected)", field="area")
    return shapely.union_all(area.geometry.values)


def hex_cells(
    area: gpd.GeoDataFrame,
    *,
    resolution: int = HEX_RESOLUTION,
    points: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """The H3 cells whose centre lies in the study area, plus those holding any point.

    Centre containment keeps slivers along the boundary out (they would look like cold
    spots only because most of them lies outside the town).
    """
    if not 5 <= resolution <= 12:
        raise InvalidInput(
            f"expected an H3 resolution between 5 and 12, got {resolution}", field="resolution"
        )
    shape = h3.geo_to_h3shape(_area_union(area).__geo_interface__)
    cells = set(h3.h3shape_to_cells(shape, resolution))
    if points is not None and not points.empty:
        xs, ys = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
        cells.update(h3.latlng_to_cell(y, x, resolution) for x, y in zip(xs, ys, strict=True))
    return _hex_frame(sorted(cells))


def _hex_frame(cells: list[str]) -> gpd.GeoDataFrame:
    """The cells as polygons (lon, lat). Hexagons (six vertices) are built in one vectorised
    call; pentagons and cells whose boundary crosses an icosahedron edge one by one."""
    bounds = [h3.cell_to_boundary(c) for c in cells]
    polys = np.empty(len(cells), dtype=object)
    six = np.array([len(b) == 6 for b in bounds], dtype=bool)
    if six.any():
        ring = np.array([b for b, ok in zip(bounds, six, strict=True) if ok], dtype=float)
        polys[six] = shapely.polygons(ring[:, :, ::-1])
    for i in np.flatnonzero(~six):
        polys[i] = Polygon([(lng, lat) for lat, lng in bounds[i]])
    return gpd.GeoDataFrame({"cell": cells}, geometry=list(polys), crs=4326)


def square_cells(
    area: gpd.GeoDataFrame,
    *,
    cell_m: float = SQUARE_CELL_M,
    metric_srid: int = METRIC_SRID,
    points: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Square cells of `cell_m` metres (metric CRS) centred in the area or holding a point."""
    if not 20 <= cell_m <= 5000:
        raise InvalidInput(f"expected a cell size of 20–5000 m, got {cell_m}", field="cell_m")
    union = gpd.GeoSeries([_area_union(area)], crs=4326).to_crs(metric_srid).iloc[0]
    west, south, east, north = union.bounds
    cols = max(1, int(np.ceil((east - west) / cell_m)))
    rows = max(1, int(np.ceil((north - south) / cell_m)))
    r, c = np.divmod(np.arange(rows * cols), cols)
    centres = shapely.points(west + (c + 0.5) * cell_m, south + (r + 0.5) * cell_m)
    keep = shapely.contains(union, centres)
    if points is not None and not points.empty:
        xy = points.geometry.to_crs(metric_srid)
        pc = np.floor((xy.x.to_numpy() - west) / cell_m).astype(np.int64)
        pr = np.floor((xy.y.to_numpy() - south) / cell_m).astype(np.int64)
        inside = (pc >= 0) & (pc < cols) & (pr >= 0) & (pr < rows)
        keep[pr[inside] * cols + pc[inside]] = True
    r, c = r[keep], c[keep]
    boxes = shapely.box(
        west + c * cell_m, south + r * cell_m, west + (c + 1) * cell_m, south + (r + 1) * cell_m
    )
    frame = gpd.GeoDataFrame(
        {"cell": [f"r{a}c{b}" for a, b in zip(r, c, strict=True)], "row": r, "col": c},
        geometry=boxes,
        crs=metric_srid,
    )
    return frame.to_crs(4326)


def neighbours(cells: gpd.GeoDataFrame) -> sparse.csr_array:
    """Binary weights with the cell itself: H3 ring 1, or queen contiguity on square cells."""
    n = len(cells)
    index = {c: i for i, c in enumerate(cells["cell"])}
    rows: list[int] = []
    cols: list[int] = []
    if "row" in cells.columns and "col" in cells.columns:
        pos = {
            (int(a), int(b)): i
            for i, (a, b) in enumerate(zip(cells["row"], cells["col"], strict=True))
        }
        for (a, b), i in pos.items():
            for da in (-1, 0, 1):
                for db in (-1, 0, 1):
                    j = pos.get((a + da, b + db))
                    if j is not None:
                        rows.append(i)
                        cols.append(j)
    else:
        for cell, i in index.items():
            for other in h3.grid_disk(cell, 1):
                j = index.get(other)
                if j is not None:
                    rows.append(i)
                    cols.append(j)
    data = np.ones(len(rows))
    return sparse.csr_array((data, (rows, cols)), shape=(n, n))


def gi_star(values: np.ndarray, weights: sparse.csr_array) -> np.ndarray:
    """Getis-Ord Gi* z-scores for `values` with binary `weights` (self included)."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n < 3:
        raise InvalidInput(f"Gi* needs at least 3 cells, got {n}", field="cells")
    mean = x.mean()
    sd = np.sqrt(max((x * x).mean() - mean * mean, 0.0))
    w_sum = np.asarray(weights.sum(axis=1)).ravel()
    w_sq = np.asarray(weights.multiply(weights).sum(axis=1)).ravel()
    numerator = weights @ x - mean * w_sum
    spread = (n * w_sq - w_sum**2) / (n - 1)
    denominator = sd * np.sqrt(np.clip(spread, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(denominator > 0, numerator / denominator, 0.0)
    return z


def classify(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two-sided p-values, spot ('hot' / 'cold' / 'none') and confidence (99/95/90/0)."""
    from scipy.stats import norm  # here: SciPy's stats take ≈ 1 s to import

    p = 2.0 * norm.sf(np.abs(z))
    confidence = np.zeros(z.shape, dtype=np.int64)
    for level, alpha in reversed(CONFIDENCE_LEVELS):
        confidence = np.where(p < alpha, level, confidence)
    spot = np.where(confidence == 0, "none", np.where(z > 0, "hot", "cold"))
    return p, spot, confidence


def count_in_cells(cells: gpd.GeoDataFrame, points: gpd.GeoDataFrame) -> np.ndarray:
    """How many points fall in each cell (a point on a shared edge counts once)."""
    if points.empty:
        return np.zeros(len(cells), dtype=np.int64)
    joined = gpd.sjoin(
        points[[points.geometry.name]].reset_index(drop=True),
        cells[["geometry"]].reset_index(drop=True),
        how="inner",
        predicate="intersects",
    )
    first = joined[~joined.index.duplicated(keep="first")]
    return np.bincount(first["index_right"].to_numpy(), minlength=len(cells)).astype(np.int64)


def hotspots(
    points: gpd.GeoDataFrame,
    area: gpd.GeoDataFrame,
    *,
    grid: GridKind = "hex",
    resolution: int = HEX_RESOLUTION,
    cell_m: float = SQUARE_CELL_M,
    metric_srid: int = METRIC_SRID,
) -> gpd.GeoDataFrame:
    """Gi* hot and cold spots of issue counts over the study area's cells.

    Returns one row per cell: `cell`, `count`, `gi_z`, `p_value`, `spot`, `confidence`,
    geometry; `attrs` holds the grid, the number of points counted and the mean and standard
    deviation of the counts. Points outside every cell are not counted (`attrs['outside']`).
    """
    if points.crs is None or points.crs.to_epsg() != 4326:
        raise InvalidInput(f"expected points in EPSG:4326, got {points.crs}", field="points")
    if grid == "hex":
        cells = hex_cells(area, resolution=resolution, points=points)
    elif grid == "square":
        cells = square_cells(area, cell_m=cell_m, metric_srid=metric_srid, points=points)
    else:
        raise InvalidInput(f"expected grid 'hex' or 'square', got {grid!r}", field="grid")
    counts = count_in_cells(cells, points)
    # Too few cells for the statistic (a small, sparse selection): every cell is "not
    # significant", so the map still shows the counts and the heat map.
    z = gi_star(counts, neighbours(cells)) if len(cells) >= 3 else np.zeros(len(cells))
    p, spot, confidence = classify(z)
    out = cells.assign(count=counts, gi_z=z, p_value=p, spot=spot, confidence=confidence)
    out.attrs.update(
        {
            "grid": grid,
            "resolution": resolution if grid == "hex" else None,
            "cell_m": cell_m if grid == "square" else None,
            "cells": len(cells),
            "tested": len(cells) >= 3,
            "points": int(counts.sum()),
            "outside": int(len(points) - counts.sum()),
            "mean": float(np.mean(counts)) if len(counts) else 0.0,
            "std": float(np.std(counts)) if len(counts) else 0.0,
        }
    )
    return out


def summary(result: gpd.GeoDataFrame) -> pd.DataFrame:
    """Cells and issues per class (hot 99 … cold 99, not significant), for reports."""
    label = np.where(
        result["spot"] == "none",
        "not significant",
        result["spot"] + " " + result["confidence"].astype(str) + "%",
    )
    return (
        result.assign(cls=label)
        .groupby("cls", sort=False)
        .agg(cells=("cell", "size"), issues=("count", "sum"), mean_z=("gi_z", "mean"))
        .sort_values("mean_z", ascending=False)
    )
