"""Per-village issue counts aggregated in PostGIS, turned into indicators by `scoring`."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text

from scoring.indicators import town_indicators
from service.scoring_data import village_issue_counts


def test_counts_and_indicators_of_the_two_village_town(two_villages_url):
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE village SET households = 200 WHERE code = 'W01'"))
        issue = conn.execute(text("SELECT id FROM issue WHERE code = 'I3'")).scalar_one()
        for kind in ("submitted", "unrectified", "submitted", "inadequate"):
            conn.execute(
                text("INSERT INTO issue_event (issue_id, kind) VALUES (:i, :k)"),
                {"i": issue, "k": kind},
            )
        counts = {c.village: c for c in village_issue_counts(conn, as_of=date(2024, 12, 31))}
    engine.dispose()
    west, east = counts["W01"], counts["E01"]
    # W01: I1 clutter open (deadline 03-15, overdue), I2 weeds closed 04-02 → 04-20 (18 days).
    assert west.by_category == {"clutter": 1, "weeds": 1}
    assert west.by_status == {"open": 1, "closed": 1}
    assert (west.overdue, west.closed_days_total) == (1, 18)
    # E01: I3 clutter open and overdue, with one 未整改 and one 整改不到位 recheck; I4 submitted.
    assert east.by_status == {"open": 1, "submitted": 1}
    assert (east.overdue, east.unrectified, east.inadequate) == (1, 1, 1)
    indicators = {i.village: i for i in town_indicators(counts.values())}
    assert indicators["W01"].rectification_rate == pytest.approx(0.5)  # 1 closed of 2
    assert indicators["W01"].mean_days_to_close == pytest.approx(18.0)
    assert indicators["W01"].per_100_households == pytest.approx(1.0)  # 2 issues / 200 hh
    # 2 issues over ≈ 0.96 km² (0.01° square at 39.285°N)
    assert indicators["W01"].per_km2 == pytest.approx(2 / 0.96, rel=0.02)
    assert indicators["E01"].rectification_rate == 0
    assert indicators["E01"].per_100_households is None


def test_counts_respect_the_period(two_villages_url):
    engine = create_engine(two_villages_url)
    with engine.connect() as conn:
        counts = village_issue_counts(conn, start=date(2024, 4, 1), end=date(2024, 5, 1))
    engine.dispose()
    assert {c.village: sum(c.by_status.values()) for c in counts} == {"E01": 0, "W01": 1}
