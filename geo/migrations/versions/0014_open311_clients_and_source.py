"""Open311 GeoReport v2: API clients, reporter details, and the source `open311`

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 07:50:00

- `open311_client`: a system posting requests with an API key (only its SHA-256 stored;
  revoked clients stay for the history), for one town: it writes and reads there.
- `open311_report`: per issue posted through Open311, the client and what it sent beyond
  the issue (reporter's e-mail, name, phone, device and account ids, address id, its own
  media URL).
- `issue.source` may be `open311` (the CHECK constraint `source_known` is rewritten).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SOURCES = "'inspection', 'recheck', 'observation', 'third_party', 'village_self', 'report'"


def upgrade() -> None:
    op.drop_constraint("source_known", "issue", type_="check")
    op.create_check_constraint("source_known", "issue", f"source IN ({OLD_SOURCES}, 'open311')")
    op.create_table(
        "open311_client",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("town_id", sa.Integer(), sa.ForeignKey("town.id"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "open311_report",
        sa.Column(
            "issue_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("issue.id"),
            primary_key=True,
        ),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("open311_client.id"), nullable=False),
        sa.Column("email", sa.String(100), nullable=True),
        sa.Column("first_name", sa.String(100), nullable=True),
        sa.Column("last_name", sa.String(100), nullable=True),
        sa.Column("phone", sa.String(50), nullable=True),
        sa.Column("device_id", sa.String(100), nullable=True),
        sa.Column("account_id", sa.String(100), nullable=True),
        sa.Column("address_id", sa.String(100), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    )
    op.create_index("ix_open311_report_client_id", "open311_report", ["client_id"])


def downgrade() -> None:
    op.drop_table("open311_report")
    op.drop_table("open311_client")
    # Issues are never deleted: those posted through Open311 become residents' reports.
    op.execute("UPDATE issue SET source = 'report' WHERE source = 'open311'")
    op.drop_constraint("source_known", "issue", type_="check")
    op.create_check_constraint("source_known", "issue", f"source IN ({OLD_SOURCES})")
