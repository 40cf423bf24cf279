"""Benchmark: a region's year-end results, CSV to JSON, as a whole `cunrong score year` process.

Run by hand (not in the tests):

    .venv/bin/python -m benchmarks.scoring [--villages 10000] [--months 12] [--groups 2]

Writes a generated region (villages, observation scores of `groups` scoring groups for
`months` months, third-party results, honors) as the four CSV files into a temporary
folder, then times, each as its own process from start to exit:

- `cunrong score year YEAR --from FOLDER --format json -o FILE` (the path of today), and
- the path of before (`--baseline`: eager imports, a pydantic/dataclass-free row-wise reader
  by `_Row`, `json.dumps(indent=2)`), run through `python -m benchmarks.scoring --baseline`,

checks that both wrote the same bytes, and prints seconds and the ratio. Target: ≤ 1.5 s
for 10,000 villages × 12 months × 2 groups.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

YEAR = 2024
GROUPS = ("镇领导班子第一组", "镇领导班子第二组", "镇领导班子第三组", "镇领导班子第四组")
COMMUNITIES = ("西北片党建共同体", "东北片党建共同体", "中心片党建共同体", "南片党建共同体")


def generate(
    folder: Path,
    *,
    villages: int,
    months: int = 12,
    groups: int = 2,
    seed: int = 20241231,
    blanks: bool = True,
) -> Path:
    """Write villages.csv, observation_scores.csv, third_party.csv, honors.csv into `folder`.

    Scores have one decimal, like the town's sheets; with `blanks` a few villages miss a
    month (未评分), so the year carries warnings and skipped villages as a real one does.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    codes = [f"R{i:05d}" for i in range(1, villages + 1)]
    with (folder / "villages.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("code", "name", "community"))
        for i, code in enumerate(codes):
            writer.writerow((code, f"第{i + 1}村", COMMUNITIES[i % len(COMMUNITIES)]))
    with (folder / "observation_scores.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("month", "village", "group", "score"))
        level = {code: rng.uniform(70, 92) for code in codes}
        for m in range(1, months + 1):
            month = f"{YEAR}-{m:02d}"
            for code in codes:
                if blanks and rng.random() < 0.002:
                    continue
                for g in range(groups):
                    score = min(100.0, max(0.0, level[code] + rng.gauss(0, 4)))
                    writer.writerow((month, code, GROUPS[g % len(GROUPS)], f"{score:.1f}"))
    with (folder / "third_party.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("village", "evaluated", "problems_found", "problems_unrectified"))
        for code in rng.sample(codes, max(1, villages * 2 // 5)):
            found = rng.randint(0, 16)
            writer.writerow((code, "true", found, rng.randint(0, min(found, 4))))
    with (folder / "honors.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("village", "date", "kind"))
        for code in rng.sample(codes, max(1, villages // 20)):
            for _ in range(rng.randint(1, 2)):
                day = f"{YEAR}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                writer.writerow((code, day, rng.choice(("model_village", "county_site_visit"))))
    return folder


def run_process(command: list[str]) -> float:
    """Wall time of one process from start to exit (fails loudly when it fails)."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return seconds


def baseline(folder: Path, output: Path) -> None:
    """The path of before, in this process: row-wise reader, stdlib JSON with indent=2."""
    import json

    import service.cli  # noqa: F401  (the eager imports the old CLI paid for)
    from scoring.export import year_to_dict
    from scoring.rules import load_rules
    from scoring.sources import read_folder_rowwise
    from scoring.yearly import year_result

    data = read_folder_rowwise(folder)
    result = year_result(data, load_rules(), YEAR)
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
        new_s = min(run_process(new_cmd) for _ in range(args.repeat))
        old_s = min(run_process(old_cmd) for _ in range(args.repeat))
        same = new_out.read_bytes() == old_out.read_bytes()
        size = new_out.stat().st_size
        print(f"  before: row-wise reader, json.dumps, eager imports  {old_s:7.2f} s")
        print(f"  now:    cunrong score year … --format json           {new_s:7.2f} s")
        print(f"  ratio {old_s / new_s:.1f}×; output {size / 1e6:.1f} MB; identical bytes: {same}")
        print("  target ≤ 1.5 s for 10,000 villages × 12 months × 2 groups")
        if not same:
            raise SystemExit("the two paths wrote different JSON")


if __name__ == "__main__":
    main()
