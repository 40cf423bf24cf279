"""`cunrong imports` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="imports", no_args_is_help=True)
