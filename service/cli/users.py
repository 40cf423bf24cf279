"""`cunrong user …`: API users and their tokens."""

from __future__ import annotations

import typer

from geo.db import make_engine
from geo.errors import CunrongError
from geo.models import USER_ROLES
from geo.users import create_user, deactivate_user, list_users
from service.cli.common import settings_of

app = typer.Typer(help="API users: add (prints a token once), list, revoke.", no_args_is_help=True)


@app.command()
def add(
    ctx: typer.Context,
    name: str,
    role: str = typer.Option(..., help=f"one of {', '.join(USER_ROLES)}"),
    village: str | None = typer.Option(None, help="village code, for role 'village'"),
) -> None:
    """Create a user and print their token (it is not stored and cannot be shown again)."""
    engine = make_engine(settings_of(ctx).engine_url())
    try:
        with engine.begin() as conn:
            user, token = create_user(conn, name=name, role=role, village_code=village)
    except CunrongError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"user {user.name} ({user.role}{', ' + village if village else ''}) created")
    typer.echo(f"token: {token}")
    typer.echo("send it as 'Authorization: Bearer <token>'; it is shown only this once.")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List users (never their tokens)."""
    engine = make_engine(settings_of(ctx).engine_url())
    with engine.connect() as conn:
        for row in list_users(conn):
            state = "active" if row["active"] else "revoked"
            typer.echo(f"{row['name']:<24} {row['role']:<10} {row['village'] or '-':<8} {state}")
    engine.dispose()


@app.command()
def revoke(ctx: typer.Context, name: str) -> None:
    """Revoke a user's token."""
    engine = make_engine(settings_of(ctx).engine_url())
    try:
        with engine.begin() as conn:
            deactivate_user(conn, name)
    except CunrongError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"revoked {name}")
