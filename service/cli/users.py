"""`cunrong user …`: users, their API tokens and their sign-in passwords."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from sqlalchemy import Connection

from geo.accounts import end_user_sessions, set_password
from geo.db import make_engine
from geo.errors import CunrongError
from geo.models import USER_ROLES
from geo.users import create_user, deactivate_user, list_users
from service.cli.common import run_job, settings_of

app = typer.Typer(
    help="Users: add (prints a token once, --password to sign in on the pages), passwd, "
    "list, revoke.",
    no_args_is_help=True,
)

T = TypeVar("T")


def _in_transaction(ctx: typer.Context, work: Callable[[Connection], T]) -> T:
    """Run `work` in one transaction; a domain error is an 'error:' line and exit 1."""
    engine = make_engine(settings_of(ctx).engine_url())
    try:
        with engine.begin() as conn:
            return work(conn)
    except CunrongError as exc:
        typer.secho(f"error: {exc}", fg="red", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()


def _ask_password(name: str) -> str:
    """Ask twice, hidden (never an argument: it would stay in the shell's history)."""
    from geo.passwords import check_password

    while True:
        password = typer.prompt(
            f"password for {name}", hide_input=True, confirmation_prompt="repeat the password"
        )
        try:
            check_password(password, name=name)
        except CunrongError as exc:
            typer.secho(f"error: {exc}", fg="red", err=True)
            continue
        return str(password)


@app.command()
def add(
    ctx: typer.Context,
    name: str,
    role: str = typer.Option(..., help=f"one of {', '.join(USER_ROLES)}"),
    village: str | None = typer.Option(None, help="village code, for role 'village'"),
    password: bool = typer.Option(
        False, "--password", help="ask for a password (hidden) so the user can sign in at /login"
    ),
    town: str | None = typer.Option(
        None, "--town", help="the user's town (code or name); default: the only town"
    ),
    district: str | None = typer.Option(
        None,
        "--district",
        help="a district code (e.g. 120113): role leader reading every town of the district",
    ),
) -> None:
    """Create a user and print their token (it is not stored and cannot be shown again)."""
    secret = _ask_password(name) if password else None
    user, token = _in_transaction(
        ctx,
        lambda conn: create_user(
            conn,
            name=name,
            role=role,
            village_code=village,
            password=secret,
            town_code=town,
            district_code=district,
        ),
    )
    typer.echo(f"user {user.name} ({user.role}{', ' + village if village else ''}) created")
    if secret:
        typer.echo("signs in at /login with the password just given")
    typer.echo(f"token: {token}")
    typer.echo("send it as 'Authorization: Bearer <token>'; it is shown only this once.")


@app.command()
def passwd(ctx: typer.Context, name: str) -> None:
    """Set a user's sign-in password (asked twice, hidden); their sessions end."""
    secret = _ask_password(name)
    _in_transaction(ctx, lambda conn: set_password(conn, name, secret))
    typer.echo(f"password of {name} set; their earlier sign-ins have ended")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List users (never their tokens or passwords)."""

    def show(conn: Connection) -> None:
        for row in list_users(conn):
            state = "active" if row["active"] else "revoked"
            login = "password" if row["can_sign_in"] else "token only"
            typer.echo(
                f"{row['name']:<24} {row['role']:<10} {row['town'] or '-':<10}"
                f" {row['village'] or '-':<8} {state:<8} {login}"
            )

    run_job(settings_of(ctx), show)


@app.command()
def revoke(ctx: typer.Context, name: str) -> None:
    """Revoke a user: their token stops working and their sign-in sessions end."""

    def work(conn: Connection) -> None:
        deactivate_user(conn, name)
        end_user_sessions(conn, name)

    _in_transaction(ctx, work)
    typer.echo(f"revoked {name}")
