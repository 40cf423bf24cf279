"""`cunrong tiles refresh`: refresh the summary behind low-zoom issue tiles (docs/tiles.md)."""

from __future__ import annotations

import time

import typer
from sqlalchemy import Connection

from service.cli.common import fail, run_job, settings_of

app = typer.Typer(help="矢量瓦片: the summary behind low-zoom issue tiles.", no_args_is_help=True)


@app.command("refresh")
def refresh(ctx: typer.Context) -> None:
    """刷新瓦片汇总: refresh `issue_tile_summary` now (the first refresh switches it on)."""
    from geo import tile_summary

    def job(conn: Connection) -> None:
        start = time.perf_counter()
        if not tile_summary.refresh(conn.engine):
            fail("another refresh of the tile summary is running; try again when it has finished")
        rows = tile_summary.row_count(conn)
        typer.echo(f"tile summary refreshed: {rows:,} rows in {time.perf_counter() - start:.1f} s")

    run_job(settings_of(ctx), job)
