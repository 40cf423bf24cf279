"""The closed loop (闭环) of each sample issue, from 登记 to 销号 or to the year's end.

created → the village submits its rectification (submitted) → at the village's next
monthly visit the inspector records closed, inadequate (整改不到位) or, when nothing was
submitted, unrectified (未整改) with a new time limit in the note; then again, until closed or
the year ends. The issue's `deadline` stays the first one (found_on + 7–15 days), as in the app.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from geo.sample.calendar import YEAR_END
from geo.sample.plan import EventPlan, IssuePlan
from geo.sample.wording import (
    CLOSED_NOTES,
    HARD_CATEGORIES,
    INADEQUATE_NOTES,
    UNRECTIFIED_NOTES,
    submit_note,
)

CHINA = timezone(timedelta(hours=8))

HARDNESS = {
    "household_garbage": 0.0,
    "clutter": 0.05,
    "weeds": 0.0,
    "hanging_items": 0.0,
    "standing_water": 0.05,
    "loose_livestock": 0.1,
    "illegal_structure": 0.3,
    "zombie_facility": 0.2,
    "agri_waste": 0.05,
    "public_space_clutter": 0.05,
    "tangled_wires": 0.3,
    "street_sewage": 0.2,
    "idle_homestead": 0.35,
    "waterbody_waste": 0.1,
    "road_obstruction": 0.05,
    "other": 0.05,
}
"""How much harder than clearing rubbish a category is to rectify (0 = easy)."""


@dataclass(frozen=True)
class Visit:
    """A monthly round's visit to a village."""

    day: date
    month: str
    inspectors: tuple[str, ...]


def moment(rng: random.Random, day: date, first_hour: int = 9, last_hour: int = 16) -> datetime:
    """A time of day on `day` (China time), to the minute."""
    clock = time(rng.randint(first_hour, last_hour), rng.choice((0, 10, 15, 20, 30, 40, 45, 50)))
    return datetime.combine(day, clock, tzinfo=CHINA)


def deadline_after(rng: random.Random, day: date, category: str) -> date:
    """限期整改: 7–10 days for simple problems, 12–15 for structures, wires, ruins."""
    if category in HARD_CATEGORIES:
        return day + timedelta(days=rng.randint(12, 15))
    return day + timedelta(days=rng.randint(7, 10))


def run_loop(
    rng: random.Random,
    issue: IssuePlan,
    *,
    quality: float,
    visits: list[Visit],
    recheck_after: date,
) -> list[str]:
    """Play the issue's loop through the village's visits; returns the recheck outcomes."""
    hardness = HARDNESS[issue.category]
    state = "open"
    due = issue.deadline
    last = issue.events[-1].at
    outcomes: list[str] = []
    for visit in (v for v in visits if v.day > recheck_after):
        attempt = len(outcomes)
        if state != "submitted" and rng.random() < _submit_chance(quality, hardness, attempt):
            day = _submit_day(rng, last.date(), due, visit.day, quality)
            if day is not None:
                last = _submit(rng, issue, state, day)
                state = "submitted"
        at = max(moment(rng, visit.day), last + timedelta(minutes=5))
        inspector = rng.choice(visit.inspectors)
        if state == "submitted" and rng.random() < _close_chance(quality, hardness):
            note = rng.choice(CLOSED_NOTES)
            issue.events.append(
                EventPlan("closed", state, "closed", at, inspector, note, visit.month)
            )
            issue.closed_on = visit.day
            state = "closed"
            outcomes.append("closed")
            break
        kind = "inadequate" if state == "submitted" else "unrectified"
        due = visit.day + timedelta(days=rng.choice((7, 7, 10, 15)))
        note = rng.choice(INADEQUATE_NOTES if kind == "inadequate" else UNRECTIFIED_NOTES)
        note += f"，限{(due - visit.day).days}日内整改到位"
        issue.events.append(EventPlan(kind, state, kind, at, inspector, note, visit.month))
        state = kind
        last = at
        outcomes.append(kind)
    if state != "closed" and state != "submitted":
        chance = 0.6 * _submit_chance(quality, hardness, len(outcomes))
        if rng.random() < chance and last.date() < YEAR_END:
            day = _submit_day(rng, last.date(), due, YEAR_END + timedelta(days=1), quality)
            if day is not None:
                _submit(rng, issue, state, day)
                state = "submitted"
    issue.status = state
    return outcomes


def _submit(rng: random.Random, issue: IssuePlan, state: str, day: date) -> datetime:
    at = max(moment(rng, day, 8, 19), issue.events[-1].at + timedelta(minutes=30))
    note = submit_note(rng, issue.category)
    issue.events.append(EventPlan("submitted", state, "submitted", at, issue.responsible, note))
    return at


def _submit_chance(quality: float, hardness: float, attempt: int) -> float:
    return min(0.97, max(0.15, quality - 0.8 * hardness + 0.08 * attempt))


def _close_chance(quality: float, hardness: float) -> float:
    return min(0.97, max(0.3, 0.7 + 0.27 * quality - 0.45 * hardness))


def _submit_day(
    rng: random.Random, last: date, deadline: date, recheck: date, quality: float
) -> date | None:
    """A day after `last` and before the recheck; on time (by the deadline) when possible."""
    first, final = last + timedelta(days=1), recheck - timedelta(days=1)
    if first > final:
        return None
    on_time = min(deadline, final)
    if first <= on_time and rng.random() < 0.5 + 0.45 * quality:
        final = on_time
    return first + timedelta(days=rng.randint(0, (final - first).days))
