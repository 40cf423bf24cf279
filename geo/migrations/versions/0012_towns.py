"""towns: a `town` owns its villages, communities, grids, roads, rounds and issues

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 07:50:00

One deployment serves several towns (镇, 行政区划代码 of 9 digits such as 120113108, or 12).
The migration creates the first town — from the Alembic attribute `town` (the CLI passes
the settings CUNRONG_TOWN_CODE, CUNRONG_TOWN_NAME, CUNRONG_DISTRICT_CODE,
CUNRONG_DISTRICT_NAME, CUNRONG_METRIC_SRID), by default 大张庄镇 120113108 of 北辰区 — and
moves every existing row into it: nothing is lost, every row keeps its id.

A town carries its own rules (the TOML text of its rules file, whose `[loop] deadline` is
its deadline rule; NULL: the settings' rules file) and its metric CRS.

`town_id` is NOT NULL on community, village, grid, road, entrance, waterbody,
inspection_round, third_party_batch, ranking_publication and issue (denormalized there:
indexed, the future distribution column). A row written without it gets it from its parent
(grid, road, entrance, issue: the village; village: the community), else from the
transaction's `cunrong.town` setting (`geo.towns.use_town`), else the only town; with
several towns and no way to tell, the insert fails naming them. Composite foreign keys
(village_id, town_id) → village (id, town_id) keep a child in its village's town.

Per town, not global: community codes, rounds (month, team), third-party batches
(year, name), ranking publications (month). Village codes stay globally unique (they are
national 行政区划代码, and issue codes start with them).

Users belong to a town (`town_id`) or read every town of a district (`district_code`,
role leader only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op
from geoalchemy2 import Geometry

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_TOWN = {
    "code": "120113108",
    "name": "大张庄镇",
    "district_code": "120113",
    "district_name": "北辰区",
    "metric_srid": 4527,
}

OWNED = (
    "community",
    "village",
    "grid",
    "road",
    "entrance",
    "waterbody",
    "inspection_round",
    "third_party_batch",
    "ranking_publication",
    "issue",
)
"""Tables with a town_id."""

FROM_VILLAGE = ("grid", "road", "entrance", "issue")
"""Tables whose town follows their village (composite foreign key)."""

FUNCTIONS = """
CREATE OR REPLACE FUNCTION cunrong_default_town() RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
  given text := current_setting('cunrong.town', true);
  only_id integer;
  towns text;
BEGIN
  IF given IS NOT NULL AND given <> '' THEN
    RETURN given::integer;
  END IF;
  SELECT CASE WHEN count(*) = 1 THEN min(id) END,
         string_agg(code || ' ' || name, ', ' ORDER BY code)
    INTO only_id, towns FROM town;
  IF only_id IS NULL THEN
    RAISE EXCEPTION 'town_id is required: % (give the town, e.g. --town CODE)',
      coalesce('several towns exist: ' || towns, 'no town exists yet (cunrong town add)')
      USING ERRCODE = 'not_null_violation';
  END IF;
  RETURN only_id;
END $$;

CREATE OR REPLACE FUNCTION cunrong_town_from_village() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.village_id IS NOT NULL THEN
    SELECT town_id INTO NEW.town_id FROM village WHERE id = NEW.village_id;
  END IF;
  IF NEW.town_id IS NULL THEN
    NEW.town_id := cunrong_default_town();
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION cunrong_town_from_community() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.community_id IS NOT NULL THEN
    SELECT town_id INTO NEW.town_id FROM community WHERE id = NEW.community_id;
  END IF;
  IF NEW.town_id IS NULL THEN
    NEW.town_id := cunrong_default_town();
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION cunrong_town_default() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.town_id := cunrong_default_town();
  RETURN NEW;
END $$;
"""


def _trigger_function(table: str) -> str:
    if table in FROM_VILLAGE:
        return "cunrong_town_from_village"
    if table == "village":
        return "cunrong_town_from_community"
    return "cunrong_town_default"


def upgrade() -> None:
    first = {**FIRST_TOWN, **(context.config.attributes.get("town") or {})}
    op.create_table(
        "town",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(12), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=False),
        sa.Column("district_name", sa.String(100), nullable=False),
        sa.Column("boundary", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)),
        sa.Column("rules", sa.Text(), nullable=True),
        sa.Column("metric_srid", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("code ~ '^[0-9]{9}([0-9]{3})?$'", name="town_code_digits"),
        sa.CheckConstraint("district_code ~ '^[0-9]{6}$'", name="town_district_digits"),
        sa.CheckConstraint("left(code, 6) = district_code", name="town_in_district"),
    )
    op.create_index("town_district", "town", ["district_code"])
    op.execute("CREATE INDEX town_boundary ON town USING gist (boundary)")
    op.get_bind().execute(
        sa.text(
            "INSERT INTO town (code, name, district_code, district_name, metric_srid)"
            " VALUES (:code, :name, :district_code, :district_name, :metric_srid)"
        ),
        {k: first[k] for k in FIRST_TOWN},
    )
    op.execute(FUNCTIONS)
    for table in OWNED:
        op.add_column(table, sa.Column("town_id", sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET town_id = (SELECT min(id) FROM town)")
        op.alter_column(table, "town_id", nullable=False)
        op.create_foreign_key(f"{table}_town_fk", table, "town", ["town_id"], ["id"])
        op.execute(
            f"CREATE TRIGGER {table}_town BEFORE INSERT ON {table} FOR EACH ROW"
            f" WHEN (NEW.town_id IS NULL) EXECUTE FUNCTION {_trigger_function(table)}()"
        )
    op.create_unique_constraint("village_id_town", "village", ["id", "town_id"])
    op.create_unique_constraint("community_id_town", "community", ["id", "town_id"])
    for table in FROM_VILLAGE:
        op.create_foreign_key(
            f"{table}_village_town",
            table,
            "village",
            ["village_id", "town_id"],
            ["id", "town_id"],
        )
    op.create_foreign_key(
        "village_community_town",
        "village",
        "community",
        ["community_id", "town_id"],
        ["id", "town_id"],
    )
    for table in ("village", "community", "grid", "road", "inspection_round"):
        op.create_index(f"{table}_town", table, ["town_id"])
    op.create_index("issue_town", "issue", ["town_id", "found_on"])
    # codes unique per town
    op.drop_constraint("community_code_key", "community", type_="unique")
    op.create_unique_constraint("community_town_code", "community", ["town_id", "code"])
    op.drop_constraint("round_month_team", "inspection_round", type_="unique")
    op.create_unique_constraint(
        "round_month_team", "inspection_round", ["town_id", "month", "team"]
    )
    op.drop_constraint("third_party_batch_year_name", "third_party_batch", type_="unique")
    op.create_unique_constraint(
        "third_party_batch_year_name", "third_party_batch", ["town_id", "year", "name"]
    )
    op.drop_constraint("ranking_publication_pkey", "ranking_publication", type_="primary")
    op.create_primary_key("ranking_publication_pkey", "ranking_publication", ["town_id", "month"])
    # users: a town's, or a district's readers
    op.add_column("app_user", sa.Column("town_id", sa.Integer(), sa.ForeignKey("town.id")))
    op.add_column("app_user", sa.Column("district_code", sa.String(6)))
    op.execute("UPDATE app_user SET town_id = (SELECT min(id) FROM town)")
    op.create_check_constraint(
        "user_town_or_district", "app_user", "(town_id IS NULL) <> (district_code IS NULL)"
    )
    op.create_check_constraint(
        "user_district_reads", "app_user", "district_code IS NULL OR role = 'leader'"
    )
    op.execute(
        "CREATE TRIGGER app_user_town BEFORE INSERT ON app_user FOR EACH ROW"
        " WHEN (NEW.town_id IS NULL AND NEW.district_code IS NULL)"
        " EXECUTE FUNCTION cunrong_town_default()"
    )


def downgrade() -> None:
    towns = op.get_bind().execute(sa.text("SELECT count(*) FROM town")).scalar_one()
    if towns > 1:
        raise RuntimeError(
            f"cannot downgrade below 0012: the database holds {towns} towns"
            " (only a single-town database fits the older schema)"
        )
    op.execute("DROP TRIGGER app_user_town ON app_user")
    op.drop_constraint("user_district_reads", "app_user", type_="check")
    op.drop_constraint("user_town_or_district", "app_user", type_="check")
    op.execute("DELETE FROM app_user WHERE district_code IS NOT NULL")
    op.drop_column("app_user", "district_code")
    op.drop_column("app_user", "town_id")
    op.drop_constraint("ranking_publication_pkey", "ranking_publication", type_="primary")
    op.create_primary_key("ranking_publication_pkey", "ranking_publication", ["month"])
    op.drop_constraint("third_party_batch_year_name", "third_party_batch", type_="unique")
    op.create_unique_constraint(
        "third_party_batch_year_name", "third_party_batch", ["year", "name"]
    )
    op.drop_constraint("round_month_team", "inspection_round", type_="unique")
    op.create_unique_constraint("round_month_team", "inspection_round", ["month", "team"])
    op.drop_constraint("community_town_code", "community", type_="unique")
    op.create_unique_constraint("community_code_key", "community", ["code"])
    op.drop_constraint("village_community_town", "village", type_="foreignkey")
    for table in FROM_VILLAGE:
        op.drop_constraint(f"{table}_village_town", table, type_="foreignkey")
    op.drop_constraint("community_id_town", "community", type_="unique")
    op.drop_constraint("village_id_town", "village", type_="unique")
    for table in OWNED:
        op.execute(f"DROP TRIGGER {table}_town ON {table}")
        op.drop_column(table, "town_id")  # drops its index and foreign key
    op.execute(
        "DROP FUNCTION cunrong_town_default(); DROP FUNCTION cunrong_town_from_community();"
        " DROP FUNCTION cunrong_town_from_village(); DROP FUNCTION cunrong_default_town()"
    )
    op.drop_table("town")
