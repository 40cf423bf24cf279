"""The rectification deadline (整改期限): one rule for the API, the importers and new rounds.

The notice sets no number of days: problems found in a month's inspection are checked
again at the next month's inspection (次月…到村实地检查时一并抽查问题整改). So the rule is
either

- `"next_round"` (the default): the date of the village's visit in the inspection round of
  the month after the month the issue was found — `round_village.visited_on`, else the
  round's `started_on`, else the first day of that month; with several teams, the earliest.
  When that month has no round visiting the village yet, the deadline is the **last day of
  that month** (the latest the next monthly round can come) and is marked provisional
  (`issue.deadline_provisional`); creating the round later replaces provisional deadlines
  of issues not yet closed (`refresh_provisional`);
- a whole number of days after the date found (e.g. `15`).

A deadline given explicitly (API body, `deadline` column of an import) is kept as given.
Overdue everywhere is judged on the stored `issue.deadline`, so it follows this rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from geo.defaults import DEADLINE_RULE
from geo.errors import InvalidInput
from geo.vocab import OPEN_STATUSES

NEXT_ROUND = "next_round"


@dataclass(frozen=True)
class DeadlineRule:
    """`next_round`, or `days` after the date found."""

    days: int | None = None
    """None: the next monthly round's date."""

    @property
    def next_round(self) -> bool:
        """Whether the deadline is the next monthly round's date."""
        return self.days is None

    def describe(self) -> str:
        """次月检查日 (next_round) / 发现后N天."""
        return "次月检查日 next_round" if self.days is None else f"发现后{self.days}天"


def deadline_rule(value: str | int | DeadlineRule = DEADLINE_RULE) -> DeadlineRule:
    """`"next_round"`, a whole number of days (int or digits), or a rule already parsed."""
    if isinstance(value, DeadlineRule):
        return value
    if isinstance(value, str) and value.strip() == NEXT_ROUND:
        return DeadlineRule()
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 366:
        return DeadlineRule(days=value)
    raise InvalidInput(
        f"expected a deadline rule 'next_round' or a number of days 0–366, got {value!r}",
        field="deadline",
    )


_NEXT_MONTH = "(date_trunc('month', {found}) + interval '1 month')::date"
_ROUND_DAY = (
    "(SELECT min(coalesce(rv.visited_on, r.started_on, r.month)) FROM round_village rv"
    " JOIN inspection_round r ON r.id = rv.round_id"
    " WHERE rv.village_id = {village} AND r.month = " + _NEXT_MONTH + ")"
)
_FALLBACK = "(date_trunc('month', {found}) + interval '2 month' - interval '1 day')::date"


def deadline_sql(rule: DeadlineRule, *, village: str, found: str) -> tuple[str, str]:
    """SQL for (deadline, provisional) of an issue in village id `village` found on `found`
    (both SQL expressions: columns or bind parameters). The one place the rule is written."""
    if rule.days is not None:
        return f"(({found})::date + {int(rule.days)})", "false"
    day = _ROUND_DAY.format(village=village, found=found)
    fallback = _FALLBACK.format(found=found)
    return (
        f"greatest(({found})::date, coalesce({day}, {fallback}))",
        f"({day} IS NULL)",
    )


def deadline_for(
    conn: Connection, rule: DeadlineRule, *, village_id: int, found_on: date
) -> tuple[date, bool]:
    """The deadline of one new issue and whether it is provisional."""
    deadline, provisional = deadline_sql(rule, village=":village", found="CAST(:found AS date)")
    row = conn.execute(
        text(f"SELECT {deadline} AS deadline, {provisional} AS provisional"),
        {"village": village_id, "found": found_on},
    ).one()
    return row.deadline, bool(row.provisional)


def refresh_provisional(conn: Connection) -> int:
    """Replace provisional deadlines of issues not closed by the next round's date, now that
    rounds may exist; issues whose next-month round is still missing keep their fallback.
    Returns how many issues got a round's date."""
    deadline, provisional = deadline_sql(DeadlineRule(), village="i.village_id", found="i.found_on")
    return conn.execute(
        text(
            f"UPDATE issue i SET deadline = {deadline}, deadline_provisional = false"
            " WHERE i.deadline_provisional AND i.village_id IS NOT NULL"
            f" AND i.status = ANY(:open_or_submitted) AND NOT {provisional}"
        ),
        {"open_or_submitted": [*OPEN_STATUSES, "submitted"]},
    ).rowcount
