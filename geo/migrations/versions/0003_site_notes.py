"""site notes: planners' decisions on micro-landscape candidate sites

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_geospatial_table(
        "site_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_key", sa.Text(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column(
            "decided_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('flower_gate', 'micro_spot', 'aesthetic_lane')", name="kind_known"
        ),
        sa.CheckConstraint("decision IN ('chosen', 'rejected')", name="decision_known"),
        sa.CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        sa.ForeignKeyConstraint(["village_id"], ["village.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidate_key"),
    )
    op.create_geospatial_index(
        "idx_site_choice_geom",
        "site_choice",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_site_choice_village_id"), "site_choice", ["village_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_site_choice_village_id"), table_name="site_choice")
    op.drop_geospatial_index(
        "idx_site_choice_geom",
        table_name="site_choice",
        postgresql_using="gist",
        column_name="geom",
    )
    op.drop_geospatial_table("site_choice")
