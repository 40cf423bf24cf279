"""`cunrong town …`: the towns of a deployment (镇), each with its rules and metric CRS."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from service.cli.common import fail, run_job, settings_of

app = typer.Typer(
    help="Towns (镇): add one (then import its villages with --town CODE), list them.",
    no_args_is_help=True,
)


@app.command()
def add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="行政区划代码 of the town, 9 or 12 digits.")],
    name: Annotated[str, typer.Argument(help="The town's name, e.g. 双口镇.")],
    district_name: Annotated[
        str, typer.Option("--district-name", help="The district's name, e.g. 北辰区.")
    ],
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="The town's rules file (TOML); default: the settings'."),
    ] = None,
    metric_srid: Annotated[
        int | None,
        typer.Option("--metric-srid", help="Metric CRS (EPSG); default: CUNRONG_METRIC_SRID."),
    ] = None,
    boundary: Annotated[
        Path | None,
        typer.Option("--boundary", help="The town's boundary as WKT (else its villages')."),
    ] = None,
) -> None:
    """Add a town; its district is the first six digits of CODE."""
    from geo.towns import add_town

    settings = settings_of(ctx)
    try:
        rules_text = rules.read_text(encoding="utf-8") if rules else None
        wkt = boundary.read_text(encoding="utf-8").strip() if boundary else None
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {exc}")

    def job(conn: Connection) -> None:
        town = add_town(
            conn,
            code=code,
            name=name,
            district_name=district_name,
            metric_srid=metric_srid or settings.metric_srid,
            rules=rules_text,
            boundary_wkt=wkt,
        )
        typer.echo(f"town {town.label} added (district {town.district_code} {town.district_name})")
        typer.echo(f"next: cunrong import villages FILE --town {town.code}")

    run_job(settings, job, write=True)


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """The towns with their districts, villages and issues."""

    def show(conn: Connection) -> None:
        from sqlalchemy import text

        rows = conn.execute(
            text(
                "SELECT t.code, t.name, t.district_code, t.district_name, t.metric_srid,"
                " t.rules IS NOT NULL AS own_rules,"
                " (SELECT count(*) FROM village v WHERE v.town_id = t.id) AS villages,"
                " (SELECT count(*) FROM issue i WHERE i.town_id = t.id) AS issues"
                " FROM town t ORDER BY t.code"
            )
        ).all()
        for r in rows:
            rules = "own rules" if r.own_rules else "default rules"
            typer.echo(
                f"{r.code}  {r.name}  {r.district_code} {r.district_name}  EPSG:{r.metric_srid}"
                f"  {rules}  {r.villages} villages  {r.issues} issues"
            )

    run_job(settings_of(ctx), show)
