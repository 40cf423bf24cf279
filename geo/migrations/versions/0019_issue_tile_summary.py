"""issue_tile_summary: issues counted per fine Web-Mercator cell, for low-zoom tiles

Revision ID: 0019
Revises: 0014
Create Date: 2026-11-30 09:10:00

A MATERIALIZED VIEW of issue counts per z17 cell (the slippy-map tile x/y at zoom 17, so a
coarser cell is an integer shift `x >> k`) and per the dimensions the issue filter uses
(town_id, village_id, category_code, status, source, found month), with the number of
issues overdue on the day of the refresh. Three groupings (GROUPING SETS): z17 cells by
town and status only (`grain` 15: a few rows per cell, enough for the unfiltered map
every user opens first); z17 cells by every dimension (`grain` 0); and z14 cells (`zoom`
14, `x >> 3`) by every dimension, far fewer rows, for filtered tiles at zoom ≤ 11. A
unique index lets it be refreshed
CONCURRENTLY (readers are never blocked). `tile_summary_state` holds when it was last
refreshed; NULL (as created here) means never: tiles are read live until the first
refresh (`cunrong tiles refresh`), see docs/tiles.md.
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0014"
branch_labels = None
depends_on = None

SUMMARY_ZOOM = 17
MID_ZOOM = 14


def upgrade() -> None:
    n = 2**SUMMARY_ZOOM
    op.execute(
        f"""
        CREATE MATERIALIZED VIEW issue_tile_summary AS
        SELECT CASE WHEN GROUPING(cx) = 1 THEN {MID_ZOOM} ELSE {SUMMARY_ZOOM} END AS zoom,
               GROUPING(village_id, category_code, source, month) AS grain,
               COALESCE(cx, cx_mid) AS cx, COALESCE(cy, cy_mid) AS cy,
               town_id, village_id, category_code, status, source, month,
               count(*)::bigint AS n,
               count(*) FILTER (WHERE is_overdue)::bigint AS overdue
        FROM (
            SELECT cx, cy, cx >> {SUMMARY_ZOOM - MID_ZOOM} AS cx_mid,
                   cy >> {SUMMARY_ZOOM - MID_ZOOM} AS cy_mid,
                   town_id, village_id, category_code, status, source, month, is_overdue
            FROM (
                SELECT floor((ST_X(geom) + 180) / 360 * {n})::int AS cx,
                       floor((1 - asinh(tan(radians(ST_Y(geom)))) / pi()) / 2 * {n})::int AS cy,
                       town_id, village_id, category_code, status, source,
                       date_trunc('month', found_on)::date AS month,
                       (status IN ('open', 'unrectified', 'inadequate')
                        AND deadline < current_date) AS is_overdue
                FROM issue
                OFFSET 0
            ) p0
        ) p
        GROUP BY GROUPING SETS (
            (cx, cy, town_id, status),
            (cx, cy, town_id, village_id, category_code, status, source, month),
            (cx_mid, cy_mid, town_id, village_id, category_code, status, source, month)
        )
        WITH NO DATA
        """
    )
    op.execute(
        "CREATE UNIQUE INDEX issue_tile_summary_key ON issue_tile_summary"
        " (zoom, grain, cx, cy, town_id, village_id, category_code, status, source, month)"
        " NULLS NOT DISTINCT"
    )
    op.execute(
        "CREATE TABLE tile_summary_state ("
        " id integer PRIMARY KEY DEFAULT 1"
        " CONSTRAINT tile_summary_state_one_row CHECK (id = 1),"
        " refreshed_at timestamptz)"
    )
    op.execute("INSERT INTO tile_summary_state (id, refreshed_at) VALUES (1, NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE tile_summary_state")
    op.execute("DROP MATERIALIZED VIEW issue_tile_summary")
