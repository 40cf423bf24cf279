"""Engines and sessions: DATABASE_URL when set, else the local cluster."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine

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
