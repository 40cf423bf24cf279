"""Storing what the assessment needs: rounds, observation scores, third-party results, honors.

Writes are upserts keyed the way the town thinks of them (a month, a village, a scoring
group), so re-entering a corrected sheet replaces the old numbers instead of doubling them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, text

from geo.deadlines import refresh_provisional
from geo.errors import InvalidInput
from geo.issue_filter import parse_month
from geo.models import HONOR_KINDS
from geo.third_party import refuse_counts_over_points
from geo.towns import in_session_town


@dataclass(frozen=True)
class ScoreRecord:
    """观摩打分: one group's score for a village in a month (`YYYY-MM`)."""

    month: str
    village: str
    group: str
    score: float


@dataclass(frozen=True)
class ThirdPartyRecord:
    """市第三方测评 of a village in a year."""

    village: str
    evaluated: bool
    problems_found: int
    problems_unrectified: int


def village_ids(conn: Connection) -> dict[str, int]:
    """Village code → id (of the transaction's town, when one is set)."""
    return {
        r.code: r.id
        for r in conn.execute(text(f"SELECT code, id FROM village v WHERE {in_session_town('v')}"))
    }


def _village_id(ids: dict[str, int], code: str, *, row: int | None) -> int:
    if code not in ids:
        raise InvalidInput(f"unknown village code {code!r}", field="village", row=row)
    return ids[code]


def save_scores(conn: Connection, records: Sequence[ScoreRecord], *, actor: str) -> int:
    """Insert or replace observation scores; every record is checked before anything is written."""
    ids = village_ids(conn)
    rows = []
    for n, record in enumerate(records, start=1):
        row = n if len(records) > 1 else None
        if not 0 <= record.score <= 100:
            raise InvalidInput(
                f"expected a score from 0 to 100, got {record.score}", field="score", row=row
            )
        if not record.group.strip():
            raise InvalidInput("the scoring group is empty", field="group", row=row)
        rows.append(
            {
                "month": parse_month(record.month),
                "village": _village_id(ids, record.village, row=row),
                "group": record.group.strip(),
                "score": record.score,
                "actor": actor,
            }
        )
    if rows:
        conn.execute(
            text(
                "INSERT INTO observation_score (month, village_id, group_name, score, entered_by)"
                " VALUES (:month, :village, :group, :score, :actor)"
                " ON CONFLICT (month, village_id, group_name)"
                " DO UPDATE SET score = EXCLUDED.score, entered_by = EXCLUDED.entered_by"
            ),
            rows,
        )
    return len(rows)


def save_third_party(conn: Connection, year: int, records: Sequence[ThirdPartyRecord]) -> int:
    """Insert or replace the city's evaluation of villages in `year`.

    Refused (Conflict, naming the village) for a village with third-party points that year."""
    ids = village_ids(conn)
    rows = []
    for n, record in enumerate(records, start=1):
        row = n if len(records) > 1 else None
        for field in ("problems_found", "problems_unrectified"):
            if getattr(record, field) < 0:
                raise InvalidInput("expected a count ≥ 0", field=field, row=row)
        if record.problems_unrectified > record.problems_found:
            raise InvalidInput(
                "problems not rectified cannot exceed problems found",
                field="problems_unrectified",
                row=row,
            )
        rows.append(
            {
                "year": year,
                "village": _village_id(ids, record.village, row=row),
                "evaluated": record.evaluated,
                "found": record.problems_found,
                "unrectified": record.problems_unrectified,
            }
        )
    refuse_counts_over_points(conn, year, [r.village for r in records])
    if rows:
        conn.execute(
            text(
                "INSERT INTO third_party_evaluation (year, village_id, evaluated, problems_found,"
                " problems_unrectified) VALUES (:year, :village, :evaluated, :found, :unrectified)"
                " ON CONFLICT (year, village_id) DO UPDATE SET evaluated = EXCLUDED.evaluated,"
                " problems_found = EXCLUDED.problems_found,"
                " problems_unrectified = EXCLUDED.problems_unrectified"
            ),
            rows,
        )
    return len(rows)


def add_honor(
    conn: Connection, *, village: str, awarded_on: date, kind: str, note: str | None = None
) -> int:
    """Record a 典型 / 县现场观摩点评 honor."""
    if kind not in HONOR_KINDS:
        raise InvalidInput(
            f"unknown honor kind {kind!r}; expected {', '.join(HONOR_KINDS)}", field="kind"
        )
    village_id = _village_id(village_ids(conn), village, row=None)
    return conn.execute(
        text(
            "INSERT INTO honor (village_id, awarded_on, kind, note) VALUES (:v, :d, :k, :n)"
            " RETURNING id"
        ),
        {"v": village_id, "d": awarded_on, "k": kind, "n": note},
    ).scalar_one()


def create_round(
    conn: Connection,
    *,
    month: str,
    team: str = "整治办",
    started_on: date | None = None,
    ended_on: date | None = None,
    villages: Iterable[str] = (),
    note: str | None = None,
) -> int:
    """Open a monthly inspection round (月度检查) and list the villages it visits.

    Issues waiting for this round (a provisional next-round deadline, `geo.deadlines`) get
    its date as their deadline."""
    first = parse_month(month)
    if started_on and ended_on and ended_on < started_on:
        raise InvalidInput("the round ends before it starts", field="ended_on")
    exists = conn.execute(
        text(
            "SELECT id FROM inspection_round r WHERE month = :m AND team = :t"
            f" AND {in_session_town('r')}"
        ),
        {"m": first, "t": team},
    ).scalar()
    if exists:
        raise InvalidInput(f"team {team} already has a round in {month}", field="month")
    round_id = conn.execute(
        text(
            "INSERT INTO inspection_round (month, team, started_on, ended_on, note)"
            " VALUES (:m, :t, :s, :e, :n) RETURNING id"
        ),
        {"m": first, "t": team, "s": started_on, "e": ended_on, "n": note},
    ).scalar_one()
    ids = village_ids(conn)
    codes = list(villages) or sorted(ids)
    conn.execute(
        text("INSERT INTO round_village (round_id, village_id) VALUES (:r, :v)"),
        [{"r": round_id, "v": _village_id(ids, c, row=None)} for c in codes],
    )
    refresh_provisional(conn)
    return round_id


@dataclass(frozen=True)
class Publication:
    """A month's ranking made public by the town office (发布)."""

    month: str
    published_at: datetime
    published_by: str
    note: str | None


_TOWN = "coalesce(CAST(:t AS int), cunrong_default_town())"
"""The town given, else the transaction's (`geo.towns.use_town`), else the only town."""


def publish_ranking(
    conn: Connection,
    month: str,
    *,
    actor: str,
    note: str | None = None,
    town_id: int | None = None,
) -> None:
    """Publish `month`'s ranking of a town (again: who and when are updated)."""
    first = parse_month(month)
    scored = conn.execute(
        text(
            "SELECT count(*) FROM observation_score s JOIN village v ON v.id = s.village_id"
            f" WHERE s.month = :m AND v.town_id = {_TOWN}"
        ),
        {"m": first, "t": town_id},
    ).scalar_one()
    if not scored:
        raise InvalidInput(f"no observation score in {month}: nothing to publish", field="month")
    conn.execute(
        text(
            "INSERT INTO ranking_publication (town_id, month, published_by, note)"
            f" VALUES ({_TOWN}, :m, :a, :n)"
            " ON CONFLICT (town_id, month) DO UPDATE SET published_at = now(),"
            " published_by = EXCLUDED.published_by, note = EXCLUDED.note"
        ),
        {"m": first, "a": actor, "n": note, "t": town_id},
    )


def publication_of(
    conn: Connection, month: str, *, town_id: int | None = None
) -> Publication | None:
    """Whether and when `month`'s ranking of a town was published."""
    row = conn.execute(
        text(
            "SELECT published_at, published_by, note FROM ranking_publication"
            f" WHERE month = :m AND town_id = {_TOWN}"
        ),
        {"m": parse_month(month), "t": town_id},
    ).first()
    return Publication(month, row.published_at, row.published_by, row.note) if row else None
