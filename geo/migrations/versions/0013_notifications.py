"""notifications: in-app inbox, e-mail and webhook deliveries with retries, and their outbox

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 07:45:00

Notifications are derived from `issue_event` after the fact, never from the write path's
code: two statement-level triggers on `issue_event` record, per INSERT or COPY statement,
the range of event ids it may have written (`notify_outbox`: the id sequence's value
before and after the statement). That costs one small row per statement, nothing per row,
so a bulk import of a million issues adds one outbox row; the fan-out job reads the range
later and decides (a large statement is an import: summarised, see docs/notifications.md).

`notification` is the inbox (one row per user and message, unique by a key, so scheduled
runs are idempotent); `delivery` the e-mail and webhook queue (retries with backoff, `dead`
after the last attempt), `delivery_attempt` every attempt, `webhook` the subscriptions.
`app_user.email` is where a user's mail goes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "issue_created",
    "recheck_waiting",
    "verdict",
    "deadline_near",
    "deadline_passed",
    "interview_due",
    "issues_imported",
)
_KINDS_SQL = ", ".join(f"'{k}'" for k in KINDS)

_SEQUENCE_VALUE = "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {seq}"


def upgrade() -> None:
    op.add_column("app_user", sa.Column("email", sa.String(254), nullable=True))
    op.create_check_constraint(
        "email_plausible", "app_user", "email IS NULL OR email ~ '^[^@[:space:]]+@[^@[:space:]]+$'"
    )
    op.create_table(
        "notify_outbox",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("after_event", sa.BigInteger(), nullable=False),
        sa.Column("up_to_event", sa.BigInteger(), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("up_to_event > after_event", name="outbox_range_nonempty"),
    )
    op.create_table(
        "notification",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("issue_id", sa.UUID(), sa.ForeignKey("issue.id"), nullable=True),
        sa.Column("village_id", sa.Integer(), sa.ForeignKey("village.id"), nullable=True),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("title_zh", sa.Text(), nullable=False),
        sa.Column("title_en", sa.Text(), nullable=False),
        sa.Column("body_zh", sa.Text(), server_default="", nullable=False),
        sa.Column("body_en", sa.Text(), server_default="", nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("user_id", "key", name="notification_user_key"),
        sa.CheckConstraint(f"kind IN ({_KINDS_SQL})", name="notification_kind_known"),
    )
    op.create_index("notification_user", "notification", ["user_id", "id"])
    op.create_index(
        "notification_unread",
        "notification",
        ["user_id"],
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column(
            "kinds",
            postgresql.ARRAY(sa.String(24)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("url ~ '^https?://'", name="webhook_url_http"),
        sa.CheckConstraint("length(secret) >= 16", name="webhook_secret_long"),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column(
            "user_id",
            sa.Integer(),
            sa.ForeignKey("app_user.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "webhook_id",
            sa.Integer(),
            sa.ForeignKey("webhook.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(8), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('email', 'webhook')", name="delivery_channel_known"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'dead')", name="delivery_status_known"),
        sa.CheckConstraint(
            "(channel = 'email') = (user_id IS NOT NULL)"
            " AND (channel = 'webhook') = (webhook_id IS NOT NULL)",
            name="delivery_target_matches_channel",
        ),
        sa.CheckConstraint("attempts >= 0", name="delivery_attempts_nonneg"),
    )
    op.create_index(
        "delivery_email_key",
        "delivery",
        ["user_id", "key"],
        unique=True,
        postgresql_where=sa.text("channel = 'email'"),
    )
    op.create_index(
        "delivery_webhook_key",
        "delivery",
        ["webhook_id", "key"],
        unique=True,
        postgresql_where=sa.text("channel = 'webhook'"),
    )
    op.create_index(
        "delivery_due",
        "delivery",
        ["next_attempt_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("delivery_status", "delivery", ["status", "id"])
    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "delivery_id",
            sa.BigInteger(),
            sa.ForeignKey("delivery.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
    )
    op.create_index("delivery_attempt_delivery", "delivery_attempt", ["delivery_id", "id"])

    seq = op.get_bind().execute(sa.text("SELECT pg_get_serial_sequence('issue_event', 'id')"))
    seq_name = seq.scalar_one()
    value = _SEQUENCE_VALUE.format(seq=seq_name)
    op.execute(
        f"""
        CREATE FUNCTION notify_events_before() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM set_config('cunrong.events_after', ({value})::text, true);
          RETURN NULL;
        END $$;
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION notify_events_after() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          lo bigint := nullif(current_setting('cunrong.events_after', true), '')::bigint;
          hi bigint := ({value});
        BEGIN
          IF lo IS NOT NULL AND hi > lo THEN
            INSERT INTO notify_outbox (after_event, up_to_event) VALUES (lo, hi);
          END IF;
          RETURN NULL;
        END $$;
        """
    )
    op.execute(
        "CREATE TRIGGER issue_event_outbox_before BEFORE INSERT ON issue_event"
        " FOR EACH STATEMENT EXECUTE FUNCTION notify_events_before()"
    )
    op.execute(
        "CREATE TRIGGER issue_event_outbox_after AFTER INSERT ON issue_event"
        " FOR EACH STATEMENT EXECUTE FUNCTION notify_events_after()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS issue_event_outbox_after ON issue_event")
    op.execute("DROP TRIGGER IF EXISTS issue_event_outbox_before ON issue_event")
    op.execute("DROP FUNCTION IF EXISTS notify_events_after()")
    op.execute("DROP FUNCTION IF EXISTS notify_events_before()")
    op.drop_table("delivery_attempt")
    op.drop_table("delivery")
    op.drop_table("webhook")
    op.drop_table("notification")
    op.drop_table("notify_outbox")
    op.drop_constraint("email_plausible", "app_user", type_="check")
    op.drop_column("app_user", "email")
