"""What the rules engine returns: line items, monthly rankings, year-end results."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from scoring.records import quick_init
from scoring.rules import Rules


@quick_init
@dataclass(frozen=True)
class LineItem:
    """One reason a village gained or lost points: rule id, month, points, reason in Chinese."""

    rule: str
    points: float
    reason: str
    month: str | None = None


@quick_init
@dataclass(frozen=True)
class MonthlyStanding:
    """A village's line in one month's ranking (M1–M4)."""

    village: str
    name: str
    score: float
    rank: int
    bottom_ten: bool
    streak: bool
    interview: str | None
    items: tuple[LineItem, ...]
    group_count: int
    imputed: bool = False
    """Not scored that month: ranked at the month's lowest score (missing_score = "lowest")."""


@dataclass(frozen=True)
class MonthlyResult:
    """One month: the ranking (best first) and the villages not scored that month.

    `not_scored` lists every village of the town without an observation score that month
    (未评分). With missing_score = "skip" they are not in `ranking`; with "lowest" they are,
    marked `imputed`. `warnings` says so in one line when there is any.
    """

    month: str
    ranking: tuple[MonthlyStanding, ...]
    not_scored: tuple[str, ...]
    missing_score: str = "skip"
    warnings: tuple[str, ...] = ()

    @cached_property
    def skipped(self) -> tuple[str, ...]:
        """Villages not scored and left out of the ranking (missing_score = "skip")."""
        return tuple(c for c in self.not_scored if c not in self._by_village)

    @cached_property
    def skipped_set(self) -> frozenset[str]:
        """`skipped` as a set, for membership tests over many villages."""
        return frozenset(self.skipped)

    @property
    def bottom_ten(self) -> tuple[str, ...]:
        """Codes of the villages in the bottom ten (后十名), worst last."""
        return tuple(s.village for s in self.ranking if s.bottom_ten)

    @cached_property
    def _by_village(self) -> dict[str, MonthlyStanding]:
        return {s.village: s for s in self.ranking}

    def standing(self, village: str) -> MonthlyStanding | None:
        """The village's line, or None when it was not scored this month."""
        return self._by_village.get(village)


@quick_init
@dataclass(frozen=True)
class VillageYearResult:
    """A village's year-end result (Y1–Y3); `total` and `rank` are None when never scored.

    `penalties` is the positive sum of M4 deductions; total = base + third_party + honors
    - penalties, which is also the sum of `items`' points.
    """

    village: str
    name: str
    community: str
    months_scored: int
    base: float | None
    third_party: float
    honors: float
    penalties: float
    total: float | None
    rank: int | None
    reward_yuan: int
    pay_deduction: bool
    items: tuple[LineItem, ...]
    note: str | None = None

    @property
    def ranked(self) -> bool:
        """Whether the village takes part in the year-end ranking."""
        return self.rank is not None


@dataclass(frozen=True)
class YearResult:
    """The year-end assessment of the town: villages best first, then each month."""

    year: int
    rules: Rules
    villages: tuple[VillageYearResult, ...]
    months: tuple[MonthlyResult, ...]
    third_party_mean: float | None
    warnings: tuple[str, ...] = ()
    """One line per month that had villages not scored (未评分), oldest first."""

    def village(self, code: str) -> VillageYearResult:
        """The result of one village by code."""
        for result in self.villages:
            if result.village == code:
                return result
        raise KeyError(code)
