"""`cunrong town …`: the towns of a deployment (镇), each with its rules and metric CRS."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from service.cli.common import fail, run_job, settings_of

app = typer.Typer(
    help="Towns (镇): add one (then import its villages with --town CODE), list them, set"
    " a year's rules.",
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
    import getpass

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
            set_by=f"cli ({getpass.getuser()}) town add {rules}" if rules else None,
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
                " (SELECT string_agg(CAST(r.year AS text), ',' ORDER BY r.year)"
                "  FROM town_rules r WHERE r.town_id = t.id) AS rule_years,"
                " (SELECT count(*) FROM village v WHERE v.town_id = t.id) AS villages,"
                " (SELECT count(*) FROM issue i WHERE i.town_id = t.id) AS issues"
                " FROM town t ORDER BY t.code"
            )
        ).all()
        for r in rows:
            rules = f"own rules {r.rule_years}" if r.rule_years else "default rules"
            typer.echo(
                f"{r.code}  {r.name}  {r.district_code} {r.district_name}  EPSG:{r.metric_srid}"
                f"  {rules}  {r.villages} villages  {r.issues} issues"
            )

    run_job(settings_of(ctx), show)


@app.command()
def rules(
    ctx: typer.Context,
    town: Annotated[str, typer.Argument(help="The town (行政区划代码 or name).")],
    file: Annotated[
        Path | None,
        typer.Argument(
            help="A rules file (TOML) to set for the year it names ([rules] year);"
            " without it: list the town's rules by year."
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option("--year", help="Print the rules text the town is scored by in YEAR."),
    ] = None,
) -> None:
    """考核规则: a town's rules, one text per year. A past year keeps its rules when the
    next year's are set; a year without its own is scored by the latest earlier one."""
    import getpass
    import tomllib

    from geo.towns import rules_text, rules_years, set_rules, town_by_code

    settings = settings_of(ctx)
    if file is not None and year is not None:
        fail("give a FILE to set, or --year to print, not both")
    try:
        text = file.read_text(encoding="utf-8") if file is not None else None
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {exc}")

    def job(conn: Connection) -> None:
        here = town_by_code(conn, town)
        if text is not None:
            set_year, replaced = set_rules(
                conn, here, text, set_by=f"cli ({getpass.getuser()}) {file}"
            )
            done = "replaced" if replaced else "set"
            typer.echo(f"rules of {set_year} {done} for {here.label}")
            return
        if year is not None:
            found = rules_text(conn, here.id, year)
            if found is None:
                typer.echo(
                    f"{here.label} has no rules of its own: {year} is scored by the"
                    f" settings' rules file ({settings.rules_file or 'scoring/rules.toml'})",
                    err=True,
                )
                return
            typer.echo(found, nl=not found.endswith("\n"))
            return
        stored = rules_years(conn, here)
        if not stored:
            typer.echo(
                f"{here.label} has no rules of its own: scored by the settings' rules file"
                f" ({settings.rules_file or 'scoring/rules.toml'})"
            )
            return
        for entry in stored:
            document = tomllib.loads(entry.rules).get("rules", {}).get("document", "")
            typer.echo(
                f"{entry.year}  {document}  set {entry.set_at:%Y-%m-%d %H:%M}"
                f" by {entry.set_by or '?'}"
            )
        typer.echo(
            "a year is scored by its own rules, else by the latest earlier year's"
            " (before the first: the first)"
        )

    run_job(settings, job, write=text is not None)
