"""Posting one message: into the inbox of everyone it is for, and onto the delivery queue.

Who a message is for is an `Audience`: office-wide roles (整治办 admin, inspectors, leaders)
and/or the users of one village. `recipients_where` is the one place that turns an audience
into users (the town condition goes there too).

A message belongs to a town (its own `town_id`, else its issue's, else its village's):
office roles of other towns do not get it, nor do webhooks of other towns (a webhook of
no town, `webhook.town_id` NULL, gets every town's).

Every row is keyed: a user gets a message with a given key once, an e-mail address or a
webhook once (`ON CONFLICT DO NOTHING`), so posting the same message twice — a scheduled
job run twice, two workers racing — stores and sends it once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Audience:
    """Who a message is for: users of `roles` anywhere, plus the village users of `village_id`."""

    roles: tuple[str, ...] = ()
    village_id: int | None = None


@dataclass(frozen=True)
class Message:
    """One thing to tell people, worded in both languages."""

    kind: str
    key: str
    """Unique per recipient: the same key is never stored or sent twice to one user."""
    title_zh: str
    title_en: str
    body_zh: str = ""
    body_en: str = ""
    link: str | None = None
    issue_id: uuid.UUID | None = None
    village_id: int | None = None
    town_id: int | None = None
    """The town the message is about when it has no issue or village (else the issue's
    town, else the village's). It decides who hears of it (`recipients_where`) and which
    webhooks get it: those of that town and those of every town (`webhook.town_id` NULL);
    a message of no town reaches only the latter."""
    event_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    """Facts for machines (issue code, village code, deadline, …): the webhook's `data`."""

    def payload(self) -> dict[str, Any]:
        """What the e-mail and the webhook are built from (stored with each delivery)."""
        return {
            "kind": self.kind,
            "key": self.key,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "body_zh": self.body_zh,
            "body_en": self.body_en,
            "link": self.link,
            "issue_id": str(self.issue_id) if self.issue_id else None,
            "village_id": self.village_id,
            "town_id": self.town_id,
            "event_id": self.event_id,
            "data": {k: _plain(v) for k, v in self.data.items()},
        }


def _plain(value: Any) -> Any:
    if isinstance(value, date | uuid.UUID):
        return str(value)
    return value


def recipients_where(*, town: str, roles: str, village: str, alias: str = "u") -> str:
    """SQL condition on app_user `alias` for the audience (`roles`, `village`: a batch's
    columns) of a message of the town
    `town` (NULL: of no town in particular): users of the roles in that town, or reading
    its district, and the village's own users."""
    return (
        f"{alias}.active AND (({alias}.role = ANY({roles}) AND ({town} IS NULL"
        f" OR {alias}.town_id = {town} OR {alias}.district_code ="
        f" (SELECT t.district_code FROM town t WHERE t.id = {town})))"
        f" OR ({alias}.role = 'village' AND {alias}.village_id = {village}))"
    )


@dataclass(frozen=True)
class Posted:
    """What posting a message stored: new inbox rows and new deliveries queued."""

    inbox: int
    emails: int
    webhooks: int


_MANY = text(
    "WITH m AS (SELECT b.*, coalesce(b.town_id, (SELECT i.town_id FROM issue i"
    "  WHERE i.id = b.issue_id), (SELECT v.town_id FROM village v"
    "  WHERE v.id = b.msg_village)) AS msg_town"
    " FROM jsonb_to_recordset(CAST(:messages AS jsonb)) AS b(kind text, key text,"
    "  issue_id uuid, msg_village integer, town_id integer, event_id bigint, title_zh text,"
    "  title_en text, body_zh text, body_en text, link text, roles text[],"
    "  village_id integer, payload jsonb)),"
    " ins AS (INSERT INTO notification (user_id, kind, key, issue_id, village_id, event_id,"
    " title_zh, title_en, body_zh, body_en, link)"
    " SELECT u.id, m.kind, m.key, m.issue_id, m.msg_village, m.event_id, m.title_zh,"
    " m.title_en, m.body_zh, m.body_en, m.link FROM m JOIN app_user u ON"
    f" {recipients_where(town='m.msg_town', roles='m.roles', village='m.village_id')}"
    " ON CONFLICT DO NOTHING RETURNING user_id, key),"
    " em AS (INSERT INTO delivery (channel, key, kind, user_id, address, payload)"
    " SELECT 'email', m.key, m.kind, u.id, u.email, m.payload FROM ins"
    " JOIN m ON m.key = ins.key JOIN app_user u ON u.id = ins.user_id"
    " WHERE CAST(:email AS boolean) AND u.email IS NOT NULL ON CONFLICT DO NOTHING RETURNING 1),"
    " wh AS (INSERT INTO delivery (channel, key, kind, webhook_id, address, payload)"
    " SELECT 'webhook', m.key, m.kind, w.id, w.url, m.payload FROM m, webhook w"
    " WHERE w.active AND (cardinality(w.kinds) = 0 OR m.kind = ANY(w.kinds))"
    " AND (w.town_id IS NULL OR w.town_id = m.msg_town)"
    " ON CONFLICT DO NOTHING RETURNING 1)"
    " SELECT (SELECT count(*) FROM ins) AS inbox, (SELECT count(*) FROM em) AS emails,"
    " (SELECT count(*) FROM wh) AS webhooks"
)


def post_many(conn: Connection, messages: list[tuple[Message, Audience]], *, email: bool) -> Posted:
    """`post` for many messages in ONE statement (the fan-out's batches): the same inbox
    rows, e-mails and webhooks, keyed the same way; the counts are the batch's totals."""
    if not messages:
        return Posted(inbox=0, emails=0, webhooks=0)
    batch = [
        {
            "kind": message.kind,
            "key": message.key,
            "issue_id": str(message.issue_id) if message.issue_id else None,
            "msg_village": message.village_id,
            "town_id": message.town_id,
            "event_id": message.event_id,
            "title_zh": message.title_zh,
            "title_en": message.title_en,
            "body_zh": message.body_zh,
            "body_en": message.body_en,
            "link": message.link,
            "roles": list(audience.roles),
            "village_id": audience.village_id,
            "payload": message.payload(),
        }
        for message, audience in messages
    ]
    row = conn.execute(
        _MANY, {"messages": json.dumps(batch, ensure_ascii=False), "email": email}
    ).one()
    return Posted(inbox=row.inbox, emails=row.emails, webhooks=row.webhooks)


def post(conn: Connection, message: Message, audience: Audience, *, email: bool) -> Posted:
    """Put `message` in the inbox of its audience and queue its e-mails (when `email`: an
    SMTP server is configured) and webhooks; what was posted before is left alone."""
    return post_many(conn, [(message, audience)], email=email)
