"""Schema migrations (Alembic) run from code: `cunrong db upgrade` and the test fixtures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

MIGRATIONS = Path(__file__).parent / "migrations"


class PostgisMissing(RuntimeError):
    """No PostGIS, and we may not (or cannot) add it; the message says what to run."""


def alembic_config(
    url: str | None = None,
    connection: Connection | None = None,
    town: dict[str, Any] | None = None,
) -> Config:
    """An Alembic config pointing at geo/migrations (no alembic.ini needed); `town` is the
    first town migration 0012 creates (code, name, district_code, district_name,
    metric_srid; default 大张庄镇 120113108)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if town:
        cfg.attributes["town"] = town
    if url:
        cfg.attributes["url"] = url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def ensure_postgis(url: str) -> bool:
    """Create the `postgis` extension when it is missing and we may; True when we created it.

    Raises PostgisMissing with one line saying what to run when the server lacks PostGIS or
    the user may not create extensions (PostGIS is not a trusted extension).
    """
    parsed = make_url(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first():
                return False
            available = conn.execute(
                text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
            ).first()
            if not available:
                raise PostgisMissing(
                    f"the PostgreSQL server of {parsed.database!r} has no PostGIS installed:"
                    " install it there (e.g. apt install postgresql-postgis), then run"
                    " `cunrong db upgrade` again"
                )
            try:
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
                conn.commit()
            except DBAPIError as exc:
                reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
                raise PostgisMissing(
                    f"database {parsed.database!r} has no PostGIS and user"
                    f" {parsed.username or '(current)'!r} may not add it ({reason}): run"
                    f' `psql -d {parsed.database} -c "CREATE EXTENSION postgis"` as a superuser,'
                    " then `cunrong db upgrade` again"
                ) from None
    finally:
        engine.dispose()
    return True


def upgrade(url: str, revision: str = "head", *, town: dict[str, Any] | None = None) -> None:
    """Bring the database schema to `revision` (adding PostGIS first when it may); `town`
    as in `alembic_config`."""
    ensure_postgis(url)
    command.upgrade(alembic_config(url, town=town), revision)
