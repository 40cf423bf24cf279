"""A region's batch analysis on a `dask.distributed` client.

One pass over the issues, partition by partition on the workers:

1. read (dask-geopandas, spatially shuffled by Hilbert distance: `inputs.read_issues`);
2. place each point in a village (`place.place`, the villages broadcast to every worker);
3. count per village and town, by status and by category, open and overdue on `as_of`
   (partial counts per partition, summed by Dask's tree reduction);
4. Gi* hot spots per town (`geo.hotspots.hotspots`, unchanged): the placed points are
   shuffled by town so each town lands whole in one partition, then one `dask.delayed`
   task per partition runs the statistic town by town.

Steps 3 and 4 are computed together, so the placement runs once. Results are small
(villages × indicators, towns, hot spot cells) and come back to the client as
GeoDataFrames, written to GeoParquet by `write_results`.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.defaults import GPS_TOLERANCE_M, METRIC_SRID
from geo.hotspots import HEX_RESOLUTION, SQUARE_CELL_M, GridKind, hotspots
from geo.region.inputs import (
    check_issues,
    read_issues,
    read_town_srids,
    read_towns,
    read_villages,
)
from geo.region.place import Villages, place
from geo.vocab import ISSUE_STATUSES, OPEN_STATUSES

if TYPE_CHECKING:
    from dask.distributed import Client

PLACED_COLUMNS = ("code", "category", "status", "village_id", "town_id", "outside_m", "overdue")
HOTSPOT_COLUMNS = ("town_id", "cell", "count", "gi_z", "p_value", "spot", "confidence")


@dataclass
class RegionResult:
    """Indicators per village and town, hot spot cells per town, and a summary."""

    villages: gpd.GeoDataFrame
    towns: gpd.GeoDataFrame
    hotspots: gpd.GeoDataFrame
    summary: dict[str, Any] = field(default_factory=dict)


def place_partition(
    part: gpd.GeoDataFrame,
    villages: Villages,
    *,
    tolerance_m: float,
    as_of: date,
    within_town: bool = True,
) -> gpd.GeoDataFrame:
    """One partition placed: PLACED_COLUMNS and the geometry. `town_id` is the village's
    town for a placed point, the recorded one for an unplaced point."""
    check_issues(part)
    recorded = pd.to_numeric(part["town_id"], errors="coerce").to_numpy(dtype=float)
    towns = np.nan_to_num(recorded, nan=-1).astype(np.int64) if within_town else None
    placed = place(part, villages, tolerance_m=tolerance_m, towns=towns)
    vid = placed["village_id"]
    town = villages.town_of.reindex(vid.fillna(-1).to_numpy()).to_numpy()
    town = np.where(vid.isna().to_numpy(), recorded, town)
    overdue = part["status"].isin(OPEN_STATUSES) & (part["deadline"] < pd.Timestamp(as_of))
    out = gpd.GeoDataFrame(
        {
            "code": part["code"].astype(str),
            "category": part["category"].astype(str),
            "status": part["status"].astype(str),
            "village_id": vid,
            "town_id": pd.array(town, dtype="Int64"),
            "outside_m": placed["outside_m"],
            "overdue": overdue.fillna(False).astype(bool),
        },
        geometry=part.geometry,
        crs=part.crs,
    )
    return out


def count_partition(part: pd.DataFrame) -> pd.DataFrame:
    """Partial counts: per (village_id, town_id, key) with key 'status:…' or 'category:…',
    the issues, the overdue ones and the snapped ones. Unplaced points: village_id -1."""
    base = pd.DataFrame(
        {
            "village_id": part["village_id"].fillna(-1).astype("int64"),
            "town_id": part["town_id"].fillna(-1).astype("int64"),
            "overdue": part["overdue"].astype("int64"),
            "snapped": part["outside_m"].notna().astype("int64"),
            "n": 1,
        }
    )
    frames = []
    for kind in ("status", "category"):
        keyed = base.assign(key=kind + ":" + part[kind].astype(str))
        frames.append(
            keyed.groupby(["village_id", "town_id", "key"], as_index=False)[
                ["n", "overdue", "snapped"]
            ].sum()
        )
    return pd.concat(frames, ignore_index=True)


def hotspots_partition(
    part: pd.DataFrame,
    villages: Villages,
    *,
    grid: GridKind,
    resolution: int,
    cell_m: float,
    metric_srid: int,
    town_srids: dict[int, int] | None = None,
) -> gpd.GeoDataFrame:
    """Gi* per town of a partition holding whole towns (`geo.hotspots.hotspots` each), each
    town in its own metric CRS (`town_srids`, else `metric_srid`); `part` holds town_id,
    x, y (WGS-84)."""
    own = town_srids or {}
    frames = []
    for town_id, points in part.groupby("town_id", sort=True):
        area = gpd.GeoDataFrame(
            geometry=villages.geographic[villages.town_of.to_numpy() == int(town_id)].to_numpy(),
            crs=villages.geographic.crs,
        )
        if area.empty:
            continue
        cells = hotspots(
            gpd.GeoDataFrame(
                geometry=shapely.points(points["x"].to_numpy(), points["y"].to_numpy()), crs=4326
            ),
            area,
            grid=grid,
            resolution=resolution,
            cell_m=cell_m,
            metric_srid=own.get(int(town_id), metric_srid),
        )
        frames.append(cells.assign(town_id=int(town_id))[[*HOTSPOT_COLUMNS, "geometry"]])
    if not frames:
        return _empty_hotspots()
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)


def placed_points(part: gpd.GeoDataFrame) -> pd.DataFrame:
    """The placed points of a partition as plain numbers (town_id, x, y): cheap to shuffle
    (Arrow columns, no geometry objects to pickle)."""
    kept = part[part["village_id"].notna().to_numpy()]
    geoms = kept.geometry
    return pd.DataFrame(
        {
            "town_id": kept["town_id"].astype("int64").to_numpy(),
            "x": shapely.get_x(geoms.to_numpy()),
            "y": shapely.get_y(geoms.to_numpy()),
        }
    )


def _empty_hotspots() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "town_id": pd.Series(dtype="int64"),
            "cell": pd.Series(dtype=str),
            "count": pd.Series(dtype="int64"),
            "gi_z": pd.Series(dtype=float),
            "p_value": pd.Series(dtype=float),
            "spot": pd.Series(dtype=str),
            "confidence": pd.Series(dtype="int64"),
        },
        geometry=gpd.GeoSeries([], crs=4326),
    )


def analyse(
    client: Client,
    root: Path,
    *,
    as_of: date,
    tolerance_m: float = GPS_TOLERANCE_M,
    metric_srid: int = METRIC_SRID,
    npartitions: int | None = None,
    spatial_shuffle: bool = True,
    grid: GridKind = "hex",
    resolution: int = HEX_RESOLUTION,
    cell_m: float = SQUARE_CELL_M,
    with_hotspots: bool = True,
    placed_dir: Path | None = None,
    within_town: bool = True,
) -> RegionResult:
    """Run the region's analysis on `client`; see the module's docstring."""
    import dask

    started = time.perf_counter()
    village_frame = read_villages(root)
    towns = read_towns(root, village_frame)
    villages = Villages(village_frame, metric_srid=metric_srid)
    shared = dask.delayed(villages, name="region-villages")
    issues, shuffled = read_issues(root, npartitions=npartitions, spatial_shuffle=spatial_shuffle)
    options = {"tolerance_m": tolerance_m, "as_of": as_of, "within_town": within_town}
    meta = place_partition(issues._meta, villages, **options)  # type: ignore[arg-type]
    placed = issues.map_partitions(place_partition, shared, **options, meta=meta)
    counts = (
        placed.map_partitions(count_partition, meta=count_partition(meta))
        .groupby(["village_id", "town_id", "key"])[["n", "overdue", "snapped"]]
        .sum()
    )
    todo: list[Any] = [counts]
    if with_hotspots:
        points = placed.map_partitions(placed_points, meta=placed_points(meta))
        by_town = points.shuffle(on="town_id", npartitions=max(1, placed.npartitions))
        town_srids = read_town_srids(root)
        todo += [
            dask.delayed(hotspots_partition)(
                part,
                shared,
                grid=grid,
                resolution=resolution,
                cell_m=cell_m,
                metric_srid=metric_srid,
                town_srids=town_srids,
            )
            for part in by_town.to_delayed()
        ]
    if placed_dir is not None:
        todo.append(placed.to_parquet(str(placed_dir), compute=False))
    with warnings.catch_warnings():
        # dask warns that the expression collections are materialised beside the delayed
        # hot spot tasks: intended, so the placement is computed once for both.
        warnings.filterwarnings("ignore", message="Computing mixed collections")
        computed = client.gather(client.compute(todo))
    counted: pd.DataFrame = computed[0].reset_index()
    cells = [c for c in computed[1 : 1 + (len(todo) - 1)] if isinstance(c, gpd.GeoDataFrame)]
    hot = (
        gpd.GeoDataFrame(pd.concat(cells, ignore_index=True), crs=4326)
        if cells
        else _empty_hotspots()
    )
    hot = hot.sort_values(["town_id", "cell"], ignore_index=True)
    village_out, town_out, unplaced = indicators(village_frame, towns, counted)
    summary = {
        "as_of": as_of.isoformat(),
        "issues": int(counted.loc[counted["key"].str.startswith("status:"), "n"].sum()),
        "placed": int(village_out["issues"].sum()),
        "snapped": int(village_out["snapped"].sum()),
        "unplaced": unplaced,
        "villages": len(village_out),
        "towns": len(town_out),
        "hotspot_cells": len(hot),
        "partitions": placed.npartitions,
        "spatially_shuffled": shuffled,
        "workers": len(client.scheduler_info().get("workers", {})),
        "tolerance_m": tolerance_m,
        "within_town": within_town,
        "metric_srid": metric_srid,
        "seconds": round(time.perf_counter() - started, 3),
    }
    return RegionResult(villages=village_out, towns=town_out, hotspots=hot, summary=summary)


def indicators(
    villages: gpd.GeoDataFrame, towns: pd.DataFrame, counted: pd.DataFrame
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, int]]:
    """Per village and per town: issues, open, overdue, snapped, by status and category,
    per 100 households; and the unplaced issues per recorded town."""
    placed = counted[counted["village_id"] >= 0]
    unplaced_rows = counted[(counted["village_id"] < 0) & counted["key"].str.startswith("status:")]
    unplaced = {str(k): int(v) for k, v in unplaced_rows.groupby("town_id")["n"].sum().items() if v}
    wide = placed.pivot_table(
        index="village_id", columns="key", values="n", aggfunc="sum", fill_value=0
    )
    status_cols = [f"status:{s}" for s in ISSUE_STATUSES]
    category_cols = sorted(c for c in wide.columns if c.startswith("category:"))
    wide = wide.reindex(columns=[*status_cols, *category_cols], fill_value=0)
    per_status = placed[placed["key"].str.startswith("status:")]
    extra = per_status.groupby("village_id")[["overdue", "snapped"]].sum()
    table = pd.DataFrame(index=pd.Index(villages["id"], name="village_id"))
    table = table.join(wide).join(extra).fillna(0).astype("int64")
    table.columns = [c.replace(":", "_") for c in table.columns]
    statuses = [f"status_{s}" for s in ISSUE_STATUSES]
    table.insert(0, "issues", table[statuses].sum(axis=1))
    table.insert(1, "open", table[[f"status_{s}" for s in OPEN_STATUSES]].sum(axis=1))
    table.insert(2, "overdue", table.pop("overdue"))
    table.insert(3, "snapped", table.pop("snapped"))
    out = villages[["id", "code", "name", "town_id", "households"]].rename(
        columns={"id": "village_id"}
    )
    out = out.merge(table.reset_index(), on="village_id", how="left")
    _per_households(out)
    village_out = gpd.GeoDataFrame(out, geometry=villages.geometry.to_numpy(), crs=villages.crs)

    counts = [c for c in table.columns]
    grouped = out.groupby("town_id")
    town = grouped[counts].sum()
    town.insert(0, "villages", grouped.size())
    known = grouped["households"].count() == grouped.size()
    town.insert(1, "households", grouped["households"].sum().where(known).astype("Int64"))
    town["unplaced"] = [unplaced.get(str(t), 0) for t in town.index]
    town = towns.rename(columns={"id": "town_id"}).merge(
        town.reset_index(), on="town_id", how="left"
    )
    _per_households(town)
    shapes = village_out.dissolve("town_id").geometry
    town_out = gpd.GeoDataFrame(
        town, geometry=shapes.reindex(town["town_id"]).to_numpy(), crs=villages.crs
    )
    return village_out, town_out, unplaced


def _per_households(frame: pd.DataFrame) -> None:
    hh = frame["households"].astype("Float64")
    hh = hh.where(hh > 0)
    for col in ("issues", "open", "overdue"):
        frame[f"{col}_per_100_households"] = (frame[col] * 100 / hh).round(3).astype(float)


def write_results(result: RegionResult, out: Path) -> list[Path]:
    """villages.parquet, towns.parquet, hotspots.parquet (GeoParquet) and summary.json."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (
        ("villages", result.villages),
        ("towns", result.towns),
        ("hotspots", result.hotspots),
    ):
        path = out / f"{name}.parquet"
        frame.to_parquet(path, index=False)
        written.append(path)
    summary = out / "summary.json"
    summary.write_text(json.dumps(result.summary, ensure_ascii=False, indent=2), encoding="utf-8")
    written.append(summary)
    return written
