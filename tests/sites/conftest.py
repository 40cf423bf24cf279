"""The hand-built village in a database of the test's own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from tests.sites.village import build_village


@pytest.fixture
def village_engine(fresh_url: str) -> Iterator[Engine]:
    """An engine on a fresh database holding the hand-built village W01."""
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        build_village(conn)
    yield engine
    engine.dispose()
