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


def make_engine(url: str) -> Engine:
    """A pooled engine for a PostGIS database.

    Connections are checked before use (pre-ping), so after a database restart the pool
    replaces its dead connections by itself; a connection attempt gives up after
    CONNECT_TIMEOUT_S seconds instead of hanging the request.
    """
    return create_engine(
        url, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S}
    )
