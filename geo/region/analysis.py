r"""A region's batch analysis on a `dask.distributed` client, in three stages:

1. **place** — one task per partition of the issues (dask-geopandas, spatially partitioned
   by Hilbert distance: `inputs.read_issues`) reads it, places each point in a village
   (`place.place`; the villages scattered once to every worker), counts it per village and
   town, by status and category, open and overdue on `as_of`, and splits the placed
   points' coordinates by town. The result stays on the worker that computed it; with
   `placed_dir` the worker also writes every issue's village there.
2. **indicators** — the partial counts are summed on the workers (a tree of `sum_counts`
   tasks); only the region's counts (villages × keys) come to the client, which tables
   them per village and per town (`indicators`).
3. **Gi\* hot spots** — one task per town (`geo.hotspots.hotspots`, the town page's,
   unchanged), fed only by the partitions holding that town's points (a spatially
   partitioned town lies in one to three), so towns run in parallel on every worker and
   no point passes through the client.

Results are small (villages × indicators, towns, hot spot cells) and come back to the
client as GeoDataFrames, written to GeoParquet by `write_results`. Each stage's seconds
are in `summary['stages']`.
"""

from __future__ import annotations

import json
import time
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


@dataclass
class PlacedPart:
    """What the placement of one partition leaves on its worker: partial counts (see
    `count_partition`) and the placed points' coordinates by town (WGS-84, n×2 float64),
    the input of the per-town Gi* tasks. Points stay on the workers; only counts travel."""

    counts: pd.DataFrame
    points: dict[int, np.ndarray]
    rows: int


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


def sum_counts(*partials: pd.DataFrame) -> pd.DataFrame:
    """Partial counts added up (one node of the tree reduction)."""
    return (
        pd.concat(partials, ignore_index=True)
        .groupby(["village_id", "town_id", "key"], as_index=False)[["n", "overdue", "snapped"]]
        .sum()
    )


def town_points(part: gpd.GeoDataFrame) -> dict[int, np.ndarray]:
    """The placed points of a placed partition, by town: {town_id: n×2 (x, y)}."""
    kept = part[part["village_id"].notna().to_numpy()]
    xy = shapely.get_coordinates(kept.geometry.to_numpy())
    town = kept["town_id"].astype("int64").to_numpy()
    order = np.argsort(town, kind="stable")
    town, xy = town[order], xy[order]
    ids, first = np.unique(town, return_index=True)
    return {int(t): chunk for t, chunk in zip(ids, np.split(xy, first[1:]), strict=True)}


def place_part(
    part: gpd.GeoDataFrame,
    villages: Villages,
    *,
    tolerance_m: float,
    as_of: date,
    within_town: bool = True,
    placed_path: Path | None = None,
) -> PlacedPart:
    """One partition placed, counted and split by town; with `placed_path` every issue's
    village also written there (GeoParquet), by the worker that placed it."""
    placed = place_partition(
        part, villages, tolerance_m=tolerance_m, as_of=as_of, within_town=within_town
    )
    if placed_path is not None:
        placed_path.parent.mkdir(parents=True, exist_ok=True)
        placed.to_parquet(placed_path, index=False)
    return PlacedPart(counts=count_partition(placed), points=town_points(placed), rows=len(part))


def points_of(placed: PlacedPart, town_id: int) -> np.ndarray:
    """One town's placed points in one partition (n×2; empty when none)."""
    return placed.points.get(town_id, np.empty((0, 2)))


def counts_of(placed: PlacedPart) -> pd.DataFrame:
    return placed.counts


def towns_of(placed: PlacedPart) -> list[int]:
    return sorted(placed.points)


def hotspots_town(
    town_id: int,
    villages: Villages,
    *pieces: np.ndarray,
    grid: GridKind,
    resolution: int,
    cell_m: float,
    metric_srid: int,
    town_srids: dict[int, int] | None = None,
) -> gpd.GeoDataFrame:
    """Gi* of one town (`geo.hotspots.hotspots`, the town page's) over its villages, from
    the town's placed points gathered from the partitions holding any; measured in the
    town's own metric CRS (`town_srids`, else `metric_srid`)."""
    area = gpd.GeoDataFrame(
        geometry=villages.geographic[villages.town_of.to_numpy() == int(town_id)].to_numpy(),
        crs=villages.geographic.crs,
    )
    if area.empty:
        return _empty_hotspots()
    xy = np.concatenate(pieces) if pieces else np.empty((0, 2))
    cells = hotspots(
        gpd.GeoDataFrame(geometry=shapely.points(xy), crs=4326),
        area,
        grid=grid,
        resolution=resolution,
        cell_m=cell_m,
        metric_srid=(town_srids or {}).get(int(town_id), metric_srid),
    )
    return gpd.GeoDataFrame(
        cells.assign(town_id=int(town_id))[[*HOTSPOT_COLUMNS, "geometry"]], crs=4326
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


def concat_hotspots(cells: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    """Every town's cells, sorted by town and cell."""
    cells = [c for c in cells if not c.empty]
    hot = gpd.GeoDataFrame(pd.concat(cells, ignore_index=True), crs=4326) if cells else None
    if hot is None:
        return _empty_hotspots()
    return hot.sort_values(["town_id", "cell"], ignore_index=True)


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
    fan_in: int = 8,
) -> RegionResult:
    """Run the region's analysis on `client`; see the module's docstring. The seconds of
    each stage (place, indicators, hotspots) are in `summary['stages']`."""
    import dask
    from dask.distributed import wait

    started = time.perf_counter()
    stages: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def cpu_now() -> float:
        """CPU seconds of every worker and this client so far (load-independent)."""
        return sum(client.run(time.process_time).values()) + time.process_time()

    village_frame = read_villages(root)
    towns = read_towns(root, village_frame)
    villages = Villages(village_frame, metric_srid=metric_srid)
    issues, shuffled = read_issues(root, npartitions=npartitions, spatial_shuffle=spatial_shuffle)
    # one copy of the villages per worker, its spatial indexes built there on first use
    shared = client.scatter(villages, broadcast=True, hash=False)
    options = {"tolerance_m": tolerance_m, "as_of": as_of, "within_town": within_town}

    # 1. place: one task per partition, its result (counts, points by town) kept on the worker
    tick, spent = time.perf_counter(), cpu_now()
    parts = issues.to_delayed()
    place = dask.delayed(place_part, pure=True)
    todo = [
        place(
            part,
            shared,
            **options,
            placed_path=None if placed_dir is None else placed_dir / f"part-{i:05d}.parquet",
        )
        for i, part in enumerate(parts)
    ]
    placed = client.compute(todo)
    wait(placed)
    for future in placed:
        if future.status == "error":
            future.result()  # raises the task's exception (e.g. InvalidInput) here
    stages["place"] = time.perf_counter() - tick
    cpu["place"] = cpu_now() - spent

    # 2. indicators: partial counts summed on the workers (tree reduction), then tabled
    tick, spent = time.perf_counter(), cpu_now()
    level = [client.submit(counts_of, f) for f in placed]
    while len(level) > 1:
        level = [
            client.submit(sum_counts, *level[i : i + fan_in]) for i in range(0, len(level), fan_in)
        ]
    counted: pd.DataFrame = level[0].result() if level else sum_counts(count_partition(_no_rows()))
    village_out, town_out, unplaced = indicators(village_frame, towns, counted)
    stages["indicators"] = time.perf_counter() - tick
    cpu["indicators"] = cpu_now() - spent

    # 3. Gi* hot spots: one task per town, fed by the partitions holding its points
    tick, spent = time.perf_counter(), cpu_now()
    hot = _empty_hotspots()
    if with_hotspots:
        town_srids = read_town_srids(root)
        present = client.gather([client.submit(towns_of, f) for f in placed])
        holders: dict[int, list[int]] = {}
        for i, ids in enumerate(present):
            for t in ids:
                holders.setdefault(t, []).append(i)
        per_town = [
            client.submit(
                hotspots_town,
                t,
                shared,
                *[client.submit(points_of, placed[i], t) for i in holders.get(t, [])],
                grid=grid,
                resolution=resolution,
                cell_m=cell_m,
                metric_srid=metric_srid,
                town_srids=town_srids,
            )
            for t in towns["id"].astype("int64")
        ]
        hot = concat_hotspots(client.gather(per_town))
    stages["hotspots"] = time.perf_counter() - tick
    cpu["hotspots"] = cpu_now() - spent
    del placed, shared  # released: the scheduler frees them on the workers
    summary = {
        "as_of": as_of.isoformat(),
        "issues": int(counted.loc[counted["key"].str.startswith("status:"), "n"].sum()),
        "placed": int(village_out["issues"].sum()),
        "snapped": int(village_out["snapped"].sum()),
        "unplaced": unplaced,
        "villages": len(village_out),
        "towns": len(town_out),
        "hotspot_cells": len(hot),
        "partitions": issues.npartitions,
        "spatially_shuffled": shuffled,
        "workers": len(client.scheduler_info().get("workers", {})),
        "tolerance_m": tolerance_m,
        "within_town": within_town,
        "metric_srid": metric_srid,
        "stages": {k: round(v, 3) for k, v in stages.items()},
        "stages_cpu": {k: round(v, 3) for k, v in cpu.items()},
        "seconds": round(time.perf_counter() - started, 3),
    }
    return RegionResult(villages=village_out, towns=town_out, hotspots=hot, summary=summary)


def _no_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "village_id": pd.array([], dtype="Int64"),
            "town_id": pd.array([], dtype="Int64"),
            "overdue": pd.Series([], dtype=bool),
            "outside_m": pd.Series([], dtype=float),
            "status": pd.Series([], dtype=str),
            "category": pd.Series([], dtype=str),
        }
    )


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
