"""The monthly round: score (M1), ranking (M2), bottom ten (M3), interviews and penalties (M4)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping

from scoring import wording
from scoring.errors import MissingScoreError, NoScoresError
from scoring.inputs import (
    ObservationScore,
    ScoreColumns,
    ScoringInput,
    is_month,
    previous_month,
)
from scoring.ranking import bottom_keys, bottom_set, ranked_keys, rounded
from scoring.results import LineItem, MonthlyResult, MonthlyStanding
from scoring.rules import MonthlyRules, Rules


def _collected(
    scores: Iterable[ObservationScore] | ScoreColumns,
) -> dict[str, dict[str, list[float]]]:
    """month → village → the scores of all groups, in input order."""
    rows: Iterable[tuple[str, str, float]]
    if isinstance(scores, ScoreColumns):
        rows = zip(scores.months, scores.villages, scores.scores, strict=True)
    else:
        rows = ((score.month, score.village, score.score) for score in scores)
    collected: dict[str, dict[str, list[float]]] = {}
    for month, village, score in rows:
        by_village = collected.get(month)
        if by_village is None:
            by_village = collected[month] = {}
        values = by_village.get(village)
        if values is None:
            by_village[village] = [score]
        else:
            values.append(score)
    return collected


def _means(collected: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    fsum = math.fsum
    return {
        month: {village: fsum(values) / len(values) for village, values in by_village.items()}
        for month, by_village in collected.items()
    }


def monthly_scores(scores: Iterable[ObservationScore]) -> dict[str, dict[str, float]]:
    """M1: month → village → mean of the scores of all groups that month."""
    return _means(_collected(scores))


def group_counts(scores: Iterable[ObservationScore]) -> dict[tuple[str, str], int]:
    """(month, village) → how many scores were averaged."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for score in scores:
        counts[(score.month, score.village)] += 1
    return counts


def bottom_ten(means: Mapping[str, float], rules: MonthlyRules) -> set[str]:
    """M3: villages with fewer than `bottom_n` villages scored strictly lower."""
    return bottom_set(means, n=rules.bottom_n, decimals=rules.rank_decimals)


def fill_missing(
    month: str,
    means: Mapping[str, float],
    data: ScoringInput,
    rules: Rules,
    *,
    names: Mapping[str, str] | None = None,
) -> tuple[dict[str, float], set[str], tuple[str, ...], str | None]:
    """M1a: apply `missing_score` to the villages not scored in a month that has scores.

    Returns the means to rank (with the lowest score filled in under "lowest"), the
    villages so filled in, every village not scored, and the month's warning line.
    Raises `MissingScoreError` under "error". `names` is `data.village_names()` when known.
    """
    missing = tuple(v.code for v in data.villages if v.code not in means)
    if not means or not missing:
        return dict(means), set(), missing, None
    mode = rules.monthly.missing_score
    names = data.village_names() if names is None else names
    if mode == "error":
        raise MissingScoreError(month, [(c, names.get(c, c)) for c in missing], rules.source)
    lowest = min(means.values())
    warning = wording.missing_warning(
        month, [f"{c} {names.get(c, c)}" for c in missing], mode=mode, lowest=lowest
    )
    if mode == "lowest":
        return dict(means) | {c: lowest for c in missing}, set(missing), missing, warning
    return dict(means), set(), missing, warning


def penalty_items(
    *, month: str, rank: int, streak: bool, community: str, rules: MonthlyRules
) -> tuple[str, tuple[LineItem, ...]]:
    """M4: who interviews whom, and the line items, for a village in the bottom ten."""
    if not streak:
        interview = wording.bottom_interview()
        reason = wording.bottom_reason(month, rank, rules.bottom_penalty, interview=interview)
        return interview, (LineItem("M4", -rules.bottom_penalty, reason, month),)
    interview = wording.streak_interview(community)
    previous = previous_month(month)
    streak_item = LineItem(
        "M4",
        -rules.streak_penalty,
        wording.streak_reason(previous, month, rank, rules.streak_penalty, interview=interview),
        month,
    )
    if rules.streak_mode == "replace":
        return interview, (streak_item,)
    single = LineItem(
        "M4",
        -rules.bottom_penalty,
        wording.bottom_reason(month, rank, rules.bottom_penalty, interview=None),
        month,
    )
    return interview, (single, streak_item)


def rank_month(
    month: str,
    *,
    means: Mapping[str, float],
    previous_bottom: set[str],
    data: ScoringInput,
    counts: Mapping[str, int],
    rules: MonthlyRules,
    imputed: set[str] | frozenset[str] = frozenset(),
    warning: str | None = None,
    names: Mapping[str, str] | None = None,
    communities: Mapping[str, str] | None = None,
    bottom: set[str] | None = None,
    keys: Mapping[str, float] | None = None,
) -> MonthlyResult:
    """M2–M4 for one month, given M1 means and the previous calendar month's bottom ten.

    `counts` is village → how many groups scored it that month. `imputed` villages were
    not scored and carry the month's lowest score (M1a). `names` and `communities` are
    those of `data` (passed when ranking many months, so they are built once), `bottom`
    is `bottom_ten(means, rules)` and `keys` the means as ranks compare them
    (`scoring.ranking.rounded`) when already known.
    """
    names = data.village_names() if names is None else names
    communities = data.communities() if communities is None else communities
    keys = rounded(means, decimals=rules.rank_decimals) if keys is None else keys
    bottom = bottom_keys(keys, n=rules.bottom_n) if bottom is None else bottom
    standings: list[MonthlyStanding] = []
    append = standings.append
    interview: str | None
    items: tuple[LineItem, ...]
    for village, rank in ranked_keys(keys):
        if village in bottom:
            streak = village in previous_bottom
            interview, items = penalty_items(
                month=month,
                rank=rank,
                streak=streak,
                community=communities.get(village, ""),
                rules=rules,
            )
            in_bottom = True
        else:
            streak, interview, items, in_bottom = False, None, (), False
        append(
            MonthlyStanding(  # positional, in field order: 120,000 of them for a region
                village,
                names.get(village, village),
                means[village],
                rank,
                in_bottom,
                streak,
                interview,
                items,
                counts.get(village, 0),
                village in imputed,
            )
        )
    not_scored = tuple(v.code for v in data.villages if v.code not in means or v.code in imputed)
    return MonthlyResult(
        month=month,
        ranking=tuple(standings),
        not_scored=not_scored,
        missing_score=rules.missing_score,
        warnings=(warning,) if warning else (),
    )


def monthly_results(
    data: ScoringInput, rules: Rules, *, months: Iterable[str] | None = None
) -> tuple[MonthlyResult, ...]:
    """Monthly results for `months` (default: every month with a score), oldest first.

    A month without any score has no ranking, so it has no bottom ten and breaks a streak.
    Villages not scored in a month that has scores are treated by `missing_score` (M1a),
    in the previous calendar month too when it decides a streak.
    """
    collected = _collected(data.observation_scores)
    means_by_month = _means(collected)
    names, communities = data.village_names(), data.communities()
    wanted = sorted(means_by_month if months is None else months)
    # A month's filled-in means and bottom ten serve twice: for its own ranking and as the
    # previous month of the next one.
    bottoms: dict[str, set[str]] = {}
    results = []
    for month in wanted:
        if not is_month(month):
            raise ValueError(f"month: expected YYYY-MM, got {month!r}")
        means = means_by_month.get(month)
        if not means:
            raise NoScoresError(f"{data.origin}: no observation score in {month}")
        before = previous_month(month)
        if before not in bottoms:
            earlier, _, _, _ = fill_missing(
                before, means_by_month.get(before, {}), data, rules, names=names
            )
            bottoms[before] = bottom_ten(earlier, rules.monthly)
        filled, imputed, _, warning = fill_missing(month, means, data, rules, names=names)
        keys = rounded(filled, decimals=rules.monthly.rank_decimals)
        bottoms[month] = bottom_keys(keys, n=rules.monthly.bottom_n)
        results.append(
            rank_month(
                month,
                means=filled,
                previous_bottom=bottoms[before],
                bottom=bottoms[month],
                keys=keys,
                data=data,
                counts={village: len(values) for village, values in collected[month].items()},
                rules=rules.monthly,
                imputed=imputed,
                warning=warning,
                names=names,
                communities=communities,
            )
        )
    return tuple(results)


def monthly_result(data: ScoringInput, rules: Rules, month: str) -> MonthlyResult:
    """The result of one month; `NoScoresError` when nobody was scored that month."""
    return monthly_results(data, rules, months=[month])[0]
