"""The `cunrong` command line: one Typer app, one sub-app per concern.

`app` (the whole command line, as the tests and `cunrong --help` see it) imports every
sub-app, and with them SQLAlchemy, GeoPandas and folium. `main` builds it only when the
command needs it: `cunrong score …` runs on an app holding the score commands alone, whose
settings (pydantic-settings) are built only when a command reads the database, so reading
CSV files and writing results starts in a fraction of the time.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from typing import Any

import typer

from service.cli.common import end_batch, settings_of, start_batch

LEAN_COMMANDS = ("score",)
"""Sub-apps `main` runs without importing the others (they need neither geo nor a map)."""


def settings_callback(ctx: typer.Context) -> None:
    """Build the settings once (from the environment) for every command: typer's ctx.obj."""
    settings_of(ctx)


def lean_callback() -> None:
    """The lean command line's root: settings are built when a command first needs them
    (`settings_of`), so scoring files never imports pydantic-settings."""


def _root(*, lean: bool = False) -> typer.Typer:
    root = typer.Typer(
        name="cunrong",
        help="村容 cunrong — rural living-environment campaign: issues, scores, maps.",
        no_args_is_help=True,
        add_completion=False,
    )
    root.callback()(lean_callback if lean else settings_callback)
    return root


def build_app(only: str | None = None) -> typer.Typer:
    """The command line; with `only` (one of LEAN_COMMANDS), that sub-app alone."""
    from service.cli import score as score_cli

    if only == "score":
        lean = _root(lean=True)
        lean.add_typer(score_cli.app, name="score")
        return lean
    root = _root()
    from service.cli import bulletin as bulletin_cli
    from service.cli import categories as category_cli
    from service.cli import db as db_cli
    from service.cli import imports as import_cli
    from service.cli import maps as maps_cli
    from service.cli import notify as notify_cli
    from service.cli import open311 as open311_cli
    from service.cli import qgis as qgis_cli
    from service.cli import region as region_cli
    from service.cli import sample as sample_cli
    from service.cli import serve as serve_cli
    from service.cli import sites as sites_cli
    from service.cli import tiles as tiles_cli
    from service.cli import towns as towns_cli
    from service.cli import users as users_cli

    root.add_typer(db_cli.app, name="db")
    root.add_typer(category_cli.app, name="category")
    root.add_typer(import_cli.app, name="import")
    root.add_typer(maps_cli.app, name="map")
    root.add_typer(sample_cli.app, name="sample")
    root.add_typer(score_cli.app, name="score")
    root.add_typer(users_cli.app, name="user")
    root.add_typer(sites_cli.app, name="sites")
    root.add_typer(towns_cli.app, name="town")
    root.add_typer(notify_cli.app, name="notify")
    root.add_typer(tiles_cli.app, name="tiles")
    root.add_typer(open311_cli.app, name="open311")
    root.add_typer(region_cli.app, name="region")
    serve_cli.register(root)
    bulletin_cli.register(root)
    qgis_cli.register(root)
    return root


def _command_word(args: Sequence[str]) -> str | None:
    """The first argument that is not an option (the root takes no option with a value)."""
    return next((a for a in args if not a.startswith("-")), None)


def __getattr__(name: str) -> Any:
    # `from service.cli import app`: the whole command line, built on first use.
    if name == "app":
        whole = build_app()
        globals()["app"] = whole
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point of the console script."""
    word = _command_word(sys.argv[1:])
    if word in LEAN_COMMANDS:
        # A batch run: scoring a region builds millions of small objects that all live until
        # the output is written and form no cycles; the cyclic collector would walk them
        # again and again (a third of the CPU time for 10,000 villages). Reference counting
        # frees as usual; the process ends with the command, and what the command leaves
        # to it (`leave_to_exit`) goes with the process, not object by object.
        gc.disable()
        start_batch()
        try:
            build_app(word)()
        except SystemExit as done:  # typer ends every run so, failed or not
            end_batch(done.code)
        return
    build_app()()
