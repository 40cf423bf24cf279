"""A generated region for scoring: many villages, their monthly scores, third party, honors.

Used by `benchmarks/scoring.py` (10,000 villages) and by the tests (200 villages).
"""

from __future__ import annotations

import csv
import random
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
