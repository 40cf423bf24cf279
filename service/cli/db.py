"""`cunrong db …`: the local PostGIS cluster and schema migrations."""

from __future__ import annotations

import typer

from geo.cluster import ClusterError, LocalCluster
from service.cli.common import settings_of
from service.settings import ServiceSettings

app = typer.Typer(help="The database: local PostGIS cluster and migrations.", no_args_is_help=True)


def _cluster(settings: ServiceSettings) -> LocalCluster:
    if settings.database_url:
        typer.echo("DATABASE_URL is set: the local cluster is not used.", err=True)
        raise typer.Exit(2)
    return LocalCluster(settings.pgdata)


def _fail(exc: Exception) -> typer.Exit:
    typer.secho(f"error: {exc}", fg="red", err=True)
    return typer.Exit(1)


@app.command()
def start(ctx: typer.Context) -> None:
    """Create (if needed) and start the local cluster under data/pgdata."""
    try:
        cluster = _cluster(settings_of(ctx))
        cluster.start()
    except ClusterError as exc:
        raise _fail(exc) from exc
    typer.echo(f"PostGIS running: {cluster.url()}")


@app.command()
def stop(ctx: typer.Context) -> None:
    """Stop the local cluster."""
    try:
        _cluster(settings_of(ctx)).stop()
    except ClusterError as exc:
        raise _fail(exc) from exc
    typer.echo("stopped")


@app.command()
def status(ctx: typer.Context) -> None:
    """Say whether the database answers (exit 1 when it does not)."""
    from sqlalchemy import text

    from geo.db import make_engine

    url = settings_of(ctx).engine_url()
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            server = conn.execute(text("SHOW server_version")).scalar_one()
            postgis = conn.execute(
                text("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
            ).scalar()
    except Exception as exc:
        typer.echo(f"not reachable: {url}\n  {str(exc).splitlines()[0]}", err=True)
        raise typer.Exit(1) from exc
    extension = f"PostGIS {postgis}" if postgis else "no PostGIS yet (run `cunrong db upgrade`)"
    typer.echo(f"up: {url}\n  PostgreSQL {server.split(' ')[0]}, {extension}")


@app.command()
def url(ctx: typer.Context) -> None:
    """Print the database URL in use."""
    typer.echo(settings_of(ctx).engine_url())


@app.command()
def upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
    """Migrate the schema to the latest revision (or REVISION)."""
    from geo.migrate import PostgisMissing
    from geo.migrate import upgrade as run_upgrade

    try:
        settings = settings_of(ctx)
        run_upgrade(settings.engine_url(), revision=revision, town=settings.first_town())
    except PostgisMissing as exc:
        raise _fail(exc) from None
    except Exception as exc:
        raise _fail(exc) from exc
    typer.echo(f"schema at {revision}")
