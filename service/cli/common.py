"""What the map and sites commands share: languages, basemaps, one way to fail and to run."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING, NoReturn

import typer

from geo.errors import CunrongError
from service.settings import ServiceSettings

if TYPE_CHECKING:
    from sqlalchemy import Connection


class Lang(StrEnum):
    """Language of the labels."""

    zh = "zh"
    en = "en"


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def load_settings() -> ServiceSettings:
    """The settings from the environment, or one line on stderr and exit 1 when invalid."""
    from pydantic import ValidationError

    try:
        return ServiceSettings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'settings'}: "
            f"{str(e['msg']).removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        fail(f"invalid settings ({problems})")


def settings_of(ctx: typer.Context) -> ServiceSettings:
    """The settings the root callback built (typer's ctx.obj); built here for a lone sub-app."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = load_settings()
    if ctx.obj is None:
        ctx.obj = root.obj
    settings: ServiceSettings = ctx.obj
    return settings


def run_job(
    settings: ServiceSettings, job: Callable[[Connection], None], *, write: bool = False
) -> None:
    """Run a job on the database: domain, file and database errors become one line and exit 1."""
    from geo.db import make_engine

    engine = None
    try:
        engine = make_engine(settings.engine_url())
        with engine.begin() if write else engine.connect() as conn:
            job(conn)
    except CunrongError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write {exc.filename or ''} ({exc.strerror or exc})")
    except Exception as exc:
        if exc.__class__.__module__.startswith(("sqlalchemy", "psycopg")):
            cause = getattr(exc, "orig", None)
            if type(cause).__name__ in ("UndefinedColumn", "UndefinedTable"):
                fail(
                    "the database's schema is older than this version of cunrong"
                    f" ({str(cause).splitlines()[0]}): run `cunrong db upgrade`"
                )
            fail(f"cannot use the database ({exc.__class__.__name__}: {exc})")
        raise
    finally:
        if engine is not None:
            engine.dispose()
