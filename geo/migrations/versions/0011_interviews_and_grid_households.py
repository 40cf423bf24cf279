"""interviews on record (约谈记录) and households per grid

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 05:50:00

`interview` holds the interviews that took place: one row per month and village, written
when the interview is recorded as held. Which interviews are due is not stored: it follows
from the month's ranking (M4), so a corrected score changes it. The row keeps what was
true when it was recorded — the level (bottom ten or two months running), who held it, the
names of the people interviewed — and an optional scan (PDF or image) stored by content
hash like the photos. `grid.households` lets indicators be given per 100 households of a
grid (NULL: unknown).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("grid", sa.Column("households", sa.Integer(), nullable=True))
    op.create_check_constraint(
        "grid_households_nonneg", "grid", "households IS NULL OR households >= 0"
    )
    op.create_table(
        "interview",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("village_id", sa.Integer(), sa.ForeignKey("village.id"), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("held_by", sa.String(50), nullable=False),
        sa.Column("secretary", sa.String(50), nullable=True),
        sa.Column("deputy_secretary", sa.String(50), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("scan_sha256", sa.String(64), nullable=True),
        sa.Column("scan_path", sa.Text(), nullable=True),
        sa.Column("scan_mime", sa.String(40), nullable=True),
        sa.Column("scan_bytes", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.UniqueConstraint("month", "village_id", name="interview_month_village"),
        sa.CheckConstraint("EXTRACT(DAY FROM month) = 1", name="interview_month_first_day"),
        sa.CheckConstraint("level IN ('bottom', 'streak')", name="interview_level_known"),
        sa.CheckConstraint("held_on >= month", name="interview_held_in_or_after_month"),
        sa.CheckConstraint(
            "(scan_sha256 IS NULL) = (scan_path IS NULL)", name="interview_scan_complete"
        ),
    )


def downgrade() -> None:
    op.drop_table("interview")
    op.drop_constraint("grid_households_nonneg", "grid")
    op.drop_column("grid", "households")
