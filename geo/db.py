"""Engines and sessions: DATABASE_URL when set, else the local cluster."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from geo.cluster import LocalCluster
from geo.settings import GeoSettings, get_settings


def database_url(settings: GeoSettings | None = None) -> str:
    """The database to use: DATABASE_URL, or the local cluster's main database."""
    settings = settings or get_settings()
    if settings.database_url:
        url = settings.database_url
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return LocalCluster(settings.pgdata).url()


def make_engine(url: str | None = None) -> Engine:
    """A pooled engine for a PostGIS database."""
    return create_engine(url or database_url(), pool_pre_ping=True, future=True)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        yield session
