"""`cunrong open311 key …`: the API keys of systems posting through Open311 GeoReport v2."""

from __future__ import annotations

import typer
from sqlalchemy import Connection

from geo.open311 import create_client, list_clients, revoke_client
from service.cli.common import run_job, settings_of

app = typer.Typer(
    help="Open311 GeoReport v2 (/open311/v2): API keys of the client systems.",
    no_args_is_help=True,
)
keys = typer.Typer(help="API keys: add (prints the key once), list, revoke.", no_args_is_help=True)
app.add_typer(keys, name="key")


@keys.command()
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="the client system, e.g. 区12345热线"),
    note: str | None = typer.Option(None, help="who runs it, whom to call"),
    town: str | None = typer.Option(
        None, "--town", help="the town it posts to and reads (code or name); default: the only town"
    ),
) -> None:
    """Register a client and print its API key (only a hash is stored: shown this once)."""
    shown: list[str] = []

    def work(conn: Connection) -> None:
        client, key = create_client(conn, name=name, note=note, town_code=town)
        shown.extend((client.name, key))

    run_job(settings_of(ctx), work, write=True)
    typer.echo(f"Open311 client {shown[0]} added")
    typer.echo(f"api_key: {shown[1]}")
    typer.echo("it posts with api_key=<key> in the form body; the key is shown only this once.")


@keys.command("list")
def list_(ctx: typer.Context) -> None:
    """List the clients (never their keys) and how many requests each posted."""

    def show(conn: Connection) -> None:
        for row in list_clients(conn):
            state = "active" if row["active"] else "revoked"
            typer.echo(
                f"{row['name']:<24} {row['town']:<12} {state:<8} {row['requests']:>6} requests"
            )

    run_job(settings_of(ctx), show)


@keys.command()
def revoke(ctx: typer.Context, name: str) -> None:
    """Revoke a client's key (its requests stay)."""
    run_job(settings_of(ctx), lambda conn: revoke_client(conn, name), write=True)
    typer.echo(f"revoked {name}")
