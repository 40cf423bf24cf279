"""Benchmark: a region's batch analysis on Dask, one worker against two, against one process.

Run by hand (never in the tests), bounded in memory and time:

    .venv/bin/python -m benchmarks.region                       # 20,000 villages, 10,000,000 points
    .venv/bin/python -m benchmarks.region --villages 2000 --points 500000

Stages, each timed and printed:

1. **generate** the region into `--dir` (GeoParquet; points written part by part as they are
   generated, `--chunk` points a part, so the generator never holds more than one part;
   reused when its size matches);
2. **partition** the issues once by Hilbert distance (`cunrong region partition`: Dask's
   shuffle on two workers, spilling to disk past `--memory-limit`; a property of the
   stored data, timed apart and reused);
3. the analysis three ways, in the same run, on the same partitioned files:
   Dask with 1 worker process, then with 2 (`geo.region.analysis.analyse` on a
   LocalCluster, `--memory-limit` each; the cluster's start-up printed apart), and a
   **baseline**: one plain Python process with geopandas (a child process, so its peak
   memory is its own), running the same functions in the same order — every part read,
   placed, counted and split by town (`place_part`), the counts summed (`sum_counts`),
   tabled (`indicators`), Gi* town by town (`hotspots_town`), results written
   (`write_results`) — part after part, so its memory is bounded like a worker's.

Each analysis prints its stages — place (read + place + count), indicators, Gi* hot spots,
write — the CPU seconds of all its processes (load-independent, unlike the wall clock on a
shared machine), the load average before and after, the peak memory of every process; then the
ratios, and whether every village's counts and every hot spot cell are identical across
the three runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dask_geopandas
import numpy as np
import pandas as pd

from geo.defaults import GPS_TOLERANCE_M, METRIC_SRID
from geo.hotspots import HEX_RESOLUTION, SQUARE_CELL_M
from geo.region.analysis import (
    RegionResult,
    analyse,
    concat_hotspots,
    hotspots_town,
    indicators,
    place_part,
    sum_counts,
    write_results,
)
from geo.region.client import dask_client
from geo.region.generate import generate_region
from geo.region.inputs import (
    ISSUES,
    partition_issues,
    read_issues,
    read_town_srids,
    read_towns,
    read_villages,
    spatially_partitioned,
)
from geo.region.place import Villages

AS_OF = date(2026, 6, 30)
ROOT = Path(__file__).resolve().parents[1]
COUNT_COLUMNS = ["village_id", "issues", "open", "overdue", "snapped", "status_closed"]
STAGES = ("place", "indicators", "hotspots", "write")


def peak_gib() -> float:
    """This process's peak resident memory (VmHWM; not ru_maxrss, which on Linux keeps the
    parent's peak across the fork and exec that start a worker or the baseline)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def region_dir(args: argparse.Namespace) -> tuple[Path, dict[str, float]]:
    """The generated and partitioned region under --dir, and the seconds of each step
    (from this run, or from the run that made it when reused)."""
    root = Path(args.dir)
    marker = root / "benchmark.json"
    wanted = {"villages": args.villages, "points": args.points, "towns": args.towns, "seed": 1}
    made = json.loads(marker.read_text()) if marker.exists() else {}
    if made.get("region") != wanted:
        print(f"  generate … (load {load()})", flush=True)
        start = time.perf_counter()
        region = generate_region(
            root, towns=args.towns, villages=args.villages, points=args.points, chunk=args.chunk
        )
        seconds = time.perf_counter() - start
        made = {"region": wanted, "generate": seconds, "villages_made": region.villages}
        marker.write_text(json.dumps(made))
        print(
            f"  generate: {region.towns} towns, {region.villages:,} villages,"
            f" {region.points:,} points in {seconds:.1f} s ({region.points / seconds:,.0f}"
            f" points/s; load {load()})",
            flush=True,
        )
    else:
        print(
            f"  generate: reused from {root} (made in {made['generate']:.1f} s)",
            flush=True,
        )
    if not spatially_partitioned(dask_geopandas.read_parquet(root / ISSUES)):
        print(f"  partition … (load {load()})", flush=True)
        start = time.perf_counter()
        with dask_client(workers=2, memory_limit=args.memory_limit):
            parts = partition_issues(root, npartitions=args.partitions)
        made["partition"] = time.perf_counter() - start
        made["partitions"] = parts
        marker.write_text(json.dumps(made))
        print(
            f"  partition: {parts} parts by Hilbert distance on 2 workers in"
            f" {made['partition']:.1f} s (load {load()})",
            flush=True,
        )
    else:
        print(f"  partition: reused ({made.get('partition', float('nan')):.1f} s when made)")
    return root, made


def baseline(root: Path, out: Path) -> dict[str, object]:
    """The whole analysis in this one process with geopandas, part after part; the stages'
    seconds and the results' digest."""
    stages: dict[str, float] = {}
    stages_cpu: dict[str, float] = {}
    cpu = time.process_time()
    tick = time.perf_counter()
    village_frame = read_villages(root)
    towns = read_towns(root, village_frame)
    villages = Villages(village_frame, metric_srid=METRIC_SRID)
    frame, _ = read_issues(root, spatial_shuffle=False)
    import geopandas as gpd

    counts = []
    by_town: dict[int, list[np.ndarray]] = {}
    for path in sorted((root / ISSUES).glob("*.parquet")):
        placed = place_part(
            gpd.read_parquet(path, columns=list(frame.columns)),
            villages,
            tolerance_m=GPS_TOLERANCE_M,
            as_of=AS_OF,
        )
        counts.append(placed.counts)
        for town_id, xy in placed.points.items():
            by_town.setdefault(town_id, []).append(xy)
    stages["place"] = time.perf_counter() - tick
    stages_cpu["place"] = time.process_time() - cpu - sum(stages_cpu.values())
    tick = time.perf_counter()
    counted = sum_counts(*counts)
    village_out, town_out, unplaced = indicators(village_frame, towns, counted)
    stages["indicators"] = time.perf_counter() - tick
    stages_cpu["indicators"] = time.process_time() - cpu - sum(stages_cpu.values())
    tick = time.perf_counter()
    town_srids = read_town_srids(root)
    hot = concat_hotspots(
        [
            hotspots_town(
                int(t),
                villages,
                *by_town.get(int(t), []),
                grid="hex",
                resolution=HEX_RESOLUTION,
                cell_m=SQUARE_CELL_M,
                metric_srid=METRIC_SRID,
                town_srids=town_srids,
            )
            for t in towns["id"]
        ]
    )
    stages["hotspots"] = time.perf_counter() - tick
    stages_cpu["hotspots"] = time.process_time() - cpu - sum(stages_cpu.values())
    tick = time.perf_counter()
    result = RegionResult(
        villages=village_out,
        towns=town_out,
        hotspots=hot,
        summary={"unplaced": unplaced, "baseline": "one geopandas process"},
    )
    write_results(result, out)
    stages["write"] = time.perf_counter() - tick
    stages_cpu["write"] = time.process_time() - cpu - sum(stages_cpu.values())
    return {
        "stages": stages,
        "cpu": time.process_time() - cpu,
        "stages_cpu": stages_cpu,
        "peak_gib": peak_gib(),
        "digest": digest(result),
    }


def digest(result: RegionResult) -> dict[str, object]:
    """What must be identical across runs: every village's counts and every hot spot cell."""
    v = pd.DataFrame(result.villages[COUNT_COLUMNS])
    h = pd.DataFrame(result.hotspots[["town_id", "cell", "count", "spot", "confidence"]])
    return {
        "villages": pd.util.hash_pandas_object(v, index=False).sum().item(),
        "hotspots": pd.util.hash_pandas_object(h, index=False).sum().item(),
        "gi_z": float(result.hotspots["gi_z"].round(9).sum()),
        "issues": int(v["issues"].sum()),
        "cells": len(h),
    }


def on_dask(root: Path, workers: int, args: argparse.Namespace) -> dict[str, object]:
    """The analysis on a LocalCluster of `workers` processes."""
    start = time.perf_counter()
    with dask_client(workers=workers, memory_limit=args.memory_limit) as client:
        # the workers import the analysis (geopandas, shapely, h3, scipy) before the clock
        client.run(importlib.import_module, "geo.region.analysis")
        up = time.perf_counter() - start
        cpu = sum(client.run(time.process_time).values()) + time.process_time()
        result = analyse(client, root, as_of=AS_OF, npartitions=None)
        stages = dict(result.summary["stages"])
        stages_cpu = dict(result.summary["stages_cpu"])
        tick, spent = time.perf_counter(), sum(client.run(time.process_time).values())
        spent += time.process_time()
        write_results(result, Path(args.dir) / f"out-dask-{workers}w")
        stages["write"] = time.perf_counter() - tick
        stages_cpu["write"] = (
            sum(client.run(time.process_time).values()) + time.process_time() - spent
        )
        cpu = sum(client.run(time.process_time).values()) + time.process_time() - cpu
        peaks = client.run(peak_gib).values()
    return {
        "stages": stages,
        "stages_cpu": stages_cpu,
        "cpu": cpu,
        "up": up,
        "peak_gib": max(peaks),
        "digest": digest(result),
        "partitions": result.summary["partitions"],
    }


def report(label: str, run: dict[str, object], before: str) -> None:
    stages = run["stages"]
    assert isinstance(stages, dict)
    total = sum(stages.values())
    parts = "  ".join(f"{k} {stages[k]:.1f}" for k in STAGES)
    extra = f"; cluster up {run['up']:.1f} s" if "up" in run else ""
    cpu = run["stages_cpu"]
    assert isinstance(cpu, dict)
    extra += "\n             CPU s:  " + "  ".join(f"{k} {cpu[k]:.1f}" for k in STAGES)
    print(
        f"  {label:<10} {total:7.1f} s = {parts}   CPU {run['cpu']:.1f} s"
        f"   peak {run['peak_gib']:.2f} GiB/process"
        f"   load {before} → {load()}{extra}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=20_000)
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--towns", type=int, default=None, help="default: villages / 50")
    parser.add_argument(
        "--partitions", type=int, default=None, help="default: points / 250k, at least 8"
    )
    parser.add_argument("--chunk", type=int, default=1_000_000, help="points per generated part")
    parser.add_argument("--memory-limit", default="4GB", help="per Dask worker")
    parser.add_argument("--dir", default=str(ROOT / "data" / "bench-region"))
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--baseline-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_only:  # the child process of the baseline: JSON on stdout
        print(json.dumps(baseline(Path(args.dir), Path(args.dir) / "out-geopandas")))
        return
    args.towns = args.towns or max(1, args.villages // 50)
    args.partitions = args.partitions or max(8, args.points // 250_000)
    print(
        f"region benchmark: {args.villages:,} villages, {args.points:,} points,"
        f" {args.towns} towns, {args.partitions} partitions, {os.cpu_count()} cores,"
        f" --memory-limit {args.memory_limit} per worker",
        flush=True,
    )
    began = time.perf_counter()
    root, made = region_dir(args)
    runs: dict[str, dict[str, object]] = {}
    for workers in (1, 2):
        before = load()
        runs[f"dask {workers}w"] = on_dask(root, workers, args)
        report(f"dask {workers}w", runs[f"dask {workers}w"], before)
    if not args.no_baseline:
        before = load()
        child = subprocess.run(
            [sys.executable, "-m", "benchmarks.region", "--baseline-only", "--dir", str(root)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        runs["geopandas"] = json.loads(child.stdout.strip().splitlines()[-1])
        report("geopandas", runs["geopandas"], before)
    print()
    total = {k: sum(v["stages"].values()) for k, v in runs.items()}  # type: ignore[union-attr]
    points = args.points
    for label, seconds in total.items():
        print(f"  {label:<10} {seconds:8.1f} s  {points / seconds:12,.0f} points/s")
    one, two = total["dask 1w"], total["dask 2w"]
    print(f"  2 workers vs 1: {one / two:.2f}×")
    if "geopandas" in total:
        base = total["geopandas"]
        print(
            f"  1 worker vs geopandas: {base / one:.2f}×"
            f"   2 workers vs geopandas: {base / two:.2f}×"
        )
    digests = {json.dumps(v["digest"], sort_keys=True) for v in runs.values()}
    same = "yes" if len(digests) == 1 else "NO"
    print(f"  counts and hot spot cells identical in every run: {same}")
    first = next(iter(runs.values()))["digest"]
    print(f"  {first}")
    print(
        f"  generate {made['generate']:.1f} s,"
        f" partition {made.get('partition', float('nan')):.1f} s;"
        f" whole benchmark {time.perf_counter() - began:.0f} s; load {load()}"
    )


if __name__ == "__main__":
    main()
