"""区级视图: the towns of a district side by side (issue 13.2).

Per town: villages and households, the problems found in a period, per village and per 100
households, closed on time (按期整改率, as `scoring.indicators` defines it: closed on time ÷
(closed + overdue)), overdue, rebounds, and the interviews (约谈) of the last month — due from
that town's own ranking under its own rules. Counted in PostGIS
(`geo.issue_reader.town_counts`); the towns are those of the district the caller may read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo import issue_reader
from geo.errors import NotFound
from geo.interviews import DEFAULT_LATE_DAYS
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


def district_rows(
    conn: Connection,
    code: str,
    *,
    scope: TownScope,
    rules_of: Callable[[Town], Rules],
    start: date | None,
    end: date | None,
    as_of: date,
    month: str | None = None,
    late_days: int = DEFAULT_LATE_DAYS,
) -> dict[str, Any]:
    """The district view: its name, the period, and one row per town (by code)."""
    name = district_name(conn, code, scope)
    month = month or previous_month(f"{as_of:%Y-%m}")
    towns = {t.id: t for t in list_towns(conn, scope) if t.district_code == code}
    rows = []
    for counts in issue_reader.town_counts(
        conn, district=code, start=start, end=end, as_of=as_of, towns=tuple(towns)
    ):
        town = towns[counts["id"]]
        interviews = due_interviews(
            conn,
            month,
            rules=rules_of(town),
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
