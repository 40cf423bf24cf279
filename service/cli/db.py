"""`cunrong db …`: the local PostGIS cluster and schema migrations."""

from __future__ import annotations

import typer

from geo.cluster import ClusterError, LocalCluster
from geo.settings import get_settings

app = typer.Typer(help="The database: local PostGIS cluster and migrations.", no_args_is_help=True)


def _cluster() -> LocalCluster:
    settings = get_settings()
    if settings.database_url:
        typer.echo("DATABASE_URL is set: the local cluster is not used.", err=True)
        raise typer.Exit(2)
    return LocalCluster(settings.pgdata)


def _fail(exc: Exception) -> typer.Exit:
    typer.secho(f"error: {exc}", fg="red", err=True)
    return typer.Exit(1)


@app.command()
def start() -> None:
    """Create (if needed) and start the local cluster under data/pgdata."""
    try:
        cluster = _cluster()
        cluster.start()
    except ClusterError as exc:
        raise _fail(exc) from exc
    typer.echo(f"PostGIS running: {cluster.url()}")


@app.command()
def stop() -> None:
    """Stop the local cluster."""
    try:
        _cluster().stop()
    except ClusterError as exc:
        raise _fail(exc) from exc
    typer.echo("stopped")


@app.command()
def status() -> None:
    """Say whether the database answers (exit 1 when it does not)."""
    from sqlalchemy import text

    from geo.db import database_url, make_engine

    url = database_url()
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            version = conn.execute(text("SELECT postgis_full_version()")).scalar_one()
    except Exception as exc:
        typer.echo(f"not reachable: {url}\n  {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"up: {url}\n  {version.split(' ')[0:2]}")


@app.command()
def url() -> None:
    """Print the database URL in use."""
    from geo.db import database_url

    typer.echo(database_url())


@app.command()
def upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the schema to the latest revision (or REVISION)."""
    from geo.migrate import PostgisMissing
    from geo.migrate import upgrade as run_upgrade

    try:
        run_upgrade(revision=revision)
    except PostgisMissing as exc:
        raise _fail(exc) from None
    except Exception as exc:
        raise _fail(exc) from exc
    typer.echo(f"schema at {revision}")
