"""webhook.town_id: a webhook subscription belongs to a town (NULL: every town)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 13:50:00

A town's system subscribes to its own town's messages: the fan-out queues a webhook
delivery only for a message about the webhook's town (its issue's, village's or own
town). NULL keeps a subscription deployment-wide (a district's or the deployment's own
integration): it gets every town's messages. Existing webhooks stay NULL, so a
single-town deployment sees no change.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("webhook", sa.Column("town_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "webhook_town_fk", "webhook", "town", ["town_id"], ["id"], ondelete="CASCADE"
    )


def downgrade() -> None:
    op.drop_constraint("webhook_town_fk", "webhook", type_="foreignkey")
    op.drop_column("webhook", "town_id")
