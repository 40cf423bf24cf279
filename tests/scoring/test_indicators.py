"""Per-village issue indicators from counts a GROUP BY returned."""

from __future__ import annotations

import pytest

from scoring.indicators import (
    IssueCounts,
    VillageIssueCounts,
    tally,
    town_indicators,
    unit_indicators,
    village_indicators,
)


def test_indicators_from_counts() -> None:
    # 10 issues (3 open + 1 submitted + 6 closed) in 2.5 km² and 250 households:
    # density 10 / 2.5 = 4 per km²; 10 / 250 × 100 = 4 per 100 households;
    # rectification rate 6 / 10 = 0.6; mean days to close 42 / 6 = 7.
    counts = VillageIssueCounts(
        unit="V01",
        by_category={"clutter": 7, "weeds": 3},
        by_status={"open": 3, "submitted": 1, "closed": 6},
        households=250,
        area_km2=2.5,
        overdue=2,
        rebounds=1,
        unrectified=2,
        inadequate=1,
        closed_days_total=42,
    )
    result = village_indicators(counts)
    assert result.issues == 10
    assert result.closed == 6
    assert result.per_km2 == pytest.approx(4)
    assert result.per_100_households == pytest.approx(4)
    assert result.rectification_rate == pytest.approx(0.6)
    assert result.mean_days_to_close == pytest.approx(7)
    assert (result.overdue, result.rebounds, result.unrectified, result.inadequate) == (2, 1, 2, 1)
    assert result.by_category == {"clutter": 7, "weeds": 3}


def test_undefined_ratios_are_none() -> None:
    # No issue, unknown households and area: nothing to divide by.
    result = village_indicators(VillageIssueCounts(unit="V02"))
    assert result.issues == 0
    assert (result.per_km2, result.per_100_households) == (None, None)
    assert (result.rectification_rate, result.mean_days_to_close) == (None, None)


def test_open_issues_only_rate_is_zero_and_mean_days_none() -> None:
    result = village_indicators(VillageIssueCounts(unit="V03", by_status={"open": 4}))
    assert result.rectification_rate == 0
    assert result.mean_days_to_close is None


def test_tally_folds_group_by_rows() -> None:
    rows = [
        ("V01", "clutter", 2),
        ("V01", "weeds", 1),
        ("V02", "clutter", 5),
        ("V01", "clutter", 1),
    ]
    assert tally(rows) == {"V01": {"clutter": 3, "weeds": 1}, "V02": {"clutter": 5}}
    assert [
        r.village for r in town_indicators([VillageIssueCounts("B"), VillageIssueCounts("A")])
    ] == [
        "B",
        "A",
    ]


def test_on_time_rate_judges_closed_and_overdue_issues_only() -> None:
    # 6 closed (4 by their deadline) + 2 overdue + 2 open within their deadline:
    # on time 4 / (6 + 2) = 0.5; the 2 still within their deadline are not judged yet.
    counts = IssueCounts(
        unit="G01",
        by_status={"open": 4, "closed": 6},
        overdue=2,
        closed_on_time=4,
        households=80,
    )
    result = unit_indicators(counts)
    assert result.unit == result.village == "G01"
    assert result.closed_on_time == 4
    assert result.on_time_rate == pytest.approx(0.5)
    assert result.per_100_households == pytest.approx(10 / 80 * 100)
    assert unit_indicators(IssueCounts(unit="G02", by_status={"open": 3})).on_time_rate is None
