"""`cunrong sample` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="sample", no_args_is_help=True)
