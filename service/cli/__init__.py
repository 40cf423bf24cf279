"""The `cunrong` command line: one Typer app, one sub-app per concern."""

from __future__ import annotations

import typer

from service.cli import bulletin as bulletin_cli
from service.cli import categories as category_cli
from service.cli import db as db_cli
from service.cli import imports as import_cli
from service.cli import maps as maps_cli
from service.cli import sample as sample_cli
from service.cli import score as score_cli
from service.cli import serve as serve_cli
from service.cli import sites as sites_cli
from service.cli import tiles as tiles_cli
from service.cli import towns as towns_cli
from service.cli import users as users_cli
from service.cli.common import settings_of

app = typer.Typer(
    name="cunrong",
    help="村容 cunrong — rural living-environment campaign: issues, scores, maps.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(db_cli.app, name="db")
app.add_typer(category_cli.app, name="category")
app.add_typer(import_cli.app, name="import")
app.add_typer(maps_cli.app, name="map")
app.add_typer(sample_cli.app, name="sample")
app.add_typer(score_cli.app, name="score")
app.add_typer(users_cli.app, name="user")
app.add_typer(sites_cli.app, name="sites")
app.add_typer(towns_cli.app, name="town")
app.add_typer(tiles_cli.app, name="tiles")
serve_cli.register(app)
bulletin_cli.register(app)


@app.callback()
def settings_callback(ctx: typer.Context) -> None:
    """Build the settings once (from the environment) for every command: typer's ctx.obj."""
    settings_of(ctx)


def main() -> None:
    """Entry point of the console script."""
    app()
