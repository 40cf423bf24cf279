"""The year-end assessment: base (Y1), honors (M5), total (Y2), ranking and rewards (Y3)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

from scoring import wording
from scoring.inputs import ScoringInput, Village
from scoring.monthly import monthly_results
from scoring.ranking import bottom_set, competition_ranks, top_set
from scoring.results import LineItem, MonthlyResult, VillageYearResult, YearResult
from scoring.rules import HonorRules, Rules
from scoring.third_party import third_party_items


def months_of_year(data: ScoringInput, year: int) -> list[str]:
    """The months of `year` that have at least one observation score, oldest first."""
    wanted = f"{year:04d}"
    return sorted({s.month for s in data.observation_scores if s.month[:4] == wanted})


def honor_items(data: ScoringInput, rules: HonorRules, *, year: int) -> dict[str, list[LineItem]]:
    """M5: +bonus per honor dated in `year`, at most `max_per_year` per village."""
    by_village: dict[str, list[LineItem]] = defaultdict(list)
    counted: dict[str, int] = defaultdict(int)
    for honor in sorted(data.honors, key=lambda h: (h.village, h.date, h.kind)):
        if honor.date.year != year:
            continue
        day = honor.date.isoformat()
        if counted[honor.village] < rules.max_per_year:
            counted[honor.village] += 1
            points, reason = rules.bonus, wording.honor_reason(day, honor.kind, rules.bonus)
        else:
            points = 0.0
            reason = wording.honor_capped_reason(day, honor.kind, rules.max_per_year)
        by_village[honor.village].append(LineItem("M5", points, reason, day[:7]))
    return by_village


def _penalty_items(months: tuple[MonthlyResult, ...]) -> dict[str, list[LineItem]]:
    by_village: dict[str, list[LineItem]] = defaultdict(list)
    for result in months:
        for standing in result.ranking:
            by_village[standing.village].extend(standing.items)
    return by_village


def _unranked_result(
    village: Village,
    *,
    months: tuple[MonthlyResult, ...],
    extra_items: list[LineItem],
    year: int,
) -> VillageYearResult:
    """Y1 and Y2 of one village; rank, reward and deduction are filled in afterwards."""
    standings = [(r.month, r.standing(village.code)) for r in months]
    scored = [(month, s.score) for month, s in standings if s is not None]
    imputed = [month for month, s in standings if s is not None and s.imputed]
    skipped = [r.month for r in months if village.code in r.skipped_set]
    items: list[LineItem] = []
    base: float | None = None
    if scored:
        base = math.fsum(score for _, score in scored) / len(scored)
        reason = wording.base_reason(year, scored, base, imputed=imputed, skipped=skipped)
        items.append(LineItem("Y1", base, reason))
    items.extend(extra_items)
    third_party = math.fsum(i.points for i in items if i.rule in ("T1", "T2"))
    honors = math.fsum(i.points for i in items if i.rule == "M5")
    penalties = -math.fsum(i.points for i in items if i.rule == "M4")
    return VillageYearResult(
        village=village.code,
        name=village.name,
        community=village.community,
        months_scored=len(scored),
        base=base,
        third_party=third_party,
        honors=honors,
        penalties=penalties,
        total=None if base is None else base + third_party + honors - penalties,
        rank=None,
        reward_yuan=0,
        pay_deduction=False,
        items=tuple(items),
        note=None if base is not None else wording.never_scored_note(year),
    )


def year_result(data: ScoringInput, rules: Rules, year: int) -> YearResult:
    """Y1–Y3 for every village of `data` in `year`; never-scored villages are not ranked."""
    months = monthly_results(data, rules, months=months_of_year(data, year))
    third_party, third_party_mean = third_party_items(data, rules.third_party, year=year)
    honors = honor_items(data, rules.honors, year=year)
    penalties = _penalty_items(months)
    unranked = [
        _unranked_result(
            village,
            months=months,
            extra_items=[
                third_party[village.code],
                *honors.get(village.code, []),
                *penalties.get(village.code, []),
            ],
            year=year,
        )
        for village in data.villages
    ]

    totals = {r.village: r.total for r in unranked if r.total is not None}
    year_end = rules.year_end
    ranks = competition_ranks(totals, decimals=year_end.rank_decimals)
    top = top_set(totals, n=year_end.top_n, decimals=year_end.rank_decimals)
    bottom = bottom_set(totals, n=year_end.bottom_n, decimals=year_end.rank_decimals)
    results = [
        replace(
            r,
            rank=ranks.get(r.village),
            reward_yuan=year_end.reward_yuan if r.village in top else 0,
            pay_deduction=r.village in bottom,
        )
        for r in unranked
    ]
    results.sort(key=lambda r: (r.rank is None, r.rank or 0, r.village))
    return YearResult(
        year=year,
        rules=rules,
        villages=tuple(results),
        months=months,
        third_party_mean=third_party_mean,
        warnings=tuple(w for m in months for w in m.warnings),
    )
