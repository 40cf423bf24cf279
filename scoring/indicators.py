"""Issue indicators of a village, a grid (网格) or a 党建共同体, from counts SQL already made.

One computation for every unit: the database groups the issues by the unit's key
(`geo.issue_reader.unit_counts`) and `unit_indicators` turns one unit's counts into what
an official reads. `VillageIssueCounts`/`village_indicators` are the same things, named
for the most common unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CLOSED_STATUS = "closed"
"""已销号: the status that counts as rectified."""


@dataclass(frozen=True)
class IssueCounts:
    """One unit's issue counts, as a `GROUP BY` of the unit over issues and events returns them.

    - `unit`: the code of the village, grid or community.
    - `by_category`, `by_status`: issue count per category code / per status
      (open, submitted, closed, unrectified, inadequate); both sum to the number of issues.
    - `households`, `area_km2`: for densities (None when unknown).
    - `overdue`: issues still to rectify past their deadline.
    - `rebounds`: issues linked as a rebound (反弹) of a closed one.
    - `unrectified`, `inadequate`: recheck outcomes 未整改 / 整改不到位 recorded (events).
    - `closed_days_total`: sum over closed issues of days from found to closed.
    - `closed_on_time`: closed issues rectified on time (按期整改): the rectification the
      recheck accepted (the latest `submitted` event) was on or before the deadline, or
      there is no deadline — docs/closed-loop.md; counted by
      `geo.issue_reader.closed_on_time_sql`.
    """

    unit: str
    by_category: Mapping[str, int] = field(default_factory=dict)
    by_status: Mapping[str, int] = field(default_factory=dict)
    households: int | None = None
    area_km2: float | None = None
    overdue: int = 0
    rebounds: int = 0
    unrectified: int = 0
    inadequate: int = 0
    closed_days_total: float = 0.0
    closed_on_time: int = 0

    @property
    def village(self) -> str:
        """The unit's code (named for village-level callers)."""
        return self.unit


@dataclass(frozen=True)
class Indicators:
    """What an official reads about a unit's issues; ratios are None when undefined.

    `on_time_rate` (按期整改率) = closed on time ÷ (closed + overdue): issues still within
    their deadline are not judged yet.
    """

    unit: str
    issues: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    closed: int
    per_km2: float | None
    per_100_households: float | None
    rectification_rate: float | None
    mean_days_to_close: float | None
    overdue: int
    rebounds: int
    unrectified: int
    inadequate: int
    closed_on_time: int = 0
    on_time_rate: float | None = None

    @property
    def village(self) -> str:
        """The unit's code (named for village-level callers)."""
        return self.unit


VillageIssueCounts = IssueCounts
VillageIndicators = Indicators


def _ratio(numerator: float, denominator: float | None) -> float | None:
    if not denominator:
        return None
    return numerator / denominator


def unit_indicators(counts: IssueCounts) -> Indicators:
    """Densities, rectification rate (closed ÷ issues), on-time rate, mean days to close."""
    issues = sum(counts.by_status.values())
    closed = counts.by_status.get(CLOSED_STATUS, 0)
    per_household = _ratio(issues, counts.households)
    return Indicators(
        unit=counts.unit,
        issues=issues,
        by_category=dict(counts.by_category),
        by_status=dict(counts.by_status),
        closed=closed,
        per_km2=_ratio(issues, counts.area_km2),
        per_100_households=None if per_household is None else 100 * per_household,
        rectification_rate=_ratio(closed, issues),
        mean_days_to_close=_ratio(counts.closed_days_total, closed),
        overdue=counts.overdue,
        rebounds=counts.rebounds,
        unrectified=counts.unrectified,
        inadequate=counts.inadequate,
        closed_on_time=counts.closed_on_time,
        on_time_rate=_ratio(counts.closed_on_time, closed + counts.overdue),
    )


village_indicators = unit_indicators


def town_indicators(counts: Iterable[IssueCounts]) -> list[Indicators]:
    """Indicators of every unit, in the order given."""
    return [unit_indicators(c) for c in counts]


def tally(
    rows: Iterable[tuple[str, str, int]],
) -> dict[str, dict[str, int]]:
    """Fold `(village, key, count)` rows (a `GROUP BY village, category`) into nested dicts."""
    folded: dict[str, dict[str, int]] = defaultdict(dict)
    for village, key, count in rows:
        folded[village][key] = folded[village].get(key, 0) + count
    return dict(folded)
