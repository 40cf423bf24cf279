"""What the calendar brings: deadlines near or passed, interviews (约谈) due.

Run once a day (`cunrong notify due`). Every message is keyed by what it is about and the
day it concerns — the issue and its deadline, the interview's month and village — so a
second run the same day (or the next day) posts nothing new: a reminder is sent once per
deadline, and again only if the deadline changes.

- 整改期限将到: an issue still to be rectified whose deadline is today or within
  `near_days` days → the village's users;
- 已超整改期限: one whose deadline passed within the last `max_age_days` days (older ones
  were told about before, or are history) → the village's users and the office;
- 约谈待办: an interview of the bottom ten not yet held → the office, the leaders and the
  village's users.

When more than `bulk` issues of one kind fall due in a run (a large import with one
deadline), each village gets one digest of its issues for that day instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, text

from geo.interviews import Interview
from geo.models import OPEN_STATUSES
from geo.notify.fanout import OFFICE, VILLAGE_PAGE
from geo.notify.post import Audience, Message

INTERVIEW_AUDIENCE = ("admin", "leader")
DASHBOARD = "/"
"""The overview lists the interviews due; every role may open it."""

_DEADLINES = text(
    "SELECT i.id, i.code, i.deadline, i.village_id, v.code AS village_code,"
    " v.name AS village_name, c.label_zh, c.label_en"
    " FROM issue i JOIN village v ON v.id = i.village_id"
    " JOIN category c ON c.code = i.category_code"
    " WHERE i.status = ANY(CAST(:open AS text[])) AND i.deadline BETWEEN :first AND :last"
    " ORDER BY v.code, i.deadline, i.code"
)


def deadline_messages(
    conn: Connection, *, today: date, near_days: int, max_age_days: int, bulk: int
) -> list[tuple[Message, Audience]]:
    """Messages for deadlines within `near_days` ahead and passed within `max_age_days`."""
    rows = conn.execute(
        _DEADLINES,
        {
            "open": list(OPEN_STATUSES),
            "first": today - timedelta(days=max_age_days),
            "last": today + timedelta(days=near_days),
        },
    ).mappings()
    near: list[Any] = []
    passed: list[Any] = []
    for r in rows:
        (passed if r["deadline"] < today else near).append(r)
    out: list[tuple[Message, Audience]] = []
    for kind, found in (("deadline_near", near), ("deadline_passed", passed)):
        if len(found) > bulk:
            out.extend(_digests(kind, found, today))
        else:
            out.extend(_deadline_message(kind, r, today) for r in found)
    return out


def _audience(kind: str, village_id: int) -> Audience:
    roles = OFFICE if kind == "deadline_passed" else ()
    return Audience(roles=roles, village_id=village_id)


def _deadline_message(kind: str, r: Any, today: date) -> tuple[Message, Audience]:
    code, village, deadline = r["code"], r["village_name"], r["deadline"]
    if kind == "deadline_near":
        days = (deadline - today).days
        when_zh = "今天到期" if days == 0 else f"还有 {days} 天"
        when_en = "due today" if days == 0 else f"{days} days left"
        title_zh, title_en = (
            f"整改期限将到 {code}（{when_zh}）",
            f"Deadline near {code} ({when_en})",
        )
        body_zh = f"{village} {code}（{r['label_zh']}）整改期限 {deadline}，{when_zh}。"
        body_en = f"{code} ({r['label_en']}) in {village} is due on {deadline}: {when_en}."
    else:
        title_zh, title_en = f"已超整改期限 {code}", f"Deadline passed {code}"
        body_zh = f"{village} {code}（{r['label_zh']}）整改期限 {deadline} 已过，尚未整改销号。"
        body_en = f"{code} ({r['label_en']}) in {village} was due on {deadline} and is not closed."
    return Message(
        kind=kind,
        key=f"{kind}:{r['id']}:{deadline}",
        title_zh=title_zh,
        title_en=title_en,
        body_zh=body_zh,
        body_en=body_en,
        link=VILLAGE_PAGE,
        issue_id=r["id"],
        village_id=r["village_id"],
        data={"issue_code": code, "village": r["village_code"], "deadline": deadline},
    ), _audience(kind, r["village_id"])


def _digests(kind: str, rows: list[Any], today: date) -> list[tuple[Message, Audience]]:
    by_village: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_village[r["village_id"]].append(r)
    out = []
    for village_id, found in by_village.items():
        name, n = found[0]["village_name"], len(found)
        word_zh = "整改期限将到" if kind == "deadline_near" else "已超整改期限"
        word_en = "near their deadline" if kind == "deadline_near" else "past their deadline"
        out.append(
            (
                Message(
                    kind=kind,
                    key=f"{kind}:village:{village_id}:{today}",
                    title_zh=f"{name}有 {n} 条问题{word_zh}",
                    title_en=f"{n} issues of {name} {word_en}",
                    body_zh="、".join(r["code"] for r in found[:20]) + ("等" if n > 20 else ""),
                    body_en=", ".join(r["code"] for r in found[:20]) + (" …" if n > 20 else ""),
                    link=VILLAGE_PAGE,
                    village_id=village_id,
                    data={"village": found[0]["village_code"], "issues": n, "day": today},
                ),
                _audience(kind, village_id),
            )
        )
    return out


def interview_messages(
    conn: Connection, interviews: Sequence[Interview]
) -> list[tuple[Message, Audience]]:
    """Messages for the interviews called for and not yet held (status due or late)."""
    ids: dict[str, int] = {r[0]: r[1] for r in conn.execute(text("SELECT code, id FROM village"))}
    out = []
    for item in interviews:
        if not item.due or item.status == "held" or item.village not in ids:
            continue
        late_zh = "（已逾期）" if item.status == "late" else ""
        late_en = " (late)" if item.status == "late" else ""
        out.append(
            (
                Message(
                    kind="interview_due",
                    key=f"interview:{item.month}:{item.village}",
                    title_zh=f"约谈待办：{item.village_name} {item.month}{late_zh}",
                    title_en=f"Interview due: {item.village_name} {item.month}{late_en}",
                    body_zh=f"{item.month} {item.village_name}列入后十名（第 {item.rank} 名），"
                    f"由{item.interviewer}约谈{item.interviewees}，{item.deadline} 前完成。",
                    body_en=f"{item.village_name} is in the bottom ten of {item.month} "
                    f"(rank {item.rank}): {item.interviewer_en} holds an interview by "
                    f"{item.deadline}.",
                    link=DASHBOARD,
                    village_id=ids[item.village],
                    data={
                        "village": item.village,
                        "month": item.month,
                        "level": item.level,
                        "deadline": item.deadline,
                        "status": item.status,
                    },
                ),
                Audience(roles=INTERVIEW_AUDIENCE, village_id=ids[item.village]),
            )
        )
    return out
