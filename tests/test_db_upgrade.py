"""`cunrong db upgrade` on an empty database (issue 10.10): PostGIS is added when we may, else
one line says what to run."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from geo.migrate import upgrade
from service.cli import app
from tests.cli import runner_for
from tests.postgis import PostgisServer


@pytest.fixture
def bare_database(pg_server: PostgisServer) -> Iterator[str]:
    """A new database without the postgis extension; its name."""
    name = f"cunrong_bare_{uuid.uuid4().hex[:8]}"
    with pg_server._admin() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    pg_server.created.append(name)
    yield name
    pg_server.drop(name)


def _upgrade(url: str) -> Any:
    return runner_for(url).invoke(app, ["db", "upgrade"])


def test_upgrade_adds_postgis_to_an_empty_database(pg_server, bare_database):
    url = pg_server.url_of(bare_database)
    result = _upgrade(url)
    assert result.exit_code == 0, result.output
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        ).scalar_one()
        assert conn.execute(text("SELECT count(*) FROM category_synonym")).scalar_one() > 30
    engine.dispose()


def test_without_the_right_to_add_postgis_one_line_says_what_to_run(pg_server, bare_database):
    role = f"cunrong_plain_{uuid.uuid4().hex[:8]}"
    with pg_server._admin() as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER PASSWORD 'plain'").format(
                sql.Identifier(role)
            )
        )
        conn.execute(
            sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(bare_database), sql.Identifier(role)
            )
        )
    try:
        url = (
            make_url(pg_server.url_of(bare_database))
            .set(username=role, password="plain")
            .render_as_string(hide_password=False)
        )
        result = _upgrade(url)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1, result.output
        assert "Traceback" not in result.output and "geometry" not in result.output
        assert "CREATE EXTENSION postgis" in lines[0] and bare_database in lines[0]
        with psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        ) as conn:
            tables = conn.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()
        assert tables == (0,)
    finally:
        pg_server.drop(bare_database)
        with pg_server._admin() as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_a_database_behind_the_code_is_told_to_upgrade(pg_server, bare_database):
    url = pg_server.url_of(bare_database)
    upgrade(url, "0005")  # before sign-in added the users' password column
    result = runner_for(url).invoke(app, ["user", "list"])
    assert result.exit_code == 1
    assert "run `cunrong db upgrade`" in result.output, result.output
    assert "Traceback" not in result.output


def test_db_status_names_the_server_and_postgis_versions(pg_server, bare_database):
    """One readable line (it printed a Python list of two words of postgis_full_version())."""
    url = pg_server.url_of(bare_database)
    bare = runner_for(url).invoke(app, ["db", "status"])
    assert bare.exit_code == 0, bare.output
    assert "PostgreSQL " in bare.output and "no PostGIS yet" in bare.output
    assert _upgrade(url).exit_code == 0
    done = runner_for(url).invoke(app, ["db", "status"])
    assert done.exit_code == 0, done.output
    line = done.output.splitlines()[1]
    assert line.strip().startswith("PostgreSQL ") and ", PostGIS 3." in line
    assert "[" not in line and "'" not in line
