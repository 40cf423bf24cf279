"""区级视图: the towns of a district side by side (issue 13.2).

Per town: villages and households, the problems found in a period, per village and per 100
households, closed on time (按期整改率, as `scoring.indicators` defines it: closed on time ÷
(closed + overdue)), overdue, rebounds, and the interviews (约谈) of the last month — due from
that town's own ranking under its own rules. Counted in PostGIS
(`geo.issue_reader.town_counts`); the towns are those of the district the caller may read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, text

from geo import issue_reader
from geo.errors import NotFound
from geo.interviews import DEFAULT_LATE_DAYS
from geo.models import ObservationScore, Village
from geo.towns import Town, TownScope, list_towns
from scoring import Rules
from scoring.inputs import previous_month
from service.interviews import due_interviews


def _ratio(part: float, whole: float | None) -> float | None:
    return None if not whole else part / whole


def district_name(conn: Connection, code: str, scope: TownScope) -> str:
    """The district's name, or NotFound when the caller may read none of its towns."""
    towns = [t for t in list_towns(conn, scope) if t.district_code == code]
    if not towns:
        raise NotFound(f"no district {code!r}", field="code")
    return towns[0].district_name


def default_period(conn: Connection, towns: Sequence[int], *, as_of: date) -> tuple[date, date]:
    """The period of the view when none is given: the calendar year of the latest problem
    found (on or before `as_of`) in `towns` — the year of `as_of` when there is none —
    ending after `as_of` at the latest. [start, end): `end` is the first day not counted.

    Not simply the current year: a district looking back at last year's campaign (the
    sample's data is of 2024) would otherwise read zeros until it gives `start`."""
    latest = issue_reader.latest_found_on(conn, towns=towns, on_or_before=as_of) or as_of
    return date(latest.year, 1, 1), min(date(latest.year + 1, 1, 1), as_of + timedelta(days=1))


def default_interview_month(conn: Connection, towns: Sequence[int], *, as_of: date) -> str:
    """The month whose interviews the view shows when none is given: the month before
    `as_of`, or the latest scored month of `towns` before it when that month has no scores
    (a past campaign)."""
    last = previous_month(f"{as_of:%Y-%m}")
    scored = conn.execute(
        select(func.max(ObservationScore.month))
        .join(Village, Village.id == ObservationScore.village_id)
        .where(Village.town_id.in_(list(towns)))
        .where(ObservationScore.month <= date.fromisoformat(f"{last}-01"))
    ).scalar()
    return f"{scored:%Y-%m}" if scored else last


def district_rows(
    conn: Connection,
    code: str,
    *,
    scope: TownScope,
    rules_of: Callable[[Town, int], Rules],
    start: date | None,
    end: date | None,
    as_of: date,
    month: str | None = None,
    late_days: int = DEFAULT_LATE_DAYS,
) -> dict[str, Any]:
    """The district view: its name, the period, and one row per town (by code).

    Without `start` and `end` the period is `default_period`'s; `last_day` is the last day
    counted (the day before `end`, else `as_of`)."""
    name = district_name(conn, code, scope)
    towns = {t.id: t for t in list_towns(conn, scope) if t.district_code == code}
    if start is None and end is None:
        start, end = default_period(conn, tuple(towns), as_of=as_of)
    month = month or default_interview_month(conn, tuple(towns), as_of=as_of)
    rows = []
    for counts in issue_reader.town_counts(
        conn, district=code, start=start, end=end, as_of=as_of, towns=tuple(towns)
    ):
        town = towns[counts["id"]]
        interviews = due_interviews(
            conn,
            month,
            rules=rules_of(town, int(month[:4])),
            late_days=late_days,
            today=as_of,
            town_id=town.id,
        )
        households = counts["households"]
        issues = counts["issues"]
        rows.append(
            {
                "code": town.code,
                "name": town.name,
                "villages": counts["villages"],
                "households": households,
                "issues": issues,
                "per_village": _ratio(issues, counts["villages"]),
                "per_100_households": None
                if not households
                else round(100 * issues / households, 4),
                "closed": counts["closed"],
                "closed_on_time": counts["closed_on_time"],
                "on_time_rate": _ratio(
                    counts["closed_on_time"], counts["closed"] + counts["overdue"]
                ),
                "overdue": counts["overdue"],
                "rebounds": counts["rebounds"],
                "interviews": {
                    status: sum(i.status == status for i in interviews)
                    for status in ("due", "held", "late")
                },
                "ranking_map": f"/maps/ranking?town={town.code}",
            }
        )
    return {
        "code": code,
        "name": name,
        "start": start,
        "end": end,
        "last_day": end - timedelta(days=1) if end else as_of,
        "as_of": as_of,
        "interview_month": month,
        "towns": rows,
    }


def district_of_user(conn: Connection, scope: TownScope) -> str | None:
    """The district a caller reads (the first of their towns'), for links."""
    row = conn.execute(
        text(
            "SELECT district_code FROM town WHERE CAST(:all AS boolean)"
            " OR id = ANY(CAST(:towns AS int[])) ORDER BY code LIMIT 1"
        ),
        {"all": scope is None, "towns": list(scope or ())},
    ).scalar()
    return str(row) if row else None
