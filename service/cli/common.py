"""What the map and sites commands share: languages, basemaps, one way to fail and to run."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from geo.errors import CunrongError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from geo.towns import Town
    from scoring.rules import Rules
    from service.settings import ServiceSettings


class Lang(StrEnum):
    """Language of the labels."""

    zh = "zh"
    en = "en"


_LEFT_TO_EXIT: list[object] | None = None
"""A batch run's large results, freed by the process's end (None: not a batch run)."""


def start_batch() -> None:
    """Make this process a batch run (`main`, for a lean command): see `leave_to_exit`."""
    global _LEFT_TO_EXIT
    _LEFT_TO_EXIT = []


def leave_to_exit(*objects: object) -> None:
    """Let the process's end free these objects, not reference counting object by object.

    A region's year-end result is a few million small objects (monthly standings, line
    items, the JSON payload's dicts); freeing them one by one costs a tenth of the run, for
    memory the operating system takes back at once when the process exits (the idea of
    compilers' "disable free"). Outside a batch run — the tests' CliRunner, the web
    service — this does nothing and they are freed as usual.
    """
    if _LEFT_TO_EXIT is not None:
        _LEFT_TO_EXIT.extend(objects)


def end_batch(code: object) -> NoReturn:
    """End a batch run with exit status `code` (what `sys.exit` was given): flush standard
    output and error, then leave without tearing down the interpreter's objects."""
    status = 0 if code is None else code if isinstance(code, int) else 1
    if not isinstance(code, int | None):
        print(code, file=sys.stderr)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: the status says so
        status = status or 1
    os._exit(status)


def fail(message: str) -> NoReturn:
    """One line on stderr and exit code 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def load_settings() -> ServiceSettings:
    """The settings from the environment, or one line on stderr and exit 1 when invalid."""
    from pydantic import ValidationError

    from service.settings import ServiceSettings

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
    """The settings the root callback built (typer's ctx.obj); built here on first use when
    it did not (a lone sub-app, or the lean `cunrong score` command line)."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = load_settings()
    if ctx.obj is None:
        ctx.obj = root.obj
    settings: ServiceSettings = ctx.obj
    return settings


TownOpt = Annotated[
    str | None,
    typer.Option(
        "--town",
        help="The town (行政区划代码 or name); default: the only town. Several towns: required.",
    ),
]


def cli_town(settings: ServiceSettings, code: str | None) -> Town:
    """The town a command means (`--town`, else the only one); one line and exit 1 when
    there are several and none was given, or the code is unknown."""
    from geo.towns import resolve_town

    found: list[Town] = []
    run_job(settings, lambda conn: found.append(resolve_town(conn, code)))
    return found[0]


TownsOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--town",
        help="A town (行政区划代码 or name); repeat for several. Default: every town.",
    ),
]
"""`--town` of the commands about a region (several towns): repeatable, every town without."""


def cli_towns(settings: ServiceSettings, codes: Sequence[str]) -> list[Town]:
    """The towns `codes` name (each as `--town` takes it); one line and exit 1 for an
    unknown one."""
    from geo.towns import town_by_code

    found: list[Town] = []
    run_job(settings, lambda conn: found.extend(town_by_code(conn, c) for c in codes))
    return found


def town_rules_text(
    town: Town,
    settings: ServiceSettings,
    *,
    year: int | None = None,
    conn: Connection | None = None,
) -> Rules:
    """The town's rules of `year` (None: those in force now), else the settings' rules
    file; read on `conn` when given, else on a connection of its own. Exit 1 when broken."""
    import tomllib

    from geo.towns import rules_text
    from scoring.errors import ScoringError
    from scoring.rules import load_rules, parse_rules

    text = town.rules
    if text is not None and year is not None:  # the town has rules: which are the year's
        if conn is not None:
            text = rules_text(conn, town.id, year)
        else:
            found: list[str | None] = []
            run_job(settings, lambda c: found.append(rules_text(c, town.id, year)))
            text = found[0]
    try:
        if text is None:
            return load_rules(settings.rules_file)
        return parse_rules(tomllib.loads(text), source=f"rules of {town.label}")
    except (ScoringError, tomllib.TOMLDecodeError) as exc:
        fail(str(exc))


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
