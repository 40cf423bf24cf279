"""`cunrong score`: monthly and year-end results by the town's rules, from the DB or files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from scoring.errors import ScoringError
from scoring.export import json_bytes, month_report_to_dict, to_json, year_to_dict
from scoring.inputs import ScoringInput, check_input, is_month
from scoring.monthly import monthly_result
from scoring.rules import Rules, load_rules
from scoring.sources import read_source
from scoring.yearly import year_result
from service.cli.common import TownOpt, cli_town, leave_to_exit, settings_of, town_rules_text

if TYPE_CHECKING:
    from geo.towns import Town
    from scoring.report import Sheet
    from service.settings import ServiceSettings

app = typer.Typer(
    help="考核打分: monthly rankings (后十名, 约谈) and year-end results by the town's rules.",
    no_args_is_help=True,
)

DATABASE = "db"


class OutputFormat(StrEnum):
    """How results are written."""

    table = "table"
    json = "json"
    xlsx = "xlsx"


class WhatIfFormat(StrEnum):
    """How a what-if answer is written."""

    table = "table"
    json = "json"


SourceOption = Annotated[
    str,
    typer.Option(
        "--from",
        help="'db' (the database), a folder of CSV files, or an .xlsx workbook.",
        show_default=True,
    ),
]
RulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="Rules file (TOML); default: scoring/rules.toml."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="table, json or xlsx.")]
OutputOption = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write here instead of standard output.")
]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _read_database(
    settings: ServiceSettings, year: int, *, cutoff: date | None = None, town_id: int | None = None
) -> ScoringInput:
    """The scoring input of `year` of the town `town_id` from the configured database
    (DATABASE_URL or local); third-party points are judged on `cutoff` (the rules' cut-off
    day)."""
    from geo.db import make_engine
    from service.scoring_data import load_scoring_input

    engine = make_engine(settings.engine_url())
    try:
        with engine.connect() as connection:
            return load_scoring_input(connection, year, third_party_cutoff=cutoff, town_id=town_id)
    finally:
        engine.dispose()


def _load_database(
    settings: ServiceSettings, year: int, *, cutoff: date | None = None, town_id: int | None = None
) -> ScoringInput:
    try:
        data = _read_database(settings, year, cutoff=cutoff, town_id=town_id)
    except ScoringError:
        raise
    except Exception as exc:  # a database failure must read as one line, not a traceback
        _fail(f"--from db: cannot read the scores from the database ({exc})")
    check_input(data)
    return data


def _load(
    ctx: typer.Context,
    source: str,
    year: int,
    *,
    rules: Rules | None = None,
    town: Town | None = None,
) -> ScoringInput:
    if source != DATABASE:
        return read_source(source)
    cutoff = rules.third_party.cutoff_date(year) if rules is not None else None
    return _load_database(
        settings_of(ctx), year, cutoff=cutoff, town_id=town.id if town is not None else None
    )


def _town(ctx: typer.Context, source: str, code: str | None) -> Town | None:
    """The town scored from the database (`--town`, else the only one); None from files
    (which need no settings: they are read only for the database)."""
    if source != DATABASE:
        if code is not None:
            _fail("--town: only with --from db (files hold one town)")
        return None
    return cli_town(settings_of(ctx), code)


def _rules(ctx: typer.Context, path: Path | None, year: int, town: Town | None = None) -> Rules:
    """`--rules`, else the town's rules of `year` (else the settings' rules file), else
    (scoring files) the default rules file."""
    if path is None and town is not None:
        rules = town_rules_text(town, settings_of(ctx), year=year)
    else:
        rules = load_rules(path)
    if rules.year != year:
        typer.echo(
            f"warning: rules file {rules.source} is for {rules.year}, scoring {year}", err=True
        )
    return rules


def _sheets() -> ModuleType:
    """`scoring.report`, imported when a table or workbook is asked for (not for JSON)."""
    from scoring import report

    return report


def _warn(warnings: tuple[str, ...], output: Path | None) -> None:
    """Warning lines go into the output itself; when it is a file, also to standard error."""
    if output is None:
        return
    for line in warnings:
        typer.echo(f"warning: {line}", err=True)


def _write(
    *,
    output_format: OutputFormat | WhatIfFormat,
    output: Path | None,
    payload: dict[str, Any],
    sheets: Callable[[], dict[str, Sheet]],
) -> None:
    """Write the payload as JSON, or the sheets (built only then) as a table or workbook."""
    try:
        if output_format == OutputFormat.xlsx:
            if output is None:
                _fail("--format xlsx needs -o FILE.xlsx")
            _sheets().write_xlsx(sheets(), output)
        elif output is None:
            if output_format == OutputFormat.json:
                text = to_json(payload)
            else:
                text = _sheets().render_text(sheets())
            typer.echo(text + "\n" if output_format == OutputFormat.json else text, nl=False)
            return
        elif output_format == OutputFormat.json:
            with output.open("wb") as handle:  # 50 MB for a region: written, not copied
                handle.write(json_bytes(payload))
                handle.write(b"\n")
        else:
            output.write_text(_sheets().render_text(sheets()), encoding="utf-8")
    except OSError as exc:
        _fail(f"-o {output}: cannot write ({exc.strerror or exc})")
    typer.echo(f"wrote {output}", err=True)


@app.command("month")
def score_month(
    ctx: typer.Context,
    month: Annotated[str, typer.Argument(help="The month, YYYY-MM, e.g. 2024-04.")],
    source: SourceOption = DATABASE,
    rules_file: RulesOption = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    town_code: TownOpt = None,
) -> None:
    """One month: scores (M1), ranking (M2), bottom ten (M3), interviews and penalties (M4)."""
    if not is_month(month):
        _fail(f"MONTH: expected YYYY-MM, e.g. 2024-04, got {month!r}")
    try:
        town = _town(ctx, source, town_code)
        rules = _rules(ctx, rules_file, int(month[:4]), town)
        data = _load(ctx, source, int(month[:4]), town=town)
        result = monthly_result(data, rules, month)
    except ScoringError as exc:
        _fail(str(exc))
    names = data.village_names()
    _warn(result.warnings, output)
    _write(
        output_format=output_format,
        output=output,
        payload=month_report_to_dict(result, rules=rules, names=names),
        sheets=lambda: _sheets().month_sheets(result, names),
    )


@app.command("year")
def score_year(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(help="The assessment year, e.g. 2024.", min=1900)],
    source: SourceOption = DATABASE,
    rules_file: RulesOption = None,
    output_format: FormatOption = OutputFormat.table,
    output: OutputOption = None,
    town_code: TownOpt = None,
) -> None:
    """Year end: base (Y1), third party (T1/T2), honors (M5), total (Y2), ranking (Y3)."""
    try:
        town = _town(ctx, source, town_code)
        rules = _rules(ctx, rules_file, year, town)
        data = _load(ctx, source, year, rules=rules, town=town)
        result = year_result(data, rules, year)
    except ScoringError as exc:
        _fail(str(exc))
    if not result.months:
        _fail(f"{data.origin}: no observation score in {year}")
    _warn(result.warnings, output)
    payload = year_to_dict(result)
    _write(
        output_format=output_format,
        output=output,
        payload=payload,
        sheets=lambda: _sheets().year_sheets(result),
    )
    leave_to_exit(data, result, payload)


@app.command("what-if")
def score_what_if(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(help="The assessment year, e.g. 2024.", min=1900)],
    village: Annotated[str, typer.Argument(help="The village code, e.g. V03.")],
    month: Annotated[
        str | None,
        typer.Option("--month", help="A month of YEAR (YYYY-MM): the score it needed that month."),
    ] = None,
    source: SourceOption = DATABASE,
    rules_file: RulesOption = None,
    output_format: Annotated[
        WhatIfFormat, typer.Option("--format", help="table or json.")
    ] = WhatIfFormat.table,
    output: OutputOption = None,
    town_code: TownOpt = None,
) -> None:
    """What would it take: points lacked to enter the top 5 / leave the bottom 5 (W1–W3)."""
    from scoring.report import month_what_if_sheets, year_what_if_sheets
    from scoring.whatif import (
        month_what_if,
        month_what_if_to_dict,
        year_what_if,
        year_what_if_to_dict,
    )

    if month is not None and (not is_month(month) or int(month[:4]) != year):
        _fail(f"--month: expected a month of {year} written YYYY-MM, got {month!r}")
    try:
        town = _town(ctx, source, town_code)
        rules = _rules(ctx, rules_file, year, town)
        data = _load(ctx, source, year, town=town)
        if month is not None:
            answer = month_what_if(data, rules, month, village)
            payload = month_what_if_to_dict(answer)
            sheets = month_what_if_sheets(answer)
        else:
            if not year_result(data, rules, year).months:
                _fail(f"{data.origin}: no observation score in {year}")
            year_answer = year_what_if(data, rules, year, village)
            payload = year_what_if_to_dict(year_answer)
            sheets = year_what_if_sheets(year_answer)
    except ScoringError as exc:
        _fail(str(exc))
    _warn(tuple(payload["warnings"]), output)
    _write(output_format=output_format, output=output, payload=payload, sheets=lambda: sheets)


@app.command("export")
def score_export(
    ctx: typer.Context,
    year: Annotated[int, typer.Argument(help="The assessment year, e.g. 2024.", min=1900)],
    target: Annotated[Path, typer.Argument(help="A folder (CSV files) or a .xlsx workbook.")],
    town_code: TownOpt = None,
) -> None:
    """Export a town's scoring input of YEAR as CSV files or a workbook (for offices)."""
    from scoring.sources import write_source

    try:
        town = cli_town(settings_of(ctx), town_code)
        data = _load_database(settings_of(ctx), year, town_id=town.id)
        written = write_source(data, target)
    except ScoringError as exc:
        _fail(str(exc))
    for path in written:
        typer.echo(f"wrote {path}")
