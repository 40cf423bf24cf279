"""`cunrong sample …`: generate the synthetic sample town 大张庄镇 and load it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from geo.errors import CunrongError
from service.cli.common import settings_of

app = typer.Typer(
    help="示例镇 sample town 大张庄镇 (synthetic data): generate the files, load them.",
    no_args_is_help=True,
)


@app.command()
def generate(
    ctx: typer.Context,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder to write (default: data/sample).")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Random seed.")] = None,
) -> None:
    """生成示例数据: write the sample town's CSV/GeoJSON files (same seed, same bytes)."""
    from geo.sample.generate import DEFAULT_SEED, generate_sample_town
    from geo.sample.load import sample_folder

    started = time.perf_counter()
    summary = generate_sample_town(
        out or sample_folder(settings_of(ctx).data_dir), seed=DEFAULT_SEED if seed is None else seed
    )
    typer.echo(
        f"wrote {summary.folder}: {summary.villages} villages, {summary.grids} grids, "
        f"{summary.issues} issues, {summary.events} events, {summary.scores} scores "
        f"({summary.bytes / 2**20:.1f} MiB, {time.perf_counter() - started:.1f} s)"
    )


@app.command()
def load(
    ctx: typer.Context,
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="Do nothing when the database already has villages."),
    ] = False,
    folder: Annotated[
        Path | None, typer.Option("--folder", help="Sample folder (default: data/sample).")
    ] = None,
) -> None:
    """载入示例数据: load the sample town into the configured database (one transaction)."""
    from geo.db import make_engine
    from geo.sample.load import load_sample_town, sample_folder, village_count

    settings = settings_of(ctx)
    url = settings.engine_url()
    if if_empty:
        engine = make_engine(url)
        try:
            with engine.connect() as conn:
                existing = village_count(conn)
        except SQLAlchemyError as exc:
            raise _database_error(exc) from exc
        finally:
            engine.dispose()
        if existing:
            typer.echo(f"the database already holds {existing} villages: sample not loaded")
            return
    started = time.perf_counter()
    try:
        loaded = load_sample_town(url, folder or sample_folder(settings.data_dir))
    except CunrongError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    except SQLAlchemyError as exc:
        raise _database_error(exc) from exc
    typer.echo(
        f"loaded the sample town 大张庄镇 (synthetic): {loaded.villages} villages, "
        f"{loaded.grids} grids, {loaded.issues} issues ({loaded.snapped} just outside, snapped), "
        f"{loaded.events} events in {time.perf_counter() - started:.1f} s"
    )


DEMO_USERS = (
    ("office", "admin", None, "office-demo"),
    ("inspector", "inspector", None, "inspector-demo"),
    ("DZZ07", "village", "DZZ07", "village-demo"),
    ("leader", "leader", None, "leader-demo"),
    ("planner", "planner", None, "planner-demo"),
)
"""示例用户 of the sample town: name, role, village, password (development only)."""


@app.command()
def users(ctx: typer.Context) -> None:
    """示例用户: create (or reset) the sample town's demo users and print their passwords.

    Refused outside CUNRONG_ENVIRONMENT=development: known passwords are for the demo only.
    """
    from sqlalchemy import text

    from geo.accounts import reactivate_user, set_password
    from geo.db import make_engine
    from geo.users import create_user

    settings = settings_of(ctx)
    if settings.environment != "development":
        typer.secho(
            "error: demo users have known passwords; they are made only when"
            " CUNRONG_ENVIRONMENT=development",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)
    engine = make_engine(settings.engine_url())
    try:
        with engine.begin() as conn:
            for name, role, village, password in DEMO_USERS:
                exists = conn.execute(
                    text("SELECT 1 FROM app_user WHERE name = :n"), {"n": name}
                ).first()
                if exists:
                    set_password(conn, name, password)
                    reactivate_user(conn, name)
                else:
                    create_user(conn, name=name, role=role, village_code=village, password=password)
    except CunrongError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    except SQLAlchemyError as exc:
        raise _database_error(exc) from exc
    finally:
        engine.dispose()
    typer.echo("demo users 示例用户 (sign in at /login; synthetic town, development only):")
    for name, role, village, password in DEMO_USERS:
        typer.echo(f"  {name:<10} {password:<15} {role}{' ' + village if village else ''}")


def _database_error(exc: SQLAlchemyError) -> typer.Exit:
    """Say what went wrong with the database, and the usual fix."""
    first = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    typer.secho(
        f"error: the database refused the sample town: {first}\n"
        "  is it running and migrated? try `cunrong db start` and `cunrong db upgrade`",
        fg="red",
        err=True,
    )
    return typer.Exit(1)
