"""Migration 0012 (towns, issue 13.1): a single-town database at 0011 moves into one town
without loss; afterwards codes are unique per town, and a row's town follows its village."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import IntegrityError

from geo.migrate import upgrade
from geo.towns import add_town, use_town
from tests.postgis import PostgisServer

SQUARE = "MULTIPOLYGON((({w} 39.28,{e} 39.28,{e} 39.29,{w} 39.29,{w} 39.28)))"

TABLES = (
    "community",
    "village",
    "grid",
    "road",
    "entrance",
    "waterbody",
    "inspection_round",
    "round_village",
    "issue",
    "issue_event",
    "observation_score",
    "third_party_batch",
    "ranking_publication",
    "app_user",
)


def _fill_at_0011(engine: Engine) -> None:
    """One town's worth of rows written with the 0011 schema (plain SQL: no town)."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO community (code, name) VALUES ('C1', '一号共同体')"))
        for code, west in (("W01", 117.19), ("E01", 117.20)):
            conn.execute(
                text(
                    "INSERT INTO village (code, name, community_id, households, geom) VALUES"
                    " (:c, :c, (SELECT id FROM community), 100, ST_GeomFromText(:g, 4326))"
                ),
                {"c": code, "g": SQUARE.format(w=west, e=round(west + 0.01, 2))},
            )
        conn.execute(
            text(
                "INSERT INTO grid (code, village_id, name) SELECT 'W01-G1', id, '一网格'"
                " FROM village WHERE code = 'W01'"
            )
        )
        conn.execute(
            text(
                "INSERT INTO road (code, kind, village_id, geom) SELECT 'R1', 'main', id,"
                " ST_GeomFromText('MULTILINESTRING((117.191 39.281,117.199 39.289))', 4326)"
                " FROM village WHERE code = 'W01'"
            )
        )
        conn.execute(
            text(
                "INSERT INTO entrance (village_id, geom) SELECT id,"
                " ST_SetSRID(ST_MakePoint(117.191, 39.281), 4326) FROM village WHERE code = 'W01'"
            )
        )
        conn.execute(
            text(
                "INSERT INTO waterbody (kind, geom) VALUES"
                " ('pond', ST_Buffer(ST_SetSRID(ST_MakePoint(117.195, 39.285), 4326), 0.0005))"
            )
        )
        conn.execute(
            text("INSERT INTO inspection_round (month, team) VALUES ('2024-05-01', '一组')")
        )
        conn.execute(
            text(
                "INSERT INTO round_village (round_id, village_id)"
                " SELECT r.id, v.id FROM inspection_round r, village v"
            )
        )
        for n, village in enumerate(("W01", "W01", "E01"), start=1):
            conn.execute(
                text(
                    "WITH i AS (INSERT INTO issue (code, category_code, geom, village_id,"
                    " found_on) SELECT :code, 'clutter', ST_PointOnSurface(v.geom), v.id,"
                    " '2024-05-06' FROM village v WHERE v.code = :v RETURNING id)"
                    " INSERT INTO issue_event (issue_id, kind, to_status) SELECT id, 'created',"
                    " 'open' FROM i"
                ),
                {"code": f"{village}-202405-{n:04d}", "v": village},
            )
        conn.execute(
            text(
                "INSERT INTO observation_score (month, village_id, group_name, score)"
                " SELECT '2024-05-01', id, '一组', 80 FROM village"
            )
        )
        conn.execute(
            text(
                "INSERT INTO third_party_batch (year, name, evaluated_on)"
                " VALUES (2024, '市测评', '2024-10-01')"
            )
        )
        conn.execute(
            text("INSERT INTO ranking_publication (month, published_by) VALUES ('2024-05-01', 'a')")
        )
        conn.execute(
            text("INSERT INTO app_user (name, role, token_hash) VALUES ('office', 'admin', 'x')")
        )


@pytest.fixture
def at_0011(pg_server: PostgisServer) -> Iterator[tuple[str, Engine]]:
    """A database at revision 0011 holding one town's rows."""
    name = pg_server.create()
    url = pg_server.url_of(name)
    upgrade(url, "0011")
    engine = create_engine(url)
    _fill_at_0011(engine)
    yield url, engine
    engine.dispose()
    pg_server.drop(name)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def test_a_single_town_database_moves_into_one_town_without_loss(at_0011):
    url, engine = at_0011
    before = _counts(engine)
    with engine.connect() as conn:
        issues_before = conn.execute(
            text("SELECT id, code, village_id FROM issue ORDER BY code")
        ).all()
    upgrade(
        url,
        town={
            "code": "120113108",
            "name": "大张庄镇",
            "district_code": "120113",
            "district_name": "北辰区",
            "metric_srid": 4527,
        },
    )
    assert _counts(engine) == before
    with engine.connect() as conn:
        town = conn.execute(text("SELECT id, code, name, district_code FROM town")).one()
        assert tuple(town)[1:] == ("120113108", "大张庄镇", "120113")
        for table in (
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
            "app_user",
        ):
            towns = conn.execute(text(f"SELECT DISTINCT town_id FROM {table}")).scalars().all()
            assert towns == [town.id], table
        issues_after = conn.execute(
            text("SELECT id, code, village_id FROM issue ORDER BY code")
        ).all()
        assert issues_after == issues_before


def test_a_town_given_in_the_settings_is_the_one_created(at_0011):
    url, engine = at_0011
    upgrade(
        url,
        town={
            "code": "120113107",
            "name": "双口镇",
            "district_code": "120113",
            "district_name": "北辰区",
            "metric_srid": 4527,
        },
    )
    with engine.connect() as conn:
        assert conn.execute(text("SELECT code, name FROM town")).one() == ("120113107", "双口镇")


def test_after_the_migration_codes_are_per_town_and_rows_follow_their_village(at_0011):
    url, engine = at_0011
    upgrade(url)
    with engine.begin() as conn:
        second = add_town(conn, code="120113901", name="二号镇", district_name="北辰区")
    with engine.begin() as conn:
        # several towns: a row without a town and without a village to take it from is refused
        with pytest.raises(IntegrityError, match="several towns"), conn.begin_nested():
            conn.execute(
                text("INSERT INTO inspection_round (month, team) VALUES ('2024-06-01', '一组')")
            )
        use_town(conn, second.id)
        # the same round, community code and batch name as the first town's: allowed here
        conn.execute(
            text("INSERT INTO inspection_round (month, team) VALUES ('2024-05-01', '一组')")
        )
        conn.execute(text("INSERT INTO community (code, name) VALUES ('C1', '一号共同体')"))
        conn.execute(
            text(
                "INSERT INTO third_party_batch (year, name, evaluated_on)"
                " VALUES (2024, '市测评', '2024-10-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO village (code, name, geom) VALUES ('B01', '北村',"
                " ST_GeomFromText(:g, 4326))"
            ),
            {"g": SQUARE.format(w=117.5, e=117.51)},
        )
        # an issue placed in B01 belongs to B01's town, whatever the transaction says
        use_town(conn, 1)
        conn.execute(
            text(
                "INSERT INTO issue (code, category_code, geom, village_id, found_on)"
                " SELECT 'B01-202405-0001', 'clutter', ST_PointOnSurface(geom), id, '2024-05-06'"
                " FROM village WHERE code = 'B01'"
            )
        )
        town_of_issue = conn.execute(
            text("SELECT town_id FROM issue WHERE code = 'B01-202405-0001'")
        ).scalar_one()
        assert town_of_issue == second.id
        # an issue cannot move into a village of another town
        with pytest.raises(IntegrityError), conn.begin_nested():
            conn.execute(
                text(
                    "UPDATE issue SET village_id = (SELECT id FROM village WHERE code = 'W01')"
                    " WHERE code = 'B01-202405-0001'"
                )
            )


def test_downgrade_keeps_a_single_town_database_and_refuses_several(at_0011, pg_server):
    url, engine = at_0011
    upgrade(url)
    before = _counts(engine)
    from alembic import command

    from geo.migrate import alembic_config

    command.downgrade(alembic_config(url), "0011")
    with engine.connect() as conn:
        counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
    assert counts == before
    upgrade(url)
    with engine.begin() as conn:
        add_town(conn, code="120113901", name="二号镇", district_name="北辰区")
    with pytest.raises(RuntimeError, match="2 towns"):
        command.downgrade(alembic_config(url), "0011")
