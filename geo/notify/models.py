"""The notification tables: the outbox the triggers fill, the inbox, the delivery queue."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from geo.models import Base
from geo.notify.kinds import KIND_LEN, NOTIFY_KINDS

KEY_LEN = 200
"""A message's key (what makes it unique per recipient)."""

CHANNELS = ("email", "webhook")
DELIVERY_STATUSES = ("pending", "sent", "dead")
"""pending: waiting for its (next) attempt; sent; dead: every attempt failed (dead letter)."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class NotifyOutbox(Base):
    """The id range of `issue_event` rows one statement may have written (filled by triggers)."""

    __tablename__ = "notify_outbox"
    __table_args__ = (CheckConstraint("up_to_event > after_event", name="outbox_range_nonempty"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    after_event: Mapped[int] = mapped_column(BigInteger)
    up_to_event: Mapped[int] = mapped_column(BigInteger)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Notification(Base):
    """One message in one user's inbox (站内消息)."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="notification_user_key"),
        CheckConstraint(_in("kind", NOTIFY_KINDS), name="notification_kind_known"),
        Index("notification_user", "user_id", "id"),
        Index("notification_unread", "user_id", postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(KIND_LEN))
    key: Mapped[str] = mapped_column(String(KEY_LEN))
    issue_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("issue.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    body_zh: Mapped[str] = mapped_column(Text, server_default="")
    body_en: Mapped[str] = mapped_column(Text, server_default="")
    link: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Webhook(Base):
    """A webhook subscription: every message (or those of `kinds`) of its town is POSTed to
    `url`, signed."""

    __tablename__ = "webhook"
    __table_args__ = (
        CheckConstraint("url ~ '^https?://'", name="webhook_url_http"),
        CheckConstraint("length(secret) >= 16", name="webhook_secret_long"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(Text)
    """The HMAC key of the signatures (the receiver holds the same)."""
    kinds: Mapped[list[str]] = mapped_column(
        ARRAY(String(KIND_LEN)), server_default=text("'{}'::varchar[]")
    )
    """The kinds sent (empty: all)."""
    town_id: Mapped[int | None] = mapped_column(
        ForeignKey("town.id", name="webhook_town_fk", ondelete="CASCADE")
    )
    """The town whose messages it gets (about an issue, village or office of that town);
    NULL: every town's — a district's or the deployment's own integration (migration 0021).
    Its URL and deliveries are shown only to users who read every town."""
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Delivery(Base):
    """One message to send by e-mail (to a user) or webhook (to a subscription), retried."""

    __tablename__ = "delivery"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="delivery_channel_known"),
        CheckConstraint(_in("status", DELIVERY_STATUSES), name="delivery_status_known"),
        CheckConstraint(
            "(channel = 'email') = (user_id IS NOT NULL)"
            " AND (channel = 'webhook') = (webhook_id IS NOT NULL)",
            name="delivery_target_matches_channel",
        ),
        CheckConstraint("attempts >= 0", name="delivery_attempts_nonneg"),
        Index(
            "delivery_email_key",
            "user_id",
            "key",
            unique=True,
            postgresql_where=text("channel = 'email'"),
        ),
        Index(
            "delivery_webhook_key",
            "webhook_id",
            "key",
            unique=True,
            postgresql_where=text("channel = 'webhook'"),
        ),
        Index("delivery_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("delivery_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(KEY_LEN))
    kind: Mapped[str] = mapped_column(String(KIND_LEN))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(Text)
    """The e-mail address or URL, as it was when the message was queued."""
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(8), server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DeliveryAttempt(Base):
    """Every attempt to deliver, successful or not."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (Index("delivery_attempt_delivery", "delivery_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("delivery.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    ok: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
