"""Per-village issue indicators, computed from counts that SQL (`GROUP BY`) already made."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

CLOSED_STATUS = "closed"
"""已销号: the status that counts as rectified."""


@dataclass(frozen=True)
class VillageIssueCounts:
    """One village's issue counts, as a `GROUP BY village` over issues and events returns them.

    - `by_category`, `by_status`: issue count per category code / per status
      (open, submitted, closed, unrectified, inadequate); both sum to the number of issues.
    - `households`, `area_km2`: for densities (None when unknown).
    - `overdue`: issues still to rectify past their deadline.
    - `rebounds`: issues linked as a rebound (反弹) of a closed one.
    - `unrectified`, `inadequate`: recheck outcomes 未整改 / 整改不到位 recorded (events).
    - `closed_days_total`: sum over closed issues of days from found to closed.
    """

    village: str
    by_category: Mapping[str, int] = field(default_factory=dict)
    by_status: Mapping[str, int] = field(default_factory=dict)
    households: int | None = None
    area_km2: float | None = None
    overdue: int = 0
    rebounds: int = 0
    unrectified: int = 0
    inadequate: int = 0
    closed_days_total: float = 0.0


@dataclass(frozen=True)
class VillageIndicators:
    """What an official reads about a village's issues; ratios are None when undefined."""

    village: str
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


def _ratio(numerator: float, denominator: float | None) -> float | None:
    if not denominator:
        return None
    return numerator / denominator


def village_indicators(counts: VillageIssueCounts) -> VillageIndicators:
    """Densities, rectification rate (closed ÷ issues) and mean days to close of one village."""
    issues = sum(counts.by_status.values())
    closed = counts.by_status.get(CLOSED_STATUS, 0)
    per_household = _ratio(issues, counts.households)
    return VillageIndicators(
        village=counts.village,
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
    )


def town_indicators(counts: Iterable[VillageIssueCounts]) -> list[VillageIndicators]:
    """Indicators of every village, in the order given."""
    return [village_indicators(c) for c in counts]


def tally(
    rows: Iterable[tuple[str, str, int]],
) -> dict[str, dict[str, int]]:
    """Fold `(village, key, count)` rows (a `GROUP BY village, category`) into nested dicts."""
    folded: dict[str, dict[str, int]] = defaultdict(dict)
    for village, key, count in rows:
        folded[village][key] = folded[village].get(key, 0) + count
    return dict(folded)
