"""When things happen in the sample year: monthly rounds, village visits, scoring days."""

from __future__ import annotations

import random
from datetime import date, timedelta

from geo.sample.plan import RoundPlan, Town

YEAR = 2024
MONTHS = tuple(f"{YEAR}-{m:02d}" for m in range(3, 13))
"""The campaign's months: from the notice (10 March 2024) to the year's end."""

YEAR_END = date(YEAR, 12, 31)
NO_SCORING_MONTHS = frozenset({"2024-08"})
"""No observation scoring in August (harvest and flood season): a month with no ranking."""

_HOLIDAYS = frozenset(
    [date(2024, 4, 4), date(2024, 4, 5), date(2024, 6, 10), date(2024, 9, 16), date(2024, 9, 17)]
    + [date(2024, 5, d) for d in range(1, 6)]
    + [date(2024, 10, d) for d in range(1, 8)]
)


def month_start(month: str) -> date:
    """2024-04 → 2024-04-01."""
    return date(int(month[:4]), int(month[5:7]), 1)


def working_days(start: date, count: int) -> list[date]:
    """`count` working days from `start` on (no weekends, no public holidays)."""
    days: list[date] = []
    day = start
    while len(days) < count:
        if day.weekday() < 5 and day not in _HOLIDAYS:
            days.append(day)
        day += timedelta(days=1)
    return days


def plan_rounds(rng: random.Random, town: Town, inspectors: list[str]) -> list[RoundPlan]:
    """One round a month; each day the team visits the villages of one community."""
    rounds = []
    for month in MONTHS:
        first = month_start(month)
        start = first.replace(day=12) if month == MONTHS[0] else first.replace(day=8)
        order = [c.code for c in town.communities]
        rng.shuffle(order)
        days = working_days(start, len(order))
        day_of = dict(zip(order, days, strict=True))
        visits = {v.code: day_of[v.community] for v in town.villages}
        rounds.append(
            RoundPlan(
                month=month,
                started_on=days[0],
                ended_on=days[-1],
                inspectors=sorted(rng.sample(inspectors, 4)),
                visits=visits,
            )
        )
    return rounds


def scoring_days(rng: random.Random, town: Town) -> dict[str, dict[str, date]]:
    """Month → village → the day the scoring groups observed it (late in the month)."""
    days: dict[str, dict[str, date]] = {}
    for month in MONTHS:
        if month in NO_SCORING_MONTHS:
            continue
        start = month_start(month).replace(day=21)
        order = [c.code for c in town.communities]
        rng.shuffle(order)
        dates = working_days(start, 3)
        day_of = {code: dates[i % 3] for i, code in enumerate(order)}
        days[month] = {v.code: day_of[v.community] for v in town.villages}
    return days


def round_note(month: str) -> str:
    """The campaign phase of a month (清底子, 查漏补缺, 常态化)."""
    if month == MONTHS[0]:
        return "清底子：全面排查建立台账"
    if month == MONTHS[1]:
        return "查漏补缺：巩固清底子成效，抽查上月问题整改"
    return "常态化检查：实地检查并复核上月问题整改"
