"""drop the (village_id, status) index so re-assigning villages is a HOT update

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 00:10:00

Per-village counts scan the table (0.25 s for 1M issues) and village filters on a map or
list are small; with no index on village_id/grid_id/outside_m and fillfactor 50, the
set-based assignment rewrites rows in place (heap-only tuples) instead of touching every
index, the GiST index included.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("issue_village_status", table_name="issue")


def downgrade() -> None:
    op.create_index("issue_village_status", "issue", ["village_id", "status"], unique=False)
