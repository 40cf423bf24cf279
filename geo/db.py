"""Engines: the URL given (DATABASE_URL via the settings), else the local cluster."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine

from geo.cluster import LocalCluster


def database_url(url: str | None, *, pgdata: Path) -> str:
    """The SQLAlchemy URL to use: `url` (psycopg driver added), else the local cluster's."""
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return LocalCluster(pgdata).url()


CONNECT_TIMEOUT_S = 5
"""How long a new connection may take before the database counts as unavailable."""


POOL_SIZE = 5
"""SQLAlchemy's default: connections a pool keeps open (the service sets its own)."""
MAX_OVERFLOW = 10
"""Connections opened beyond the pool at busy times, closed again when returned."""


def make_engine(
    url: str, *, pool_size: int = POOL_SIZE, max_overflow: int = MAX_OVERFLOW
) -> Engine:
    """A pooled engine for a PostGIS database.

    Connections are checked before use (pre-ping), so after a database restart the pool
    replaces its dead connections by itself; a connection attempt gives up after
    CONNECT_TIMEOUT_S seconds instead of hanging the request. A connection beyond
    `pool_size` is closed when returned: under a steady load above the pool that is a new
    PostgreSQL backend (fork, PostGIS and catalogue caches) every few requests.
    """
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )
