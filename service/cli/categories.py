"""`cunrong category …`: the town's words for problem categories (synonyms)."""

from __future__ import annotations

import getpass

import typer
from sqlalchemy import Connection

from service.cli.common import run_job, settings_of

app = typer.Typer(
    help="Problem categories: the town's synonyms used by every importer.", no_args_is_help=True
)


@app.command("synonyms")
def synonyms(
    ctx: typer.Context,
    category: str | None = typer.Argument(None, help="only this category"),
) -> None:
    """List the synonyms (word → category code)."""
    from geo.synonyms import list_synonyms

    def job(conn: Connection) -> None:
        for s in list_synonyms(conn, category):
            typer.echo(f"{s.synonym}\t{s.category}\t{s.added_by or '-'}")

    run_job(settings_of(ctx), job)


@app.command("synonym-add")
def synonym_add(
    ctx: typer.Context,
    word: str = typer.Argument(..., help="the word as written, e.g. 垃圾乱倒"),
    category: str = typer.Argument(..., help="the category code, e.g. household_garbage"),
) -> None:
    """Say that WORD means CATEGORY in imported files (replaces an earlier meaning)."""
    from geo.synonyms import add_synonym

    def job(conn: Connection) -> None:
        added = add_synonym(conn, word, category, actor=f"cli:{getpass.getuser()}")
        typer.echo(f"{added.synonym} → {added.category}")

    run_job(settings_of(ctx), job, write=True)


@app.command("synonym-remove")
def synonym_remove(ctx: typer.Context, word: str) -> None:
    """Forget a synonym."""
    from geo.synonyms import remove_synonym

    def job(conn: Connection) -> None:
        remove_synonym(conn, word)
        typer.echo(f"removed {word}")

    run_job(settings_of(ctx), job, write=True)
