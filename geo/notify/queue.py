"""The delivery queue: taking the next message to send, recording each attempt, backing
off, the dead letters, and the subscriptions and addresses messages go to.

A sender takes one delivery with `FOR UPDATE SKIP LOCKED` and keeps its transaction open
while it sends: another sender skips the row, so two workers never send the same message;
if the sender dies mid-way the lock goes with it and the message is tried again later
(at least once). A failed attempt waits `base_s · 2^(attempts−1)` seconds (at most
`max_s`) before the next; after `max_attempts` the delivery is dead (死信) until the office
retries it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo.errors import Conflict, InvalidInput, NotFound
from geo.notify.kinds import NOTIFY_KINDS

ERROR_LEN = 1000
"""Stored length of an attempt's error."""


@dataclass(frozen=True)
class Claimed:
    """A delivery taken for sending (its row stays locked until the transaction ends)."""

    id: int
    channel: str
    key: str
    kind: str
    address: str
    payload: dict[str, Any]
    attempts: int
    secret: str | None
    """The webhook's signing key (None for e-mail)."""


def claim_next(conn: Connection, *, skip: Sequence[int] = ()) -> Claimed | None:
    """The next delivery due, locked; None when nothing is due (or all due ones are taken).
    `skip`: ids already tried in this run (so one run tries each delivery at most once)."""
    row = (
        conn.execute(
            text(
                "SELECT d.id, d.channel, d.key, d.kind, d.address, d.payload, d.attempts, w.secret"
                " FROM delivery d LEFT JOIN webhook w ON w.id = d.webhook_id"
                " WHERE d.status = 'pending' AND d.next_attempt_at <= clock_timestamp()"
                " AND NOT (d.id = ANY(CAST(:skip AS bigint[]))) AND coalesce(w.active, true)"
                " ORDER BY d.next_attempt_at, d.id LIMIT 1 FOR UPDATE OF d SKIP LOCKED"
            ),
            {"skip": list(skip)},
        )
        .mappings()
        .first()
    )
    return Claimed(**row) if row else None


def backoff_s(attempts: int, *, base_s: float, max_s: float) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base · 2^(attempts−1), capped."""
    return float(min(max_s, base_s * 2 ** max(attempts - 1, 0)))


def record_attempt(
    conn: Connection,
    delivery_id: int,
    *,
    ok: bool,
    error: str | None = None,
    status_code: int | None = None,
    duration_ms: int | None = None,
    max_attempts: int,
    base_s: float,
    max_s: float,
) -> str:
    """Store an attempt and move the delivery on: sent, pending (later), or dead. Returns
    the new status."""
    error = error[:ERROR_LEN] if error else None
    conn.execute(
        text(
            "INSERT INTO delivery_attempt (delivery_id, at, ok, status_code, error, duration_ms)"
            " VALUES (:d, clock_timestamp(), :ok, :code, :error, :ms)"
        ),
        {"d": delivery_id, "ok": ok, "code": status_code, "error": error, "ms": duration_ms},
    )
    attempts = conn.execute(
        text("SELECT attempts + 1 FROM delivery WHERE id = :d"), {"d": delivery_id}
    ).scalar_one()
    status = "sent" if ok else ("dead" if attempts >= max_attempts else "pending")
    delay = backoff_s(attempts, base_s=base_s, max_s=max_s)
    conn.execute(
        text(
            "UPDATE delivery SET attempts = :n, status = :status, last_error = :error,"
            " sent_at = CASE WHEN :ok THEN clock_timestamp() END,"
            " next_attempt_at = clock_timestamp() + make_interval(secs => :delay)"
            " WHERE id = :d"
        ),
        {
            "n": attempts,
            "status": status,
            "error": error,
            "ok": ok,
            "delay": delay,
            "d": delivery_id,
        },
    )
    return status


EVERY_TOWN_SQL = (
    "(CAST(:all_towns AS boolean)"
    " OR NOT EXISTS (SELECT 1 FROM town st WHERE st.id <> ALL(CAST(:towns AS int[]))))"
)
"""The scope covers every town of the deployment (None, or a list holding every town's id:
in a single-town deployment, that town's admin)."""

DELIVERY_TOWN_SQL = (
    f"({EVERY_TOWN_SQL}"
    " OR (d.channel = 'email' AND (EXISTS (SELECT 1 FROM app_user su WHERE su.id = d.user_id"
    " AND su.town_id = ANY(CAST(:towns AS int[])))"
    " OR (d.payload ->> 'town_id')::int = ANY(CAST(:towns AS int[]))"
    " OR EXISTS (SELECT 1 FROM village sv WHERE sv.id = (d.payload ->> 'village_id')::int"
    " AND sv.town_id = ANY(CAST(:towns AS int[])))"
    " OR EXISTS (SELECT 1 FROM issue si WHERE si.id = (d.payload ->> 'issue_id')::uuid"
    " AND si.town_id = ANY(CAST(:towns AS int[])))))"
    " OR (d.channel = 'webhook' AND EXISTS (SELECT 1 FROM webhook sw"
    " WHERE sw.id = d.webhook_id AND sw.town_id = ANY(CAST(:towns AS int[])))))"
)
"""A delivery belongs to the towns of its recipient or of the town, village or issue its
message is about (e-mail), or to its webhook's town (webhook); `d` is the delivery. The
deliveries of a webhook of every town (`webhook.town_id` NULL) — its URL — are seen only
by a scope that covers every town (`EVERY_TOWN_SQL`)."""


def _town_params(towns: Sequence[int] | None) -> dict[str, Any]:
    return {"all_towns": towns is None, "towns": list(towns or ())}


def retry(conn: Connection, delivery_id: int, *, towns: Sequence[int] | None = None) -> None:
    """Send a dead (or waiting) delivery again now, with a fresh count of attempts; a
    delivery of another town than `towns` (None: every town) is as unknown as a missing one."""
    row = conn.execute(
        text(f"SELECT status FROM delivery d WHERE id = :d AND {DELIVERY_TOWN_SQL} FOR UPDATE"),
        {"d": delivery_id, **_town_params(towns)},
    ).first()
    if row is None:
        raise NotFound(f"no delivery {delivery_id}", field="delivery_id")
    if row.status == "sent":
        raise Conflict(f"delivery {delivery_id} was sent already", field="delivery_id")
    conn.execute(
        text(
            "UPDATE delivery SET status = 'pending', attempts = 0,"
            " next_attempt_at = clock_timestamp() WHERE id = :d"
        ),
        {"d": delivery_id},
    )


DELIVERY_STATUSES_SHOWN = ("dead", "pending", "sent")


def deliveries(
    conn: Connection, *, status: str, limit: int = 200, towns: Sequence[int] | None = None
) -> list[dict[str, Any]]:
    """Deliveries of a status, newest first, with the webhook's name or the user's, of the
    towns `towns` (None: every town)."""
    if status not in DELIVERY_STATUSES_SHOWN:
        raise InvalidInput(
            f"unknown status {status!r}; expected one of {', '.join(DELIVERY_STATUSES_SHOWN)}",
            field="status",
        )
    rows = conn.execute(
        text(
            "SELECT d.id, d.channel, d.kind, d.key, d.address, d.status, d.attempts,"
            " d.next_attempt_at, d.last_error, d.created_at, d.sent_at,"
            " d.payload ->> 'title_zh' AS title_zh, d.payload ->> 'title_en' AS title_en,"
            " coalesce(w.name, u.name) AS recipient"
            " FROM delivery d LEFT JOIN webhook w ON w.id = d.webhook_id"
            " LEFT JOIN app_user u ON u.id = d.user_id"
            f" WHERE d.status = :status AND {DELIVERY_TOWN_SQL} ORDER BY d.id DESC LIMIT :limit"
        ),
        {"status": status, "limit": limit, **_town_params(towns)},
    ).mappings()
    return [dict(r) for r in rows]


def delivery_counts(conn: Connection, *, towns: Sequence[int] | None = None) -> dict[str, int]:
    """How many deliveries of the towns `towns` (None: every town) are in each status."""
    found: dict[str, int] = {
        r[0]: r[1]
        for r in conn.execute(
            text(
                f"SELECT status, count(*) FROM delivery d WHERE {DELIVERY_TOWN_SQL} GROUP BY status"
            ),
            _town_params(towns),
        )
    }
    return {s: int(found.get(s, 0)) for s in DELIVERY_STATUSES_SHOWN}


def attempts_of(conn: Connection, delivery_id: int) -> list[dict[str, Any]]:
    """Every attempt of a delivery, oldest first."""
    rows = conn.execute(
        text(
            "SELECT id, at, ok, status_code, error, duration_ms FROM delivery_attempt"
            " WHERE delivery_id = :d ORDER BY id"
        ),
        {"d": delivery_id},
    ).mappings()
    return [dict(r) for r in rows]


# --- where messages go: webhook subscriptions and users' e-mail addresses

_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MIN_SECRET = 16


def add_webhook(
    conn: Connection,
    *,
    name: str,
    url: str,
    secret: str,
    kinds: tuple[str, ...] = (),
    town_id: int | None = None,
) -> int:
    """Subscribe `url` to every message (or those of `kinds`) of the town `town_id`,
    signed with `secret`. `town_id` None: the messages of every town — for a district's
    or the deployment's own integration; such a subscription (and its URL) is shown only
    to users who read every town."""
    if not name.strip():
        raise InvalidInput("the webhook needs a name", field="name")
    if not _URL.match(url):
        raise InvalidInput(f"expected an http(s) URL, got {url!r}", field="url")
    if len(secret) < MIN_SECRET:
        raise InvalidInput(
            f"the secret has {len(secret)} characters; use at least {MIN_SECRET}", field="secret"
        )
    unknown = [k for k in kinds if k not in NOTIFY_KINDS]
    if unknown:
        raise InvalidInput(
            f"unknown kind {unknown[0]!r}; expected one of {', '.join(NOTIFY_KINDS)}",
            field="kind",
        )
    if (
        town_id is not None
        and not conn.execute(text("SELECT 1 FROM town WHERE id = :t"), {"t": town_id}).first()
    ):
        raise NotFound(f"no town with id {town_id}", field="town")
    try:
        with conn.begin_nested():
            return int(
                conn.execute(
                    text(
                        "INSERT INTO webhook (name, url, secret, kinds, town_id)"
                        " VALUES (:n, :u, :s, CAST(:k AS varchar[]), :t) RETURNING id"
                    ),
                    {"n": name.strip(), "u": url, "s": secret, "k": list(kinds), "t": town_id},
                ).scalar_one()
            )
    except IntegrityError:
        raise Conflict(f"a webhook named {name!r} exists already", field="name") from None


def webhooks(conn: Connection, *, towns: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """The subscriptions (without their secrets) of the towns `towns`, with their town's
    code and name (None for a webhook of every town). `towns` None — the CLI — or a scope
    holding every town sees them all; any other scope sees its towns' webhooks only, not
    those of every town (a district's or the deployment's integration is not a town's
    business, and its URL may carry a key)."""
    rows = conn.execute(
        text(
            "SELECT w.id, w.name, w.url, w.kinds, w.active, w.created_at,"
            " t.code AS town_code, t.name AS town_name"
            " FROM webhook w LEFT JOIN town t ON t.id = w.town_id"
            f" WHERE {EVERY_TOWN_SQL} OR w.town_id = ANY(CAST(:towns AS int[]))"
            " ORDER BY w.name"
        ),
        _town_params(towns),
    ).mappings()
    return [dict(r) for r in rows]


def set_webhook_active(conn: Connection, name: str, *, active: bool) -> None:
    """Pause or resume a subscription: while paused it gets no new messages, and those
    queued before wait until it is resumed."""
    done = conn.execute(
        text("UPDATE webhook SET active = :a WHERE name = :n RETURNING id"),
        {"a": active, "n": name},
    ).first()
    if done is None:
        raise NotFound(f"no webhook named {name!r}", field="name")


def set_email(conn: Connection, user_name: str, email: str | None) -> None:
    """Where a user's notifications are mailed (None: inbox only)."""
    if email is not None and not _EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address", field="email")
    done = conn.execute(
        text("UPDATE app_user SET email = :e WHERE name = :n RETURNING id"),
        {"e": email, "n": user_name},
    ).first()
    if done is None:
        raise NotFound(f"no user {user_name!r}", field="name")
