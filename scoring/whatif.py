"""What would it take (W1–W3): the points a village lacks, in the notice's own terms.

Pure arithmetic on a `YearResult` (and the `ScoringInput` it came from), as docs/rules.md
states it under W1–W3. Every comparison is the ranking's own: values rounded to
`rank_decimals` (4), ties share a rank, the edges of the top five, bottom five and bottom
ten are taken with ties included. The other villages are held as they are: the question
is what this village alone would have had to do.

- W1 year: the points lacked to enter the top five (total ≥ the 5th-highest total of the
  others) and to leave the bottom five (total > the 5th-lowest total of the others).
- W2 the same points as third-party problems fewer (T1, 0.1 each, down to 0 problems
  found) and as months out of the bottom ten (M4, 3 or 5 each, streaks recounted).
- W3 month: the monthly score that would have kept the village out of the bottom ten
  (more than the 10th-lowest score of the others).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import ROUND_FLOOR, Decimal
from itertools import combinations
from typing import Any

from scoring.errors import ScoringError
from scoring.inputs import ScoringInput, is_month, previous_month
from scoring.monthly import monthly_result
from scoring.results import MonthlyResult, YearResult
from scoring.rules import MonthlyRules, Rules
from scoring.yearly import year_result


class WhatIfError(ScoringError):
    """The question has no answer: unknown village, village not ranked, month not scored."""

    def __init__(self, message: str, *, field: str) -> None:
        self.field = field
        super().__init__(message)


def _dec(value: float, decimals: int) -> Decimal:
    """A value as the ranking compares it: rounded to `decimals`, exactly in decimal."""
    return Decimal(repr(round(value, decimals))).quantize(Decimal(1).scaleb(-decimals))


def _text(value: Decimal) -> str:
    """`59.8000` → `59.8`, `71.0001` stays."""
    return format(value.normalize(), "f")


def _step(decimals: int) -> Decimal:
    """The smallest difference the ranking sees (0.0001 at 4 decimals)."""
    return Decimal(1).scaleb(-decimals)


def nth_highest(values: Iterable[Decimal], n: int) -> Decimal | None:
    """The n-th highest value counting ties separately (None when there are fewer than n)."""
    ordered = sorted(values, reverse=True)
    return ordered[n - 1] if 0 < n <= len(ordered) else None


def nth_lowest(values: Iterable[Decimal], n: int) -> Decimal | None:
    """The n-th lowest value counting ties separately (None when there are fewer than n)."""
    ordered = sorted(values)
    return ordered[n - 1] if 0 < n <= len(ordered) else None


@dataclass(frozen=True)
class ProblemsFewer:
    """W2 by T1: how many third-party problems fewer would give the points."""

    possible: bool
    count: int | None
    points: float | None
    found: int | None
    note: str


@dataclass(frozen=True)
class MonthsOut:
    """W2 by M4: the fewest months out of the bottom ten that would save the points."""

    possible: bool
    count: int | None
    months: tuple[str, ...]
    points: float | None
    note: str


@dataclass(frozen=True)
class Goal:
    """W1: one goal of the year (enter the top five or leave the bottom five)."""

    goal: str
    n: int
    reached: bool
    possible: bool
    threshold: float | None
    """The others' n-th highest (top) or n-th lowest (bottom) total, rounded."""
    strictly_more: bool
    """Whether the total must exceed `threshold` (bottom) or only reach it (top)."""
    points: float | None
    """The fewest points, at the ranking's precision; 0 when reached, None when impossible."""
    problems_fewer: ProblemsFewer
    months_out: MonthsOut
    note: str


@dataclass(frozen=True)
class MonthLine:
    """A month of the year for the village: bottom ten or not, and what would have kept it out."""

    month: str
    score: float | None
    scored: bool
    rank: int | None
    bottom_ten: bool
    penalty: float
    needed_score: float | None
    removable: bool
    note: str


@dataclass(frozen=True)
class YearWhatIf:
    """W1–W2 for one village and year."""

    year: int
    village: str
    name: str
    total: float
    rank: int
    ranked_villages: int
    enter_top: Goal
    leave_bottom: Goal
    months: tuple[MonthLine, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class MonthWhatIf:
    """W3 for one village and month."""

    month: str
    village: str
    name: str
    score: float | None
    scored: bool
    rank: int | None
    bottom_ten: bool
    scored_villages: int
    possible: bool
    threshold: float | None
    """The 10th-lowest monthly score of the other villages, rounded."""
    needed_score: float | None
    """The lowest monthly score that would have been out of the bottom ten."""
    points: float | None
    """needed_score − score (0 when already out; None when impossible or not scored)."""
    note: str
    warnings: tuple[str, ...]


# W3 ------------------------------------------------------------------------------------


def score_out_of_bottom(
    others: Iterable[float], rules: MonthlyRules
) -> tuple[Decimal | None, Decimal | None]:
    """W3: (10th-lowest of the others, the lowest score strictly above it) or (None, None).

    M3 puts a village in the bottom ten when fewer than `bottom_n` villages scored strictly
    lower. With the others fixed, a score s is out iff at least `bottom_n` others are below
    it, i.e. iff s rounded is more than the `bottom_n`-th lowest of the others (rounded).
    The answer is that value plus one unit of the last compared decimal, if it is ≤ 100.
    """
    decimals = rules.rank_decimals
    edge = nth_lowest((_dec(v, decimals) for v in others), rules.bottom_n)
    if edge is None:
        return None, None
    needed = edge + _step(decimals)
    return edge, needed if needed <= 100 else None


def month_what_if(data: ScoringInput, rules: Rules, month: str, village: str) -> MonthWhatIf:
    """W3 of `village` in `month` (the others' monthly scores as they were)."""
    if not is_month(month):
        raise WhatIfError(f"expected a month YYYY-MM, got {month!r}", field="month")
    name = _village_name(data, village)
    result = monthly_result(data, rules, month)
    return _month_answer(result, village, name, rules.monthly)


def _month_answer(
    result: MonthlyResult, village: str, name: str, rules: MonthlyRules
) -> MonthWhatIf:
    standing = result.standing(village)
    others = [s.score for s in result.ranking if s.village != village]
    edge, needed = score_out_of_bottom(others, rules)
    scored = standing is not None and not standing.imputed
    score = standing.score if standing is not None else None
    in_bottom = standing is not None and standing.bottom_ten
    points: float | None = None
    if edge is None:
        possible = False
        note = (
            f"当月仅{len(others)}个其他村有得分，不足{rules.bottom_n}个：任何得分都在后十名"
            f" — only {len(others)} other villages ranked: every village is in the bottom ten"
        )
    elif needed is None:
        possible = False
        note = "即使100分也在后十名 — even 100 would be in the bottom ten"
    else:
        possible = True
        if standing is not None and not in_bottom:
            points = 0.0
            note = "当月不在后十名 — not in the bottom ten"
        elif standing is not None:
            points = float(needed - _dec(standing.score, rules.rank_decimals))
            note = (
                f"当月得分达到{_text(needed)}分（高于第{rules.bottom_n}低的{_text(edge)}分）即不在后十名"
                f" — a score of {_text(needed)} (more than the others' {rules.bottom_n}th lowest,"
                f" {_text(edge)}) would have kept it out"
            )
        else:
            note = (
                f"当月未评分；得分达到{_text(needed)}分即不在后十名"
                f" — not scored; a score of {_text(needed)} would have kept it out"
            )
        if standing is not None and standing.imputed:
            note += "（未评分，按当月最低分计 — not scored, ranked at the lowest）"
    return MonthWhatIf(
        month=result.month,
        village=village,
        name=name,
        score=score,
        scored=scored,
        rank=standing.rank if standing is not None else None,
        bottom_ten=in_bottom,
        scored_villages=len(result.ranking),
        possible=possible,
        threshold=None if edge is None else float(edge),
        needed_score=None if needed is None else float(needed),
        points=points,
        note=note,
        warnings=result.warnings,
    )


# W2 by M4 --------------------------------------------------------------------------------


def penalty_total(
    months: set[str], rules: MonthlyRules, *, before: frozenset[str] | set[str] = frozenset()
) -> float:
    """M4 points lost for bottom-ten `months` (streaks counted; `before`: earlier months in it).

    A month whose previous calendar month is in the bottom ten too costs streak_penalty
    (replace) or bottom_penalty + streak_penalty (add); any other costs bottom_penalty.
    """
    seen = months | before
    total = 0.0
    for month in months:
        if previous_month(month) in seen:
            total += rules.streak_penalty
            if rules.streak_mode == "add":
                total += rules.bottom_penalty
        else:
            total += rules.bottom_penalty
    return total


def fewest_months_out(
    bottom: set[str],
    removable: set[str],
    needed: Decimal,
    rules: MonthlyRules,
    *,
    before: frozenset[str] | set[str] = frozenset(),
    strictly_more: bool = False,
) -> tuple[tuple[str, ...], Decimal] | None:
    """The fewest `removable` months whose leaving the bottom ten saves ≥ `needed` points.

    The saving of a set is the drop in `penalty_total` (so leaving the first month of a
    streak also turns the next month's −5 back into −3). With `strictly_more`, the saving
    must exceed `needed`. Among sets of the same size, the largest saving wins, then the
    earliest months. None when even all removable months do not save enough.
    """
    now = Decimal(repr(penalty_total(bottom, rules, before=before)))
    candidates = sorted(removable)
    for size in range(1, len(candidates) + 1):
        best: tuple[Decimal, tuple[str, ...]] | None = None
        for chosen in combinations(candidates, size):
            after = Decimal(repr(penalty_total(bottom - set(chosen), rules, before=before)))
            saving = now - after
            if best is None or saving > best[0]:
                best = (saving, chosen)
        if best is not None and (best[0] > needed if strictly_more else best[0] >= needed):
            return best[1], best[0]
    return None


# W1 ------------------------------------------------------------------------------------


def _problems_fewer(
    needed: Decimal, *, strictly_more: bool, data: ScoringInput, rules: Rules, village: str
) -> ProblemsFewer:
    evaluation = next((e for e in data.third_party if e.village == village and e.evaluated), None)
    found = None if evaluation is None else evaluation.problems_found
    if needed <= 0 and not strictly_more:
        return ProblemsFewer(True, 0, 0.0, found, "无需 — none needed")
    if evaluation is None:
        return ProblemsFewer(
            False,
            None,
            None,
            None,
            "未参加市第三方测评（T2按测评村平均分计），无此项"
            " — not evaluated by the city (T2 is the evaluated villages' mean)",
        )
    per = Decimal(repr(rules.third_party.points_per_problem))
    if per <= 0:
        return ProblemsFewer(False, None, None, found, "每个问题0分 — 0 points per problem")
    quotient = needed / per
    count = int(quotient.to_integral_value(rounding=ROUND_FLOOR))
    if strictly_more or count < quotient:
        count += 1
    found = evaluation.problems_found
    if count > found:  # the cap: problems found cannot go below 0
        return ProblemsFewer(
            False,
            None,
            None,
            found,
            f"发现问题{found}个，最多少{found}个（{float(per * found):g}分），不够"
            f" — {found} problems found: at most {found} fewer ({float(per * found):g} points),"
            " not enough",
        )
    return ProblemsFewer(
        True,
        count,
        float(per * count),
        found,
        f"市第三方测评少发现{count}个问题（{found}→{found - count}个，每个{float(per):g}分）"
        f" — {count} third-party problem{'' if count == 1 else 's'} fewer"
        f" ({found} → {found - count})",
    )


def _months_out(
    needed: Decimal,
    *,
    strictly_more: bool,
    lines: tuple[MonthLine, ...],
    before: set[str],
    rules: MonthlyRules,
) -> MonthsOut:
    bottom = {line.month for line in lines if line.bottom_ten}
    removable = {line.month for line in lines if line.bottom_ten and line.removable}
    if needed <= 0 and not strictly_more:
        return MonthsOut(True, 0, (), 0.0, "无需 — none needed")
    if not bottom:
        return MonthsOut(False, None, (), None, "全年未进后十名，无此项 — never in the bottom ten")
    found = fewest_months_out(
        bottom, removable, needed, rules, before=before, strictly_more=strictly_more
    )
    if found is None:
        most = penalty_total(bottom, rules, before=before) - penalty_total(
            bottom - removable, rules, before=before
        )
        return MonthsOut(
            False,
            None,
            (),
            None,
            f"{len(removable)}个可退出后十名的月份最多省{most:g}分，不够"
            f" — the {len(removable)} months it could have left save at most {most:g} points",
        )
    chosen, saving = found
    listed = "、".join(f"{int(m[5:7])}月" for m in chosen)
    return MonthsOut(
        True,
        len(chosen),
        chosen,
        float(saving),
        f"{listed}不进后十名，少扣{float(saving):g}分"
        f" — out of the bottom ten in {', '.join(chosen)}: {float(saving):g} points fewer lost",
    )


def _village_name(data: ScoringInput, village: str) -> str:
    names = data.village_names()
    if village not in names:
        raise WhatIfError(f"unknown village code {village!r}", field="village")
    return names[village]


def year_what_if(
    data: ScoringInput,
    rules: Rules,
    year: int,
    village: str,
    *,
    result: YearResult | None = None,
) -> YearWhatIf:
    """W1–W2 of `village` in `year` (the other villages' totals as they are)."""
    name = _village_name(data, village)
    result = result if result is not None else year_result(data, rules, year)
    mine = result.village(village)
    if mine.total is None or mine.rank is None:
        raise WhatIfError(
            f"{village} ({name}) has no monthly score in {year}: it has no total and no rank,"
            " so no number of points would place it",
            field="village",
        )
    decimals = rules.year_end.rank_decimals
    own = _dec(mine.total, decimals)
    others = [
        _dec(v.total, decimals)
        for v in result.villages
        if v.total is not None and v.village != village
    ]
    lines = tuple(_month_line(m, village, name, rules.monthly) for m in result.months)
    december = previous_month(f"{year:04d}-01")
    before = _bottom_before(data, rules, december, village)

    def goal(kind: str) -> Goal:
        top = kind == "enter_top"
        n = rules.year_end.top_n if top else rules.year_end.bottom_n
        edge = nth_highest(others, n) if top else nth_lowest(others, n)
        if edge is None:
            reached = top
            needed: Decimal | None = Decimal(0) if top else None
        elif top:
            reached = own >= edge
            needed = max(Decimal(0), edge - own)
        else:
            reached = own > edge
            needed = Decimal(0) if reached else edge - own + _step(decimals)
        line = "" if edge is None else _text(edge)
        if top:
            label = f"前{n}名 the top {n}"
            if reached:
                note = f"已在{label}（第{mine.rank}名） — already in the top {n}"
            else:
                note = (
                    f"总分达到其他村第{n}高的{line}分即进入前{n}名（并列计入）"
                    f" — a total of at least {line}, the others' {n}th highest,"
                    f" enters the top {n}"
                )
        elif needed is None:
            note = (
                f"排名村仅{len(others) + 1}个，不超过{n}个：都在后{n}名"
                f" — only {len(others) + 1} villages ranked: every one is in the bottom {n}"
            )
        elif reached:
            note = f"不在后{n}名 — not in the bottom {n}"
        else:
            note = (
                f"总分高于其他村第{n}低的{line}分即退出后{n}名"
                f" — a total above {line}, the others' {n}th lowest, leaves the bottom {n}"
            )
        if needed is None:
            fewer = ProblemsFewer(False, None, None, None, note)
            out = MonthsOut(False, None, (), None, note)
        else:
            # Top: the points must reach `needed`. Bottom: they must exceed edge − own.
            strict = not top and not reached
            target = needed - _step(decimals) if strict else needed
            fewer = _problems_fewer(
                target, strictly_more=strict, data=data, rules=rules, village=village
            )
            out = _months_out(
                target, strictly_more=strict, lines=lines, before=before, rules=rules.monthly
            )
        return Goal(
            goal=kind,
            n=n,
            reached=reached,
            possible=needed is not None,
            threshold=None if edge is None else float(edge),
            strictly_more=not top,
            points=None if needed is None else float(needed),
            problems_fewer=fewer,
            months_out=out,
            note=note,
        )

    return YearWhatIf(
        year=year,
        village=village,
        name=name,
        total=mine.total,
        rank=mine.rank,
        ranked_villages=len(others) + 1,
        enter_top=goal("enter_top"),
        leave_bottom=goal("leave_bottom"),
        months=lines,
        warnings=result.warnings,
    )


def _month_line(result: MonthlyResult, village: str, name: str, rules: MonthlyRules) -> MonthLine:
    answer = _month_answer(result, village, name, rules)
    standing = result.standing(village)
    penalty = -math.fsum(i.points for i in standing.items) if standing is not None else 0.0
    return MonthLine(
        month=result.month,
        score=answer.score,
        scored=answer.scored,
        rank=answer.rank,
        bottom_ten=answer.bottom_ten,
        penalty=penalty,
        needed_score=answer.needed_score,
        removable=answer.bottom_ten and answer.possible,
        note=answer.note,
    )


def _bottom_before(data: ScoringInput, rules: Rules, december: str, village: str) -> set[str]:
    """{December before} when the village was in its bottom ten (it decides a January streak)."""
    if not any(s.month == december for s in data.observation_scores):
        return set()
    standing = monthly_result(data, rules, december).standing(village)
    return {december} if standing is not None and standing.bottom_ten else set()


def year_what_if_to_dict(answer: YearWhatIf) -> dict[str, Any]:
    """`cunrong score what-if YEAR VILLAGE --format json` and the API's answer."""
    return {"kind": "year"} | asdict(answer)


def month_what_if_to_dict(answer: MonthWhatIf) -> dict[str, Any]:
    """`cunrong score what-if YEAR VILLAGE --month M --format json` and the API's answer."""
    return {"kind": "month"} | asdict(answer)
