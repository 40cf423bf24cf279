"""issue events: `on` (the day the action happened) and `recorded_at` (when it was typed)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 05:00:00

`at` is renamed `recorded_at` (its values stay: they are when each row was written), and
`on` is added, filled for existing rows with the town's calendar day of that timestamp
(China has one time zone, UTC+8, without daylight saving). New rows default to today in
the town's calendar; the application passes the day explicitly. The index on (issue_id, at) follows the rename.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOWN_TODAY = "(now() AT TIME ZONE 'Asia/Shanghai')::date"


def upgrade() -> None:
    op.alter_column("issue_event", "at", new_column_name="recorded_at")
    op.add_column("issue_event", sa.Column("on", sa.Date(), nullable=True))
    op.execute("UPDATE issue_event SET \"on\" = (recorded_at AT TIME ZONE 'Asia/Shanghai')::date")
    op.alter_column("issue_event", "on", nullable=False, server_default=sa.text(TOWN_TODAY))


def downgrade() -> None:
    op.drop_column("issue_event", "on")
    op.alter_column("issue_event", "recorded_at", new_column_name="at")
