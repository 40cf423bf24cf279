"""Monthly observation scores (观摩打分) and honors of the sample year.

A village's score follows its issue load that month (issues per 100 households against the
town's median), so the villages with many problems sit at the bottom month after month.
August has no scoring (a month with no ranking, which breaks 连续两个月 streaks), two
villages miss one month, and one group skips one village once.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np

from geo.sample.calendar import MONTHS, NO_SCORING_MONTHS
from geo.sample.names import SCORING_GROUPS
from geo.sample.plan import HonorPlan, IssuePlan, ScorePlan, Town

TWO_GROUP_MONTHS = frozenset({"2024-06", "2024-11"})
"""Months when only two groups went out (the third was on flood / harvest duty)."""


def observation_scores(
    rng: np.random.Generator, town: Town, issues: list[IssuePlan]
) -> list[ScorePlan]:
    """Every scoring group's score for every village and scored month (with a few gaps)."""
    load = Counter(
        (i.village, i.found_on.strftime("%Y-%m")) for i in issues if i.source != "third_party"
    )
    codes = [v.code for v in town.villages]
    households = np.array([v.households for v in town.villages], dtype=float)
    calm = sorted(codes, key=lambda c: next(v.badness for v in town.villages if v.code == c))
    missing = {(calm[10], "2024-05"), (calm[20], "2024-10")}
    skipped_once = (calm[15], "2024-07", SCORING_GROUPS[2])
    bias = {g: rng.normal(0.0, 1.2) for g in SCORING_GROUPS}
    scores = []
    for step, month in enumerate(MONTHS):
        if month in NO_SCORING_MONTHS:
            continue
        per_100 = np.array([load[(c, month)] for c in codes]) / households * 100.0
        relative = per_100 / max(float(np.median(per_100)), 0.1)
        base = 84.0 + 0.5 * step - 7.5 * (np.clip(relative, 0.0, 4.0) - 1.0)
        groups = SCORING_GROUPS[:2] if month in TWO_GROUP_MONTHS else SCORING_GROUPS
        for code, value in zip(codes, base, strict=True):
            if (code, month) in missing:
                continue
            for group in groups:
                if (code, month, group) == skipped_once:
                    continue
                score = value + bias[group] + rng.normal(0.0, 1.8)
                scores.append(
                    ScorePlan(month, code, group, round(float(np.clip(score, 55, 99)), 1))
                )
    return scores


def honors(town: Town, scores: list[ScorePlan]) -> list[HonorPlan]:
    """The best villages by mean score: one with two honors, three with one."""
    totals: dict[str, list[float]] = {}
    for s in scores:
        totals.setdefault(s.village, []).append(s.score)
    best = sorted(totals, key=lambda code: (-float(np.mean(totals[code])), code))
    site_visit = "承担县现场观摩点评"
    model = "形成典型，在全镇推广经验"
    return [
        HonorPlan(best[0], date(2024, 6, 20), "model_village", model),
        HonorPlan(best[0], date(2024, 10, 24), "county_site_visit", site_visit),
        HonorPlan(best[1], date(2024, 5, 22), "county_site_visit", site_visit),
        HonorPlan(best[2], date(2024, 9, 19), "model_village", model),
        HonorPlan(best[4], date(2024, 11, 21), "model_village", model),
    ]
