"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 22:54:27.049576
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

from geo.categories import category_rows

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label_zh", sa.String(length=100), nullable=False),
        sa.Column("label_en", sa.String(length=100), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("clause", sa.String(length=32), nullable=True),
        sa.Column("color", sa.String(length=7), nullable=False),
        sa.Column("icon", sa.String(length=40), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.CheckConstraint("scope IN ('household', 'village')", name="scope_known"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "community",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secretary", sa.String(length=50), nullable=True),
        sa.Column("deputy_secretary", sa.String(length=50), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "inspection_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "team", name="round_month_team"),
    )
    op.create_geospatial_table(
        "waterbody",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
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
        sa.CheckConstraint("kind IN ('river', 'pond', 'ditch')", name="kind_known"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_index(
        "idx_waterbody_geom",
        "waterbody",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "village",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=True),
        sa.Column("party_secretary", sa.String(length=50), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        sa.CheckConstraint("households IS NULL OR households >= 0", name="households_nonneg"),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_geospatial_index(
        "idx_village_geom",
        "village",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "grid",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("leader", sa.String(length=50), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTIPOLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("village_id", "name", name="grid_village_name"),
    )
    op.create_geospatial_index(
        "idx_grid_geom", "grid", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_table(
        "honor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('model_village', 'county_site_visit')", name="kind_known"),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "observation_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("group_name", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("entered_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
        sa.CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("month", "village_id", "group_name", name="score_month_village_group"),
    )
    op.create_geospatial_table(
        "road",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=48), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="MULTILINESTRING",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('main', 'secondary', 'lane')", name="kind_known"),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_geospatial_index(
        "idx_road_geom", "road", ["geom"], unique=False, postgresql_using="gist", postgresql_ops={}
    )
    op.create_table(
        "round_village",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["inspection_round.id"],
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("round_id", "village_id"),
    )
    op.create_table(
        "third_party_evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("evaluated", sa.Boolean(), nullable=False),
        sa.Column("problems_found", sa.Integer(), nullable=False),
        sa.Column("problems_unrectified", sa.Integer(), nullable=False),
        sa.CheckConstraint("problems_found >= 0", name="found_nonneg"),
        sa.CheckConstraint("problems_unrectified <= problems_found", name="unrectified_le_found"),
        sa.CheckConstraint("problems_unrectified >= 0", name="unrectified_nonneg"),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("year", "village_id", name="third_party_year_village"),
    )
    op.create_geospatial_table(
        "entrance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("road_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["road_id"],
            ["road.id"],
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_index(
        "idx_entrance_geom",
        "entrance",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_geospatial_table(
        "issue",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
            ),
            nullable=False,
        ),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("grid_id", sa.Integer(), nullable=True),
        sa.Column("outside_m", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=20), server_default="inspection", nullable=False),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("found_by", sa.String(length=100), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("responsible", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("rebound_of", sa.UUID(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_has_date"),
        sa.CheckConstraint(
            "source IN ('inspection', 'recheck', 'observation', 'third_party', 'village_self', 'report')",
            name="source_known",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'submitted', 'closed', 'unrectified', 'inadequate')",
            name="status_known",
        ),
        sa.CheckConstraint("closed_on IS NULL OR closed_on >= found_on", name="closed_after_found"),
        sa.CheckConstraint("deadline IS NULL OR deadline >= found_on", name="deadline_after_found"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["category.code"],
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rebound_of"],
            ["issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["inspection_round.id"],
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["village.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        postgresql_with={"fillfactor": 70},
    )
    op.create_geospatial_index(
        "idx_issue_geom",
        "issue",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("issue_found_on", "issue", ["found_on"], unique=False)
    op.create_index("issue_village_status", "issue", ["village_id", "status"], unique=False)
    op.create_table(
        "issue_event",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("issue_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('created', 'submitted', 'closed', 'unrectified', 'inadequate', 'reopened', 'reassigned', 'edited', 'rebound_linked')",
            name="kind_known",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["inspection_round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("issue_event_issue", "issue_event", ["issue_id", "at"], unique=False)
    op.create_geospatial_table(
        "photo",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("issue_id", sa.UUID(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("mime", sa.String(length=40), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("uploaded_by", sa.String(length=100), nullable=True),
        sa.Column(
            "uploaded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("kind IN ('before', 'after', 'other')", name="kind_known"),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["issue_event.id"],
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_index(
        "idx_photo_geom",
        "photo",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index(op.f("ix_photo_issue_id"), "photo", ["issue_id"], unique=False)
    category = sa.table(
        "category",
        *(
            sa.column(c)
            for c in (
                "code",
                "label_zh",
                "label_en",
                "scope",
                "clause",
                "color",
                "icon",
                "sort_order",
            )
        ),
    )
    op.bulk_insert(category, category_rows())


def downgrade() -> None:
    op.drop_index(op.f("ix_photo_issue_id"), table_name="photo")
    op.drop_geospatial_index(
        "idx_photo_geom", table_name="photo", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("photo")
    op.drop_index("issue_event_issue", table_name="issue_event")
    op.drop_table("issue_event")
    op.drop_index("issue_village_status", table_name="issue")
    op.drop_index("issue_found_on", table_name="issue")
    op.drop_geospatial_index(
        "idx_issue_geom", table_name="issue", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("issue")
    op.drop_geospatial_index(
        "idx_entrance_geom", table_name="entrance", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("entrance")
    op.drop_table("third_party_evaluation")
    op.drop_table("round_village")
    op.drop_geospatial_index(
        "idx_road_geom", table_name="road", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("road")
    op.drop_table("observation_score")
    op.drop_table("honor")
    op.drop_geospatial_index(
        "idx_grid_geom", table_name="grid", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("grid")
    op.drop_geospatial_index(
        "idx_village_geom", table_name="village", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("village")
    op.drop_geospatial_index(
        "idx_waterbody_geom", table_name="waterbody", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("waterbody")
    op.drop_table("inspection_round")
    op.drop_table("community")
    op.drop_table("category")
