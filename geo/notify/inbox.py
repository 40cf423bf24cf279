"""A user's inbox (站内消息): what is unread, the list, marking read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo.errors import NotFound

INBOX_PAGE = 50
"""Messages shown per page of the inbox."""


def unread_count(conn: Connection, user_id: int) -> int:
    """How many messages `user_id` has not read (the partial index answers)."""
    return int(
        conn.execute(
            text("SELECT count(*) FROM notification WHERE user_id = :u AND read_at IS NULL"),
            {"u": user_id},
        ).scalar_one()
    )


def inbox(
    conn: Connection,
    user_id: int,
    *,
    unread_only: bool = False,
    before: int | None = None,
    limit: int = INBOX_PAGE,
) -> list[dict[str, Any]]:
    """The user's messages, newest first (`before`: only those with a smaller id)."""
    rows = conn.execute(
        text(
            "SELECT n.id, n.kind, n.title_zh, n.title_en, n.body_zh, n.body_en, n.link,"
            " n.created_at, n.read_at, n.event_id, i.code AS issue_code, v.code AS village"
            " FROM notification n LEFT JOIN issue i ON i.id = n.issue_id"
            " LEFT JOIN village v ON v.id = n.village_id"
            " WHERE n.user_id = :u AND (NOT :unread OR n.read_at IS NULL)"
            " AND (CAST(:before AS bigint) IS NULL OR n.id < :before)"
            " ORDER BY n.id DESC LIMIT :limit"
        ),
        {"u": user_id, "unread": unread_only, "before": before, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]


def mark_read(conn: Connection, user_id: int, notification_id: int) -> None:
    """Mark one of the user's messages read (NotFound when it is not theirs)."""
    found = conn.execute(
        text(
            "UPDATE notification SET read_at = coalesce(read_at, now())"
            " WHERE id = :id AND user_id = :u RETURNING id"
        ),
        {"id": notification_id, "u": user_id},
    ).first()
    if found is None:
        raise NotFound(f"no message {notification_id} in your inbox", field="notification_id")


def mark_all_read(conn: Connection, user_id: int) -> int:
    """Mark every unread message of the user read; how many there were."""
    return conn.execute(
        text("UPDATE notification SET read_at = now() WHERE user_id = :u AND read_at IS NULL"),
        {"u": user_id},
    ).rowcount
