"""third-party batches (市第三方测评 as points) and provisional deadlines

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-30 06:00:00

- `third_party_batch`: a named evaluation of a year (name, year, date it was done, and the
  village codes it evaluated without finding anything); its issues point at it through
  `issue.third_party_batch_id` (source `third_party`).
- `issue.photo_names`: the names of photos that came with an imported row (the
  evaluator's file lists them; the files arrive separately).
- `issue.deadline_provisional`: the deadline was the next-round rule's fallback (no round
  of the next month yet); creating that round replaces it. Existing deadlines are kept
  (false).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "third_party_batch",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        sa.Column(
            "clean_villages",
            sa.ARRAY(sa.String(32)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.UniqueConstraint("year", "name", name="third_party_batch_year_name"),
        sa.CheckConstraint(
            "extract(year FROM evaluated_on) = year", name="third_party_batch_date_in_year"
        ),
    )
    op.add_column(
        "issue",
        sa.Column(
            "third_party_batch_id",
            sa.Integer(),
            sa.ForeignKey("third_party_batch.id"),
            nullable=True,
        ),
    )
    op.create_index("issue_third_party_batch", "issue", ["third_party_batch_id"])
    op.create_check_constraint(
        "batch_is_third_party",
        "issue",
        "third_party_batch_id IS NULL OR source = 'third_party'",
    )
    op.add_column("issue", sa.Column("photo_names", sa.Text(), nullable=True))
    op.add_column(
        "issue",
        sa.Column("deadline_provisional", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("issue", "deadline_provisional")
    op.drop_column("issue", "photo_names")
    op.drop_constraint("batch_is_third_party", "issue", type_="check")
    op.drop_index("issue_third_party_batch", table_name="issue")
    op.drop_column("issue", "third_party_batch_id")
    op.drop_table("third_party_batch")
