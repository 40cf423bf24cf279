"""The service on the sample town, on a loopback port, for OGC API clients (OWSLib, QGIS).

One database and one server per module: the tests here only read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from service.app import create_app
from service.settings import ServiceSettings
from tests.postgis import PostgisServer
from tests.server import serving


@dataclass(frozen=True)
class LiveTown:
    """The running service: its base URL, database URL and one token per user."""

    base: str
    db_url: str
    village: str
    """A village of the sample town with many issues."""
    other_village: str
    tokens: dict[str, str]

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}


@pytest.fixture(scope="module")
def live_town(
    pg_server: PostgisServer, sample_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveTown]:
    from geo.users import create_user

    name = pg_server.create(template=sample_template)
    url = pg_server.url_of(name)
    engine = create_engine(url)
    with engine.begin() as conn:
        busiest = conn.execute(
            text(
                "SELECT v.code FROM issue i JOIN village v ON v.id = i.village_id"
                " GROUP BY v.code ORDER BY count(*) DESC, v.code LIMIT 2"
            )
        ).scalars()
        village, other = list(busiest)
        tokens = {}
        for user, role, code in (
            ("office", "admin", None),
            ("vill", "village", village),
        ):
            _, tokens[user] = create_user(conn, name=user, role=role, village_code=code)
    engine.dispose()
    data_dir: Path = tmp_path_factory.mktemp("ogc")
    app = create_app(ServiceSettings(database_url=url, data_dir=data_dir, anonymous_read=False))
    with serving(app, start_within_s=30) as base:
        yield LiveTown(base, url, village, other, tokens)
    pg_server.drop(name)
