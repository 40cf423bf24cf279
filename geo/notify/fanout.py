"""From the closed loop's history to messages: the fan-out of `issue_event` rows.

The write path knows nothing of notifications. Two statement-level triggers on
`issue_event` (migration 0013) leave one `notify_outbox` row per INSERT/COPY statement: the
range of event ids the statement may have written. `fan_out` takes outbox rows with
`FOR UPDATE SKIP LOCKED` (two workers never take the same one), reads the events of the
ranges, posts their messages and deletes the rows, all in the caller's transaction — a run
of rows that are not imports as one batch (one statement reads, one posts).

Which events tell anyone anything:

- created → 新问题, to the village's users;
- submitted → 待复核, to the inspectors and the office;
- closed / unrectified / inadequate → 复核结论, to the village's users.

Two rules keep imports and history quiet:

- a statement that wrote more than `bulk_events` events is an import (a file, the bulk
  loader, the sample town): instead of one message per issue, each village with new issues
  gets one 批量导入 summary, and the office one for the whole import;
- an event whose day (`on`) is more than `max_age_days` before today is history being
  entered late, and tells nobody.

A range can hold events of another statement running at the same time (ids interleave);
such an event is also in its own statement's range, and the keys make the second posting
a no-op.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from geo.events import EVENT_WORDS
from geo.models import TOWN_TODAY
from geo.notify.post import Audience, Message, post, post_many

log = logging.getLogger("cunrong.notify")

OFFICE = ("admin",)
INSPECTION = ("inspector", "admin")

VILLAGE_PAGE = "/pages/my-village"
RECHECK_PAGE = "/pages/recheck"
OFFICE_PAGE = "/pages/office/"

EVENT_KINDS = ("created", "submitted", "closed", "unrectified", "inadequate")
"""The event kinds that produce a message."""

_EVENTS = text(
    'SELECT e.id, e.kind, e.issue_id, e."on", e.actor, e.note, i.code, i.village_id,'
    " i.category_code, i.deadline, i.description, i.source, v.code AS village_code,"
    " v.name AS village_name, c.label_zh, c.label_en"
    " FROM issue_event e JOIN issue i ON i.id = e.issue_id"
    " LEFT JOIN village v ON v.id = i.village_id JOIN category c ON c.code = i.category_code"
    " WHERE e.id > :lo AND e.id <= :hi AND e.kind = ANY(CAST(:kinds AS text[]))"
    f' AND e."on" >= {TOWN_TODAY} - CAST(:age AS integer) ORDER BY e.id'
)
_IMPORTED = text(
    "SELECT i.town_id, i.village_id, v.code AS village_code, v.name AS village_name,"
    " count(*) AS n, min(e.actor) AS actor"
    " FROM issue_event e JOIN issue i ON i.id = e.issue_id"
    " LEFT JOIN village v ON v.id = i.village_id"
    " WHERE e.id > :lo AND e.id <= :hi AND e.kind = 'created'"
    f' AND e."on" >= {TOWN_TODAY} - CAST(:age AS integer)'
    " GROUP BY i.town_id, i.village_id, v.code, v.name ORDER BY i.town_id, v.code"
)


@dataclass(frozen=True)
class FanOut:
    """What one pass of the fan-out did."""

    statements: int = 0
    """Outbox rows (statements that wrote events) told and removed."""
    messages: int = 0
    inbox: int = 0
    deliveries: int = 0


_TAKE = text(
    "SELECT o.id, o.after_event, o.up_to_event,"
    " (SELECT count(*) FROM (SELECT 1 FROM issue_event e WHERE e.id > o.after_event"
    "  AND e.id <= o.up_to_event LIMIT :cap) s) AS size"
    " FROM notify_outbox o ORDER BY o.id LIMIT :n FOR UPDATE OF o SKIP LOCKED"
)
"""Outbox rows to tell, locked, with how many events each range holds (up to :cap)."""

_EVENTS_OF_RANGES = text(
    'SELECT e.id, e.kind, e.issue_id, e."on", e.actor, e.note, i.code,'
    " i.village_id, i.category_code, i.deadline, i.description, i.source,"
    " v.code AS village_code, v.name AS village_name, c.label_zh, c.label_en"
    " FROM issue_event e JOIN issue i ON i.id = e.issue_id"
    " LEFT JOIN village v ON v.id = i.village_id JOIN category c ON c.code = i.category_code"
    " WHERE e.id > :first AND e.id <= :last AND EXISTS (SELECT 1 FROM"
    "  unnest(CAST(:lo AS bigint[]), CAST(:hi AS bigint[])) r(lo, hi)"
    "  WHERE e.id > r.lo AND e.id <= r.hi) AND e.kind = ANY(CAST(:kinds AS text[]))"
    f' AND e."on" >= {TOWN_TODAY} - CAST(:age AS integer) ORDER BY e.id'
)
"""`_EVENTS` over the ranges of many outbox rows at once (an event in two ranges once):
one scan of the primary key from the first range's start to the last one's end."""


def fan_out(
    conn: Connection,
    *,
    bulk_events: int,
    max_age_days: int,
    email: bool,
    limit: int = 100,
) -> FanOut:
    """Turn up to `limit` outbox rows into messages; the rows are deleted (same transaction).

    Set-based: the events of every row that is not an import are read in one statement
    and their messages posted in one (`post_many`), so a busy hour of single creates costs
    a handful of statements per pass, not several per create. Should that batch fail (a
    bug, bad data), the rows are told one by one instead, each in its own savepoint, and
    a row whose events cannot be told stays in the outbox.
    """
    rows = list(conn.execute(_TAKE, {"n": limit, "cap": bulk_events + 1}).all())
    total = FanOut()
    # In outbox order: each run of consecutive rows that are not imports as one batch.
    for is_import, run in itertools.groupby(rows, key=lambda r: r.size > bulk_events):
        group = list(run)
        told = None
        if not is_import:
            try:
                with conn.begin_nested():
                    told = _fan_out_batch(conn, group, max_age_days, email)
            except OperationalError:
                raise  # the database itself is in trouble: the whole pass is tried again later
            except Exception:
                log.exception("notification fan-out of a batch failed; telling its rows one by one")
            else:
                conn.execute(
                    text("DELETE FROM notify_outbox WHERE id = ANY(:ids)"),
                    {"ids": [r.id for r in group]},
                )
        if told is None:
            told = _fan_out_each(conn, group, bulk_events, max_age_days, email)
        total = FanOut(
            total.statements + told.statements,
            total.messages + told.messages,
            total.inbox + told.inbox,
            total.deliveries + told.deliveries,
        )
    return total


def _fan_out_batch(conn: Connection, rows: list[Any], max_age_days: int, email: bool) -> FanOut:
    """The messages of the events of every outbox row of `rows` (none an import): read
    in one statement, posted in one."""
    found = conn.execute(
        _EVENTS_OF_RANGES,
        {
            "lo": [r.after_event for r in rows],
            "hi": [r.up_to_event for r in rows],
            "first": min(r.after_event for r in rows),
            "last": max(r.up_to_event for r in rows),
            "kinds": list(EVENT_KINDS),
            "age": max_age_days,
        },
    )
    messages = [m for r in found.mappings() if (m := event_message(r)) is not None]
    posted = post_many(conn, messages, email=email)
    return FanOut(len(rows), len(messages), posted.inbox, posted.emails + posted.webhooks)


def _fan_out_each(
    conn: Connection, rows: list[Any], bulk_events: int, max_age_days: int, email: bool
) -> FanOut:
    """Tell the outbox `rows` one by one (imports, or a batch that failed)."""
    messages = inbox = deliveries = 0
    done_ids: list[int] = []
    for row in rows:
        try:
            with conn.begin_nested():
                posted = [
                    post(conn, message, audience, email=email)
                    for message, audience in _messages_of(conn, row, bulk_events, max_age_days)
                ]
        except OperationalError:
            raise  # the database itself is in trouble: the whole pass is tried again later
        except Exception:
            # One statement's events that cannot be told (a bug, bad data) must not hold up
            # the others: its row stays in the outbox, for the next pass and for a person.
            log.exception("notification fan-out failed", extra={"outbox": row.id})
            continue
        done_ids.append(row.id)
        messages += len(posted)
        inbox += sum(p.inbox for p in posted)
        deliveries += sum(p.emails + p.webhooks for p in posted)
    if done_ids:
        conn.execute(text("DELETE FROM notify_outbox WHERE id = ANY(:ids)"), {"ids": done_ids})
    return FanOut(len(done_ids), messages, inbox, deliveries)


def _messages_of(
    conn: Connection, row: Any, bulk_events: int, max_age_days: int
) -> list[tuple[Message, Audience]]:
    """The messages of one outbox row: per event, or per village for an import."""
    span = {"lo": row.after_event, "hi": row.up_to_event}
    if row.size > bulk_events:
        return _import_messages(conn, row.id, span, max_age_days)
    return _event_messages(conn, span, max_age_days)


def _event_messages(
    conn: Connection, span: dict[str, int], max_age_days: int
) -> list[tuple[Message, Audience]]:
    found = conn.execute(_EVENTS, span | {"kinds": list(EVENT_KINDS), "age": max_age_days})
    return [m for r in found.mappings() if (m := event_message(r)) is not None]


def event_message(row: Any) -> tuple[Message, Audience] | None:
    """The message of one event (a mapping of `_EVENTS`' columns), with whom it is for."""
    code, village = row["code"], row["village_name"] or row["village_code"] or "—"
    cat_zh, cat_en = row["label_zh"], row["label_en"]
    common: dict[str, Any] = {
        "key": f"event:{row['id']}",
        "issue_id": row["issue_id"],
        "village_id": row["village_id"],
        "event_id": row["id"],
        "data": {
            "event": row["kind"],
            "issue_code": code,
            "village": row["village_code"],
            "category": row["category_code"],
            "deadline": row["deadline"],
            "on": row["on"],
            "actor": row["actor"],
        },
    }
    kind = row["kind"]
    if kind == "created":
        deadline = f"，整改期限 {row['deadline']}" if row["deadline"] else ""
        deadline_en = f", deadline {row['deadline']}" if row["deadline"] else ""
        detail = (row["description"] or "")[:200]
        return Message(
            kind="issue_created",
            title_zh=f"新问题 {code}：{cat_zh}",
            title_en=f"New issue {code}: {cat_en}",
            body_zh=f"{village}新登记问题 {code}（{cat_zh}）{deadline}。{detail}".rstrip("。")
            + "。",
            body_en=f"A new issue {code} ({cat_en}) was recorded in {village}{deadline_en}.",
            link=VILLAGE_PAGE,
            **common,
        ), Audience(village_id=row["village_id"])
    if kind == "submitted":
        return Message(
            kind="recheck_waiting",
            title_zh=f"待复核 {code}：{village}已提交整改",
            title_en=f"Recheck {code}: {village} submitted its rectification",
            body_zh=f"{village}已提交 {code}（{cat_zh}）的整改，等待复核。",
            body_en=f"{village} submitted the rectification of {code} ({cat_en}); it awaits "
            "a recheck.",
            link=f"{RECHECK_PAGE}?village={quote(str(row['village_code']))}",
            **common,
        ), Audience(roles=INSPECTION)
    words = EVENT_WORDS[kind]
    note = f"（{row['note']}）" if row["note"] else ""
    return Message(
        kind="verdict",
        title_zh=f"复核结论 {code}：{words.outcome}",
        title_en=f"Recheck of {code}: {words.en}",
        body_zh=f"{code}（{cat_zh}）复核结论：{words.outcome}{note}。",
        body_en=f"Recheck of {code} ({cat_en}): {words.en}.",
        link=VILLAGE_PAGE,
        **common,
    ), Audience(village_id=row["village_id"])


def _import_messages(
    conn: Connection, outbox_id: int, span: dict[str, int], max_age_days: int
) -> list[tuple[Message, Audience]]:
    villages = conn.execute(_IMPORTED, span | {"age": max_age_days}).mappings().all()
    out: list[tuple[Message, Audience]] = []
    for v in villages:
        if v["village_id"] is None:
            continue
        name = v["village_name"] or v["village_code"]
        out.append(
            (
                Message(
                    kind="issues_imported",
                    key=f"import:{outbox_id}:{v['village_id']}",
                    title_zh=f"批量导入 {v['n']} 条问题：{name}",
                    title_en=f"{v['n']} issues imported for {name}",
                    body_zh=f"{name}有 {v['n']} 条问题批量导入，请在本村整改页查看。",
                    body_en=f"{v['n']} issues of {name} were imported; see the village page.",
                    link=VILLAGE_PAGE,
                    village_id=v["village_id"],
                    data={"village": v["village_code"], "issues": v["n"], "actor": v["actor"]},
                ),
                Audience(village_id=v["village_id"]),
            )
        )
    towns: dict[int, list[Any]] = {}
    for v in villages:
        towns.setdefault(v["town_id"], []).append(v)
    for town_id, theirs in towns.items():
        total = sum(v["n"] for v in theirs)
        out.append(
            (
                Message(
                    kind="issues_imported",
                    key=f"import:{outbox_id}:town:{town_id}",
                    title_zh=f"批量导入 {total} 条问题（{len(theirs)} 个村）",
                    title_en=f"{total} issues imported ({len(theirs)} villages)",
                    body_zh=f"一次导入写入了 {total} 条问题，涉及 {len(theirs)} 个村。",
                    body_en=f"One import recorded {total} issues in {len(theirs)} villages.",
                    link=OFFICE_PAGE,
                    town_id=town_id,
                    data={"issues": total, "villages": len(theirs)},
                ),
                Audience(roles=OFFICE),
            )
        )
    return out
