"""Throwaway PostGIS databases for tests and benchmarks (never used by the service)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from geo.cluster import LocalCluster
from geo.migrate import upgrade


@dataclass
class PostgisServer:
    """A PostgreSQL server on which we may create and drop databases."""

    url: str
    created: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, url: str | None, *, pgdata: Path) -> PostgisServer:
        """The server of `url` when given, else the local cluster in `pgdata` (started)."""
        if url:
            from geo.db import database_url

            return cls(database_url(url, pgdata=pgdata))
        cluster = LocalCluster(pgdata)
        cluster.start()
        return cls(cluster.url())

    def url_of(self, dbname: str) -> str:
        """The SQLAlchemy URL of another database on this server."""
        return make_url(self.url).set(database=dbname).render_as_string(hide_password=False)

    def _admin(self) -> psycopg.Connection:
        url = make_url(self.url).set(database="postgres", drivername="postgresql")
        return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)

    def create(self, *, template: str | None = None, prefix: str = "cunrong_test") -> str:
        """Create a database (a copy of `template` if given) and return its name."""
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        with self._admin() as conn:
            conn.execute(stmt)
        self.created.append(name)
        if not template:
            with psycopg.connect(
                make_url(self.url_of(name))
                .set(drivername="postgresql")
                .render_as_string(hide_password=False),
                autocommit=True,
            ) as conn:
                conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        return name

    def create_migrated(self, *, then: Callable[[str], None] | None = None) -> str:
        """A new database at the latest schema, optionally filled by `then(url)`."""
        name = self.create()
        upgrade(self.url_of(name))
        if then is not None:
            then(self.url_of(name))
        return name

    def drop(self, name: str) -> None:
        """Drop a database, ending its sessions first."""
        with self._admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        """Drop every database this object created."""
        for name in list(reversed(self.created)):
            self.drop(name)
