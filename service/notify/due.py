"""The daily job (`cunrong notify due`): deadlines near or passed, interviews due.

The interviews come from the ranking (`service.interviews.due_interviews`, which asks
`scoring`), the deadlines from the issues; `geo.notify.due` words them and `post` stores
them keyed, so running the job twice on a day posts and sends everything once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from geo.notify.due import deadline_messages, interview_messages
from geo.notify.post import post
from geo.towns import Town, list_towns
from scoring import Rules
from service.interviews import due_interviews
from service.settings import ServiceSettings

INTERVIEW_MONTHS_BACK = 2
"""Months before the current one whose interviews are looked at (a month's interviews are
due in the following month; a late one is reminded once more)."""


def interview_months(today: date, back: int = INTERVIEW_MONTHS_BACK) -> list[str]:
    """YYYY-MM of the current month and the `back` months before it, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(back + 1):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


@dataclass(frozen=True)
class DueCounts:
    """What a run of the daily job posted."""

    messages: int
    inbox: int
    queued: int


def queue_due(
    conn: Connection,
    settings: ServiceSettings,
    *,
    rules_of: Callable[[Town, int], Rules],
    today: date,
) -> DueCounts:
    """Post the day's deadline and interview messages (what was posted before is skipped);
    each town's interviews follow its own ranking, by its rules of the month's year
    (`rules_of(town, year)`)."""
    batch = deadline_messages(
        conn,
        today=today,
        near_days=settings.notify_deadline_days,
        max_age_days=settings.notify_max_age_days,
        bulk=settings.notify_bulk_events,
    )
    for town in list_towns(conn):
        for month in interview_months(today):
            items = due_interviews(
                conn,
                month,
                rules=rules_of(town, int(month[:4])),
                late_days=settings.interview_late_days,
                today=today,
                town_id=town.id,
            )
            batch.extend(interview_messages(conn, items))
    inbox = queued = 0
    for message, audience in batch:
        done = post(conn, message, audience, email=bool(settings.smtp_host))
        inbox += done.inbox
        queued += done.emails + done.webhooks
    return DueCounts(messages=len(batch), inbox=inbox, queued=queued)
