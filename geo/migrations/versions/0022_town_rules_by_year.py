"""town_rules: a town's rules per assessment year (the rules of a past year stay as they were)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 19:50:00

A town re-issues its assessment rules each year (the notice of 2024 sets 2024's numbers).
One text per town meant that setting next year's rules re-scored every past year with
them: the year-end ranking of 2026, computed in January 2027, would have taken 2027's
numbers. Now a town has one rules text per year (`town_rules`, keyed by the `[rules] year`
the text itself names), and `town_rules_for(town, year)` picks the text for a year: that
year's, else the latest earlier one (rules stay in force until replaced), else the
earliest one; NULL when the town has none (the settings' rules file applies).

`town.rules` moves into `town_rules` under its text's year, and is dropped.
"""

from __future__ import annotations

import tomllib

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

PICK = """
CREATE FUNCTION town_rules_for(town integer, year integer) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT r.rules FROM town_rules r WHERE r.town_id = $1
    ORDER BY (r.year <= $2) DESC, CASE WHEN r.year <= $2 THEN -r.year ELSE r.year END
    LIMIT 1
$$
"""


def upgrade() -> None:
    op.create_table(
        "town_rules",
        sa.Column(
            "town_id",
            sa.Integer(),
            sa.ForeignKey("town.id", name="town_rules_town_fk", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("year", sa.Integer(), primary_key=True),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("set_by", sa.Text(), nullable=True),
        sa.Column(
            "set_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name="town_rules_year"),
    )
    op.execute(PICK)
    bind = op.get_bind()
    for town_id, text in bind.execute(
        sa.text("SELECT id, rules FROM town WHERE rules IS NOT NULL")
    ).all():
        year = int(tomllib.loads(text)["rules"]["year"])  # checked when it was stored
        bind.execute(
            sa.text(
                "INSERT INTO town_rules (town_id, year, rules, set_by)"
                " VALUES (:t, :y, :r, 'migration 0022')"
            ),
            {"t": town_id, "y": year, "r": text},
        )
    op.drop_column("town", "rules")


def downgrade() -> None:
    op.add_column("town", sa.Column("rules", sa.Text(), nullable=True))
    op.execute("UPDATE town SET rules = town_rules_for(id, 2100)")  # the latest
    op.execute("DROP FUNCTION town_rules_for(integer, integer)")
    op.drop_table("town_rules")
