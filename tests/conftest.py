"""Fixtures: a real PostGIS (never mocked, never skipped), one throwaway database per need.

- `engine` / `session`: a migrated database shared by the session; each test runs inside a
  transaction that is rolled back at the end.
- `fresh_url`: a new database copied from the migrated template, for code that commits
  (CLI commands, importers, the service); dropped after the test.
- `sample_url`: a new copy of a database holding the sample town.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from service.settings import ServiceSettings
from tests.browser import Browser
from tests.postgis import PostgisServer


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgisServer]:
    """The PostgreSQL server of this test run; failing here fails the run loudly."""
    try:
        settings = ServiceSettings()
        server = PostgisServer.start(settings.database_url, pgdata=settings.pgdata)
    except Exception as exc:
        pytest.exit(f"PostGIS is required for the tests and is not available: {exc}", returncode=3)
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def migrated_template(pg_server: PostgisServer) -> str:
    """An empty database at the latest schema, used only as a template."""
    return pg_server.create_migrated()


@pytest.fixture(scope="session")
def sample_template(pg_server: PostgisServer) -> str:
    """A database holding the committed sample town, used only as a template."""
    from geo.sample.load import load_sample_town

    return pg_server.create_migrated(then=load_sample_town)


@pytest.fixture(scope="session")
def engine(pg_server: PostgisServer, migrated_template: str) -> Iterator[Engine]:
    """An engine on a migrated database shared by the tests of this run."""
    name = pg_server.create(template=migrated_template)
    eng = create_engine(pg_server.url_of(name))
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    with engine.connect() as conn:
        trans = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield sess
        finally:
            sess.close()
            trans.rollback()


@pytest.fixture
def fresh_url(pg_server: PostgisServer, migrated_template: str) -> Iterator[str]:
    """The URL of a new, empty, migrated database of this test's own."""
    name = pg_server.create(template=migrated_template)
    yield pg_server.url_of(name)
    pg_server.drop(name)


@pytest.fixture
def sample_url(pg_server: PostgisServer, sample_template: str) -> Iterator[str]:
    """The URL of a new database of this test's own holding the sample town."""
    name = pg_server.create(template=sample_template)
    yield pg_server.url_of(name)
    pg_server.drop(name)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole run (Playwright's sync API allows one per thread)."""
    with Browser() as b:
        yield b
