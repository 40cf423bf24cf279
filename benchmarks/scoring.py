"""Benchmark: a region's year-end results, CSV to JSON, as a whole `cunrong score year` process.

Run by hand (not in the tests):

    .venv/bin/python -m benchmarks.scoring [--villages 10000] [--months 12] [--groups 2]

Writes a generated region (villages, observation scores of `groups` scoring groups for
`months` months, third-party results, honors) as the four CSV files into a temporary
folder, then times, each as its own process from start to exit:

- `cunrong score year YEAR --from FOLDER --format json -o FILE` (the path of today), and
- the path of before (`--baseline`: every sub-command imported up front, each cell read
  through `_Row`, `json.dumps(indent=2)`, the cyclic GC on), run as
  `python -m benchmarks.scoring --baseline FOLDER OUT`,

checks that both wrote the same bytes, and prints seconds (wall and CPU, best of
`--repeat` interleaved runs, with the load average) and the ratio. Target: ≤ 1.5 s for
10,000 villages × 12 months × 2 groups.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.scoring.region import YEAR, generate


def run_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one process from start to exit (fails
    loudly when it fails). On a busy machine the CPU time is the steadier of the two."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return seconds, cpu


def baseline(folder: Path, output: Path) -> None:
    """The path of before, in this process: every sub-command imported up front (SQLAlchemy,
    GeoPandas, folium …), each cell read through `_Row`, the table sheets built although
    JSON is asked for, `json.dumps(indent=2)` (pure Python once `indent` is given), the
    cyclic GC on. The rules engine is today's (its fixes count for both)."""
    import json

    from scoring.export import year_to_dict
    from scoring.report import year_sheets
    from scoring.rules import load_rules
    from scoring.sources import read_folder_rowwise
    from scoring.yearly import year_result
    from service.cli import build_app

    build_app()
    data = read_folder_rowwise(folder)
    result = year_result(data, load_rules(), YEAR)
    year_sheets(result)
    text = json.dumps(year_to_dict(result), ensure_ascii=False, indent=2) + "\n"
    output.write_text(text, encoding="utf-8")


def main() -> None:
    """Generate, time both paths, compare their output, print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--groups", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument("--baseline", nargs=2, metavar=("FOLDER", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        baseline(Path(args.baseline[0]), Path(args.baseline[1]))
        return
    cunrong = str(Path(sys.executable).with_name("cunrong"))
    with tempfile.TemporaryDirectory(prefix="cunrong-scoring-") as tmp:
        folder = Path(tmp) / "region"
        start = time.perf_counter()
        generate(folder, villages=args.villages, months=args.months, groups=args.groups)
        rows = sum(1 for _ in (folder / "observation_scores.csv").open()) - 1
        print(
            f"generated {args.villages:,} villages × {args.months} months × {args.groups} groups"
            f" ({rows:,} score rows) in {time.perf_counter() - start:.1f} s"
        )
        new_out, old_out = Path(tmp) / "new.json", Path(tmp) / "old.json"
        new_cmd = [cunrong, "score", "year", str(YEAR), "--from", str(folder)]
        new_cmd += ["--format", "json", "-o", str(new_out)]
        old_cmd = [sys.executable, "-m", "benchmarks.scoring", "--baseline", str(folder)]
        old_cmd += [str(old_out)]
        # Bytecode cached as an installed package has it (pip compiles on install), even
        # where PYTHONDONTWRITEBYTECODE is set: kept in the temporary folder, written by one
        # untimed run of each path.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        run_process(new_cmd, env)
        run_process(old_cmd, env)
        load_before = os.getloadavg()[0]
        new_runs, old_runs = [], []
        for _ in range(args.repeat):  # interleaved, so a change of load hits both alike
            new_runs.append(run_process(new_cmd, env))
            old_runs.append(run_process(old_cmd, env))
        load_after = os.getloadavg()[0]
        new_s, new_cpu = min(r[0] for r in new_runs), min(r[1] for r in new_runs)
        old_s, old_cpu = min(r[0] for r in old_runs), min(r[1] for r in old_runs)
        same = new_out.read_bytes() == old_out.read_bytes()
        size = new_out.stat().st_size
        print("                                                      wall      CPU")
        print(
            f"  before: row-wise reader, json.dumps, eager imports  {old_s:6.2f} s {old_cpu:6.2f} s"
        )
        print(
            f"  now:    cunrong score year … --format json          {new_s:6.2f} s {new_cpu:6.2f} s"
        )
        print(
            f"  ratio {old_s / new_s:.1f}× wall, {old_cpu / new_cpu:.1f}× CPU;"
            f" output {size / 1e6:.1f} MB; identical bytes: {same}"
        )
        print(
            f"  best of {args.repeat} each; load average {load_before:.1f} before,"
            f" {load_after:.1f} after, on {os.cpu_count()} CPUs"
        )
        print("  target ≤ 1.5 s wall for 10,000 villages × 12 months × 2 groups (quiet machine)")
        if not same:
            raise SystemExit("the two paths wrote different JSON")


if __name__ == "__main__":
    main()
