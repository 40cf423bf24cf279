"""Benchmark: a region's batch analysis on Dask, one worker against two, against one process.

Run by hand (never in the tests), bounded in memory (partitions of `--partition-points`,
`--memory-limit` per worker, Dask spills beyond it):

    .venv/bin/python -m benchmarks.region                       # 20,000 villages, 10,000,000 points
    .venv/bin/python -m benchmarks.region --villages 2000 --points 500000

The region is generated once into `--dir` (GeoParquet, vectorised, in parts of 1,000,000
points; reused when its size matches), partitioned once by Hilbert distance
(`cunrong region partition`: a property of the stored data, timed apart), then analysed
three ways in the same run:

- baseline: one process, plain geopandas — the same functions (`place_partition`,
  `count_partition`, `hotspots_partition`, `indicators`) over the whole frame at once;
- Dask with 1 worker process, then with 2 (`geo.region.analysis.analyse` on a
  LocalCluster), the cluster's start-up printed apart.

Prints seconds, points/s, the ratios, and whether every count equals the baseline's.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import time
from datetime import date
from pathlib import Path

import dask_geopandas
import geopandas as gpd
import pandas as pd

from geo.defaults import GPS_TOLERANCE_M, METRIC_SRID
from geo.region.analysis import (
    analyse,
    count_partition,
    hotspots_partition,
    indicators,
    place_partition,
    placed_points,
)
from geo.region.client import dask_client
from geo.region.generate import generate_region
from geo.region.inputs import (
    ISSUES,
    partition_issues,
    read_towns,
    read_villages,
    spatially_partitioned,
)
from geo.region.place import Villages

AS_OF = date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[1]


def region_dir(args: argparse.Namespace) -> Path:
    """The generated region, made (or reused) under --dir."""
    root = Path(args.dir)
    marker = root / "benchmark.json"
    wanted = {"villages": args.villages, "points": args.points, "towns": args.towns, "seed": 1}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"  region reused from {root}", flush=True)
        return root
    start = time.perf_counter()
    region = generate_region(
        root, towns=args.towns, villages=args.villages, points=args.points, chunk=1_000_000
    )
    seconds = time.perf_counter() - start
    marker.write_text(json.dumps(wanted))
    print(
        f"  generated {region.towns} towns, {region.villages} villages, {region.points:,} points"
        f" in {seconds:.1f} s ({region.points / seconds:,.0f} points/s)",
        flush=True,
    )
    return root


def baseline(root: Path) -> tuple[float, pd.DataFrame]:
    """The whole analysis in this process with geopandas: (seconds, village indicators)."""
    start = time.perf_counter()
    village_frame = read_villages(root)
    towns = read_towns(root, village_frame)
    villages = Villages(village_frame, metric_srid=METRIC_SRID)
    points = gpd.read_parquet(root / ISSUES)
    placed = place_partition(points, villages, tolerance_m=GPS_TOLERANCE_M, as_of=AS_OF)
    del points
    counted = (
        count_partition(placed)
        .groupby(["village_id", "town_id", "key"])[["n", "overdue", "snapped"]]
        .sum()
        .reset_index()
    )
    hotspots_partition(
        placed_points(placed),
        villages,
        grid="hex",
        resolution=9,
        cell_m=300.0,
        metric_srid=METRIC_SRID,
    )
    village_out, _, _ = indicators(village_frame, towns, counted)
    return time.perf_counter() - start, pd.DataFrame(village_out.drop(columns="geometry"))


def on_dask(root: Path, workers: int, args: argparse.Namespace) -> tuple[float, pd.DataFrame]:
    """The analysis on a LocalCluster of `workers` processes: (seconds, village indicators)."""
    start = time.perf_counter()
    with dask_client(workers=workers, memory_limit=args.memory_limit) as client:
        # the workers import the analysis (geopandas, shapely, h3, scipy) before the clock
        client.run(importlib.import_module, "geo.region.analysis")
        print(
            f"  {workers} worker(s): cluster up in {time.perf_counter() - start:.1f} s", flush=True
        )
        start = time.perf_counter()
        result = analyse(client, root, as_of=AS_OF, npartitions=args.partitions)
        seconds = time.perf_counter() - start
    return seconds, pd.DataFrame(result.villages.drop(columns="geometry"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=20_000)
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--towns", type=int, default=None, help="default: villages / 50")
    parser.add_argument(
        "--partitions", type=int, default=None, help="default: points / 250k, at least 8"
    )
    parser.add_argument("--memory-limit", default="4GB", help="per Dask worker")
    parser.add_argument("--dir", default=str(ROOT / "data" / "bench-region"))
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    args.towns = args.towns or max(1, args.villages // 50)
    args.partitions = args.partitions or max(8, args.points // 250_000)
    print(
        f"region benchmark: {args.villages:,} villages, {args.points:,} points,"
        f" {args.towns} towns, {args.partitions} partitions",
        flush=True,
    )
    root = region_dir(args)
    if not spatially_partitioned(dask_geopandas.read_parquet(root / ISSUES)):
        start = time.perf_counter()
        with dask_client(workers=2, memory_limit=args.memory_limit):
            parts = partition_issues(root, npartitions=args.partitions)
        print(
            f"  partitioned once by Hilbert distance ({parts} parts, 2 workers):"
            f" {time.perf_counter() - start:.1f} s",
            flush=True,
        )
    runs: dict[str, tuple[float, pd.DataFrame]] = {}
    for workers in (1, 2):
        runs[f"dask {workers}w"] = on_dask(root, workers, args)
    if not args.no_baseline:
        runs["geopandas"] = baseline(root)
    print()
    for label, (seconds, _) in runs.items():
        print(f"  {label:<12} {seconds:8.1f} s  {args.points / seconds:12,.0f} points/s")
    one, two = runs["dask 1w"][0], runs["dask 2w"][0]
    print(f"  2 workers vs 1: {one / two:.2f}×")
    cols = ["village_id", "issues", "open", "overdue", "snapped"]
    same = runs["dask 1w"][1][cols].equals(runs["dask 2w"][1][cols])
    if "geopandas" in runs:
        base = runs["geopandas"][0]
        print(f"  1 worker vs geopandas: {base / one:.2f}×", end="   ")
        print(f"2 workers vs geopandas: {base / two:.2f}×")
        same = same and runs["geopandas"][1][cols].equals(runs["dask 2w"][1][cols])
    print(f"  counts identical in every run: {'yes' if same else 'NO'}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"  peak memory of this process (baseline included): {peak:.1f} GiB")


if __name__ == "__main__":
    main()
