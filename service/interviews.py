"""The interviews a month calls for (约谈, M4), from the ranking scoring computes.

`due_interviews(conn, month, rules=…, late_days=…, today=…)` is the one entry point for
anything that lists them (the API, the dashboard, the community page, the exports, the
bulletin): the month's bottom ten and streaks come from `scoring` (never recomputed here),
the people and what was held from `geo.interviews`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from sqlalchemy import Connection

from geo.errors import NotFound
from geo.interviews import (
    DEFAULT_LATE_DAYS,
    BottomVillage,
    Interview,
    deadline_of,
    month_interviews,
)
from scoring import Rules, monthly_results
from scoring.results import MonthlyResult
from service.rankings import month_ranking
from service.scoring_data import load_scoring_input


def bottom_of(result: MonthlyResult) -> list[BottomVillage]:
    """The bottom ten of a monthly result, with ranks, scores and streaks, as plain data."""
    return [
        BottomVillage(village=s.village, rank=s.rank, score=s.score, streak=s.streak)
        for s in result.ranking
        if s.bottom_ten
    ]


def due_interviews(
    conn: Connection,
    month: str,
    *,
    rules: Rules,
    late_days: int = DEFAULT_LATE_DAYS,
    today: date | None = None,
    villages: Sequence[str] = (),
    result: MonthlyResult | None = None,
    town_id: int | None = None,
) -> list[Interview]:
    """Every interview of `month` (YYYY-MM): due from its bottom ten, held or not, late or not.

    A month nobody was scored in has no bottom ten: only interviews on record are listed.
    Pass `result` when the month's ranking is already at hand.
    """
    if result is None:
        try:
            result = month_ranking(conn, month, rules=rules, town_id=town_id)
        except NotFound:
            result = None
    bottom = bottom_of(result) if result is not None else []
    return month_interviews(
        conn,
        month,
        bottom=bottom,
        late_days=late_days,
        today=today or date.today(),
        villages=villages,
        town_id=town_id,
    )


def interview_out(item: Interview) -> dict[str, Any]:
    """An interview as the API and the exports give it."""
    data = asdict(item)
    for name in ("has_scan", "recorded_at"):
        data.pop(name)
    data["interviewees"] = item.interviewees
    data["score"] = None if item.score is None else round(item.score, 4)
    data["scan_url"] = f"/interviews/{item.month}/{item.village}/scan" if item.has_scan else None
    return data


def month_summary(month: str, items: list[Interview], *, late_days: int) -> dict[str, Any]:
    """The month's list with its counts (due counts those not yet held and not late)."""
    return {
        "month": month,
        "late_days": late_days,
        "deadline": deadline_of(month, late_days),
        "due": sum(i.status == "due" for i in items),
        "held": sum(i.status == "held" for i in items),
        "late": sum(i.status == "late" for i in items),
        "interviews": [interview_out(i) for i in items],
    }


def interviews_before(
    conn: Connection,
    month: str,
    *,
    rules: Rules,
    late_days: int = DEFAULT_LATE_DAYS,
    today: date | None = None,
    villages: Sequence[str] = (),
    town_id: int | None = None,
) -> list[Interview]:
    """The interviews of the months of `month`'s year before it that are still not held
    and late (what the leader's dashboard lists as outstanding), oldest first."""
    year = int(month[:4])
    data = load_scoring_input(conn, year, town_id=town_id)
    months = sorted(
        {s.month for s in data.observation_scores if s.month[:4] == str(year) and s.month < month}
    )
    if not months:
        return []
    out: list[Interview] = []
    for result in monthly_results(data, rules, months=months):
        items = due_interviews(
            conn,
            result.month,
            rules=rules,
            late_days=late_days,
            today=today,
            villages=villages,
            result=result,
            town_id=town_id,
        )
        out.extend(i for i in items if i.status == "late")
    return out
