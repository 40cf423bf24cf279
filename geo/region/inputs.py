"""A region's input: GeoParquet files in one directory, and how they are read.

    villages.parquet   id, code, name, town_id, households, geometry (Multi)Polygon, EPSG:4326
    towns.parquet      id, code, name[, geometry]       (optional: towns named by id if absent)
    issues/            part-*.parquet (or issues.parquet): code, category, status, found_on,
                       deadline, town_id, geometry Point, EPSG:4326

`town_id` of an issue is the town it was recorded in; the analysis counts an issue in the
town of the village it is placed in (the two agree for placed issues in the database).
Villages are small (a province has tens of thousands) and read whole, then broadcast to
the workers; issues are read by dask-geopandas in partitions and spatially shuffled
(Hilbert distance), so each partition covers a compact area.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely

from geo.errors import InvalidInput
from geo.vocab import ISSUE_STATUSES

if TYPE_CHECKING:
    import dask_geopandas

VILLAGES = "villages.parquet"
TOWNS = "towns.parquet"
ISSUES = "issues"
VILLAGE_COLUMNS = ("id", "code", "name", "town_id", "households")
ISSUE_COLUMNS = ("code", "category", "status", "found_on", "deadline", "town_id")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], where: Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"{where}: missing column(s) {', '.join(missing)}; expected {', '.join(columns)}",
            field=missing[0],
        )


def _check_crs(frame: gpd.GeoDataFrame, where: Path) -> None:
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise InvalidInput(f"{where}: expected EPSG:4326, got {frame.crs}", field="geometry")


def read_villages(root: Path) -> gpd.GeoDataFrame:
    """The region's villages, checked: ids unique, polygons, EPSG:4326, a town each."""
    where = root / VILLAGES
    if not where.exists():
        raise InvalidInput(f"{where}: no such file (expected the region's villages)", field="path")
    frame = gpd.read_parquet(where)
    _require(frame, VILLAGE_COLUMNS, where)
    _check_crs(frame, where)
    dup = frame["id"][frame["id"].duplicated()]
    if not dup.empty:
        raise InvalidInput(f"{where}: village id {dup.iloc[0]} appears twice", field="id")
    kinds = frame.geom_type.isin(["Polygon", "MultiPolygon"])
    if not kinds.all():
        row = int((~kinds).to_numpy().argmax())
        raise InvalidInput(
            f"{where}: row {row + 1} (village {frame['code'].iloc[row]}): expected a polygon,"
            f" got {frame.geom_type.iloc[row]}",
            field="geometry",
        )
    if frame["town_id"].isna().any():
        row = int(frame["town_id"].isna().to_numpy().argmax())
        raise InvalidInput(
            f"{where}: row {row + 1} (village {frame['code'].iloc[row]}) has no town_id",
            field="town_id",
        )
    frame["id"] = frame["id"].astype("int64")
    frame["town_id"] = frame["town_id"].astype("int64")
    frame["households"] = frame["households"].astype("Int64")
    return frame.sort_values("id", ignore_index=True)


def read_town_srids(root: Path) -> dict[int, int]:
    """town id → its metric CRS, from towns.parquet's optional `metric_srid` column (written
    by `cunrong region export`); empty when the file or the column is missing (then the
    run's `metric_srid` measures every town)."""
    import pyarrow.parquet as pq

    where = root / TOWNS
    if not where.exists() or "metric_srid" not in pq.read_schema(where).names:
        return {}
    frame = pd.read_parquet(where, columns=["id", "metric_srid"]).dropna()
    return {int(i): int(s) for i, s in zip(frame["id"], frame["metric_srid"], strict=True)}


def read_towns(root: Path, villages: gpd.GeoDataFrame) -> pd.DataFrame:
    """id, code, name of the villages' towns (from towns.parquet, else named by id)."""
    ids = pd.Index(sorted(villages["town_id"].unique()), name="id")
    where = root / TOWNS
    if where.exists():
        towns = pd.read_parquet(where, columns=["id", "code", "name"]).set_index("id")
        unknown = ids.difference(towns.index)
        if len(unknown):
            raise InvalidInput(
                f"{where}: town_id {unknown[0]} of the villages is not in the file",
                field="town_id",
            )
        return towns.loc[ids].reset_index()
    return pd.DataFrame({"id": ids, "code": ids.astype(str), "name": ids.astype(str)})


def issues_path(root: Path) -> Path:
    """The issues' directory (part files) or single file under `root`."""
    for candidate in (root / ISSUES, root / f"{ISSUES}.parquet"):
        if candidate.exists():
            return candidate
    raise InvalidInput(
        f"{root}: no {ISSUES}/ directory or {ISSUES}.parquet (expected the region's issues)",
        field="path",
    )


def read_issues(
    root: Path, *, npartitions: int | None = None, spatial_shuffle: bool = True
) -> tuple[dask_geopandas.GeoDataFrame, bool]:
    """The issues as a dask-geopandas frame, spatially shuffled by Hilbert distance unless
    the files already are (`partition_issues`, or any writer whose parts cover compact
    areas: see `spatially_partitioned`; a single part is not), and whether it was
    shuffled here."""
    import dask_geopandas

    where = issues_path(root)
    frame = dask_geopandas.read_parquet(where)
    _require(frame._meta, ISSUE_COLUMNS, where)
    _check_crs(frame._meta, where)
    frame = frame[[*ISSUE_COLUMNS, frame.geometry.name]]
    shuffled = spatial_shuffle and not spatially_partitioned(frame)
    if shuffled:
        frame = frame.spatial_shuffle(by="hilbert", npartitions=npartitions or frame.npartitions)
    elif npartitions:
        frame = frame.repartition(npartitions=npartitions)
    return frame, shuffled


def check_issues(part: pd.DataFrame, *, known_categories: frozenset[str] | None = None) -> None:
    """Refuse a partition with an unknown status or a point that is not a point."""
    bad = ~part["status"].isin(ISSUE_STATUSES)
    if bad.any():
        row = part[bad].iloc[0]
        raise InvalidInput(
            f"issue {row['code']}: unknown status {row['status']!r};"
            f" expected one of {', '.join(ISSUE_STATUSES)}",
            field="status",
        )
    if known_categories is not None:
        unknown = ~part["category"].isin(known_categories)
        if unknown.any():
            row = part[unknown].iloc[0]
            raise InvalidInput(
                f"issue {row['code']}: unknown category {row['category']!r}", field="category"
            )
    geoms = gpd.GeoSeries(part.geometry) if not isinstance(part, gpd.GeoDataFrame) else None
    types = (part.geometry if geoms is None else geoms).geom_type
    notpoint = types != "Point"
    if notpoint.any():
        row = part[notpoint.to_numpy()].iloc[0]
        raise InvalidInput(
            f"issue {row['code']}: expected a point, got {types[notpoint].iloc[0]}",
            field="geometry",
        )


def spatially_partitioned(frame: dask_geopandas.GeoDataFrame) -> bool:
    """Whether the parts already cover compact areas: their hulls (from the files' bbox
    metadata) add up to at most twice the hull of the whole (1.5 times for two parts).
    Parts written in arrival order each span the whole region (n times its area) and are
    shuffled."""
    hulls = frame.spatial_partitions
    if hulls is None or len(hulls) < 2:
        return False
    parts = hulls.to_numpy()
    whole = float(shapely.area(shapely.convex_hull(shapely.union_all(parts))))
    bound = min(2.0, 0.75 * len(parts))
    return bool(whole > 0 and float(shapely.area(parts).sum()) <= bound * whole)


def hilbert_divisions(frame: dask_geopandas.GeoDataFrame, npartitions: int) -> list[int]:
    """Cut points of the Hilbert distance (level 16, over the parts' total bounds) that split
    the points into `npartitions` parts of about equal size: one pass over the geometries,
    each partition reduced to a histogram of 65,536 bins on its worker, the histograms
    summed; only the cut points reach the client."""
    import dask
    import numpy as np

    bounds = (
        frame.spatial_partitions.total_bounds
        if frame.spatial_partitions is not None
        else frame.total_bounds.compute()
    )
    distances = frame[[frame.geometry.name]].hilbert_distance(total_bounds=bounds, level=16)

    def histogram(d: pd.Series) -> np.ndarray:
        return np.bincount(d.to_numpy(dtype=np.uint64) >> np.uint64(16), minlength=1 << 16)

    counts = dask.compute(*[dask.delayed(histogram)(p) for p in distances.to_delayed()])
    total = np.sum(counts, axis=0)
    if not total.sum():
        return [0, 1 << 32]
    cumulative = np.cumsum(total)
    wanted = cumulative[-1] * np.arange(1, npartitions) / npartitions
    cuts = (np.searchsorted(cumulative, wanted, side="left") + 1) << 16
    return [0, *sorted({int(c) for c in cuts if 0 < c < 1 << 32}), 1 << 32]


def partition_issues(root: Path, *, npartitions: int | None = None) -> int:
    """Rewrite root/issues/ spatially partitioned (Hilbert distance), once, so later runs
    read compact partitions without shuffling. Runs on the active Dask client: one pass for
    the cut points (`hilbert_divisions`), then one shuffle (Dask's, spilling to disk past
    the workers' memory) streamed into the new part files. Each part's bounding box is in
    its GeoParquet metadata. Returns the number of partitions."""
    import shutil

    import dask_geopandas

    where = issues_path(root)
    frame = dask_geopandas.read_parquet(where)
    _require(frame._meta, ISSUE_COLUMNS, where)
    divisions = hilbert_divisions(frame, npartitions or frame.npartitions)
    # given divisions and no spatial partitions to compute, dask-geopandas shuffles once
    # (computing them, or the divisions, would each read and shuffle everything again)
    shuffled = frame.spatial_shuffle(
        by="hilbert", level=16, divisions=divisions, calculate_partitions=False
    )
    staging = root / f"{ISSUES}.partitioning"
    if staging.exists():
        shutil.rmtree(staging)
    shuffled.to_parquet(staging, write_index=False)
    if where.is_dir():
        shutil.rmtree(where)
    else:
        where.unlink()
    staging.rename(root / ISSUES)
    return int(shuffled.npartitions)
