"""What the rules engine reads: villages, observation scores, third-party results, honors."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import overload

from scoring.errors import SourceError
from scoring.records import quick_init

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
"""A month is written `YYYY-MM`, e.g. `2024-04`."""
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100
"""The plausible years of a campaign's records: months and dates outside are refused."""

HONOR_LABELS = {"model_village": "形成典型", "county_site_visit": "承担县现场观摩点评"}
"""Honor kinds known to the town, with their Chinese labels."""


@quick_init
@dataclass(frozen=True)
class Village:
    """村: `code` is the key every other record uses; `community` is the 党建共同体 name."""

    code: str
    name: str
    community: str = ""


@quick_init
@dataclass(frozen=True)
class ObservationScore:
    """观摩打分: one scoring group's score (0–100) for a village in a month (`YYYY-MM`)."""

    month: str
    village: str
    group: str
    score: float


class ScoreColumns(Sequence[ObservationScore]):
    """Observation scores held as four columns, as the CSV reader reads them.

    A region's year is 240,000 scores; the rules engine groups them by month and village
    straight from the columns, so the year-end run builds no `ObservationScore` for them.
    Anyone else sees a read-only sequence of `ObservationScore`, each built when taken,
    equal (and hashing alike) to the tuple of the same scores.
    """

    __slots__ = ("groups", "months", "scores", "villages")

    def __init__(
        self,
        months: Sequence[str],
        villages: Sequence[str],
        groups: Sequence[str],
        scores: Sequence[float],
    ) -> None:
        if not len(months) == len(villages) == len(groups) == len(scores):
            raise ValueError("score columns: expected four columns of one length")
        self.months = tuple(months)
        self.villages = tuple(villages)
        self.groups = tuple(groups)
        self.scores = tuple(scores)

    def __len__(self) -> int:
        return len(self.scores)

    def __iter__(self) -> Iterator[ObservationScore]:
        return map(ObservationScore, self.months, self.villages, self.groups, self.scores)

    @overload
    def __getitem__(self, index: int) -> ObservationScore: ...

    @overload
    def __getitem__(self, index: slice) -> ScoreColumns: ...

    def __getitem__(self, index: int | slice) -> ObservationScore | ScoreColumns:
        if isinstance(index, slice):
            return ScoreColumns(
                self.months[index], self.villages[index], self.groups[index], self.scores[index]
            )
        return ObservationScore(
            self.months[index], self.villages[index], self.groups[index], self.scores[index]
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ScoreColumns):
            return (self.months, self.villages, self.groups, self.scores) == (
                other.months,
                other.villages,
                other.groups,
                other.scores,
            )
        if isinstance(other, tuple):
            return tuple(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"ScoreColumns({len(self)} scores)"


@dataclass(frozen=True)
class ThirdPartyEvaluation:
    """市第三方测评 of one village in the assessed year.

    `problems_unrectified` counts problems not rectified or inadequately rectified.
    A village with no record, or with `evaluated=False`, was not evaluated (T2).
    When the evaluation came as points, `found_issues` and `unrectified_issues` hold the
    codes of the issues counted (their lengths are the two counts); typed counts leave
    them empty.
    """

    village: str
    evaluated: bool
    problems_found: int = 0
    problems_unrectified: int = 0
    found_issues: tuple[str, ...] = ()
    unrectified_issues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Honor:
    """典型 (`model_village`) or 承担县现场观摩点评 (`county_site_visit`); counts in `date.year`."""

    village: str
    date: date
    kind: str


@dataclass(frozen=True)
class ScoringInput:
    """Everything the rules engine needs for one assessment year.

    - `villages`: every village of the town, scored or not (a village never scored all
      year still gets a result that says so).
    - `observation_scores`: every group's score for the year's months; it may also hold
      the previous December so a streak running into January is seen. Scores of other
      years are ignored by the year-end result. A tuple, or `ScoreColumns` (the CSV
      reader's, equal to the tuple of the same scores).
    - `third_party`: the city's evaluation of the assessed year, at most one per village.
    - `honors`: honors with their dates; only those dated in the assessed year count.

    - `origin`: where the data came from (a path, "database"), named in error messages.

    Filled by `scoring.sources.read_source` (CSV folder or .xlsx workbook) or by the
    database loader (`geo.scoring_source.load_scoring_input(year)`).
    """

    villages: tuple[Village, ...]
    observation_scores: tuple[ObservationScore, ...] | ScoreColumns = ()
    third_party: tuple[ThirdPartyEvaluation, ...] = ()
    honors: tuple[Honor, ...] = ()
    origin: str = field(default="input", compare=False)

    def village_names(self) -> dict[str, str]:
        """Village code → name."""
        return {v.code: v.name for v in self.villages}

    def communities(self) -> dict[str, str]:
        """Village code → community name."""
        return {v.code: v.community for v in self.villages}


def is_month(text: str) -> bool:
    """Whether `text` is a month written `YYYY-MM`."""
    return MONTH_PATTERN.match(text) is not None


def shift_month(month: str, months: int) -> str:
    """`YYYY-MM` moved by `months` calendar months (negative: back) — the one month arithmetic."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(month: str) -> str:
    """The calendar month before `YYYY-MM` (January → December of the year before)."""
    return shift_month(month, -1)


def next_month(month: str) -> str:
    """The calendar month after `YYYY-MM` (December → January of the year after)."""
    return shift_month(month, 1)


def month_label(month: str) -> str:
    """`2024-04` → `2024年4月`."""
    return f"{int(month[:4])}年{int(month[5:7])}月"


def check_input(data: ScoringInput) -> None:
    """Refuse records that break the rules' assumptions (for data not read by `sources`)."""
    origin = data.origin
    codes: set[str] = set()
    for index, village in enumerate(data.villages, start=1):
        if not village.code:
            raise SourceError(f"{origin} villages", "empty village code", row=index, field="code")
        if village.code in codes:
            raise SourceError(
                f"{origin} villages", f"duplicate village code {village.code!r}", row=index
            )
        codes.add(village.code)
    for index, score in enumerate(data.observation_scores, start=1):
        where = f"{origin} observation_scores"
        if not is_month(score.month):
            raise SourceError(
                where, f"expected a month YYYY-MM, got {score.month!r}", row=index, field="month"
            )
        if score.village not in codes:
            raise SourceError(
                where, f"unknown village code {score.village!r}", row=index, field="village"
            )
        if not 0 <= score.score <= 100:
            raise SourceError(
                where,
                f"expected a score from 0 to 100, got {score.score}",
                row=index,
                field="score",
            )
    seen: set[str] = set()
    for index, evaluation in enumerate(data.third_party, start=1):
        where = f"{origin} third_party"
        if evaluation.village not in codes:
            raise SourceError(
                where, f"unknown village code {evaluation.village!r}", row=index, field="village"
            )
        if evaluation.village in seen:
            raise SourceError(
                where, f"second evaluation of {evaluation.village!r}", row=index, field="village"
            )
        seen.add(evaluation.village)
        for name in ("problems_found", "problems_unrectified"):
            if getattr(evaluation, name) < 0:
                raise SourceError(where, "expected a count >= 0", row=index, field=name)
    for index, honor in enumerate(data.honors, start=1):
        if honor.village not in codes:
            raise SourceError(
                f"{origin} honors",
                f"unknown village code {honor.village!r}",
                row=index,
                field="village",
            )
