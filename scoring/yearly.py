"""The year-end assessment: base (Y1), honors (M5), total (Y2), ranking and rewards (Y3)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from scoring import wording
from scoring.inputs import ScoreColumns, ScoringInput, Village
from scoring.monthly import monthly_results
from scoring.ranking import bottom_set, competition_ranks, top_set
from scoring.records import quick_init
from scoring.results import LineItem, MonthlyResult, VillageYearResult, YearResult
from scoring.rules import HonorRules, Rules
from scoring.third_party import third_party_items


def months_of_year(data: ScoringInput, year: int) -> list[str]:
    """The months of `year` that have at least one observation score, oldest first."""
    wanted = f"{year:04d}"
    scores = data.observation_scores
    months = set(scores.months if isinstance(scores, ScoreColumns) else (s.month for s in scores))
    return sorted(month for month in months if month[:4] == wanted)


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


def _monthly_records(
    months: tuple[MonthlyResult, ...],
) -> tuple[
    dict[str, list[tuple[str, float]]],
    dict[str, list[str]],
    dict[str, list[str]],
    dict[str, list[LineItem]],
]:
    """One pass over the months (oldest first): each village's (month, score) pairs, the
    months it was ranked at the lowest score (imputed), the months it was left out of
    (skipped), and its M4 line items."""
    scored: dict[str, list[tuple[str, float]]] = defaultdict(list)
    imputed: dict[str, list[str]] = defaultdict(list)
    skipped: dict[str, list[str]] = defaultdict(list)
    penalties: dict[str, list[LineItem]] = defaultdict(list)
    for result in months:
        month = result.month
        for standing in result.ranking:
            scored[standing.village].append((month, standing.score))
            if standing.imputed:
                imputed[standing.village].append(month)
            if standing.items:
                penalties[standing.village].extend(standing.items)
        for code in result.skipped:
            skipped[code].append(month)
    return scored, imputed, skipped, penalties


@quick_init
@dataclass(frozen=True)
class _Unranked:
    """Y1 and Y2 of one village, before the year-end ranking (Y3) is known."""

    village: Village
    months_scored: int
    base: float | None
    third_party: float
    honors: float
    penalties: float
    total: float | None
    items: tuple[LineItem, ...]


def _unranked_result(
    village: Village,
    *,
    scored: list[tuple[str, float]],
    imputed: list[str],
    skipped: list[str],
    extra_items: list[LineItem],
    year: int,
) -> _Unranked:
    """Y1 and Y2 of one village from its (month, score) pairs, oldest first."""
    items: list[LineItem] = []
    base: float | None = None
    if scored:
        base = math.fsum([score for _, score in scored]) / len(scored)
        reason = wording.base_reason(year, scored, base, imputed=imputed, skipped=skipped)
        items.append(LineItem("Y1", base, reason))
    items.extend(extra_items)
    third_party = math.fsum([i.points for i in items if i.rule in ("T1", "T2")])
    honors = math.fsum([i.points for i in items if i.rule == "M5"])
    penalties = -math.fsum([i.points for i in items if i.rule == "M4"])
    return _Unranked(
        village=village,
        months_scored=len(scored),
        base=base,
        third_party=third_party,
        honors=honors,
        penalties=penalties,
        total=None if base is None else base + third_party + honors - penalties,
        items=tuple(items),
    )


def year_result(data: ScoringInput, rules: Rules, year: int) -> YearResult:
    """Y1–Y3 for every village of `data` in `year`; never-scored villages are not ranked."""
    months = monthly_results(data, rules, months=months_of_year(data, year))
    third_party, third_party_mean = third_party_items(data, rules.third_party, year=year)
    honors = honor_items(data, rules.honors, year=year)
    scored, imputed, skipped, penalties = _monthly_records(months)
    none: list[Any] = []
    unranked = [
        _unranked_result(
            village,
            scored=scored.get(village.code, none),
            imputed=imputed.get(village.code, none),
            skipped=skipped.get(village.code, none),
            extra_items=[
                third_party[village.code],
                *honors.get(village.code, none),
                *penalties.get(village.code, none),
            ],
            year=year,
        )
        for village in data.villages
    ]

    totals = {r.village.code: r.total for r in unranked if r.total is not None}
    year_end = rules.year_end
    ranks = competition_ranks(totals, decimals=year_end.rank_decimals)
    top = top_set(totals, n=year_end.top_n, decimals=year_end.rank_decimals)
    bottom = bottom_set(totals, n=year_end.bottom_n, decimals=year_end.rank_decimals)
    results = [
        VillageYearResult(
            village=r.village.code,
            name=r.village.name,
            community=r.village.community,
            months_scored=r.months_scored,
            base=r.base,
            third_party=r.third_party,
            honors=r.honors,
            penalties=r.penalties,
            total=r.total,
            rank=ranks.get(r.village.code),
            reward_yuan=year_end.reward_yuan if r.village.code in top else 0,
            pay_deduction=r.village.code in bottom,
            items=r.items,
            note=None if r.base is not None else wording.never_scored_note(year),
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
