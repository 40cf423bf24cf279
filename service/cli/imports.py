"""`cunrong import villages|grids|roads|issues FILE`: check a file and load it, all or nothing."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from service.cli.common import TownOpt, cli_town, fail, settings_of, town_rules_text
from service.settings import ServiceSettings

app = typer.Typer(
    help=(
        "导入 Import boundaries, roads and issues from GeoJSON, GeoPackage, Shapefile, KML, "
        "CSV or XLSX. Every row is checked first; any error → nothing changes (exit 1)."
    ),
    no_args_is_help=True,
)


class Coords(StrEnum):
    """Coordinate system of lon/lat numbers."""

    wgs84 = "wgs84"
    gcj02 = "gcj02"


FileArg = Annotated[
    Path, typer.Argument(help="GeoJSON, GeoPackage, Shapefile (.shp/.zip), KML, CSV or XLSX.")
]
LayerOpt = Annotated[
    str | None, typer.Option("--layer", help="Layer (GeoPackage, KML) or sheet (XLSX) to read.")
]
EncodingOpt = Annotated[
    str | None,
    typer.Option("--encoding", help="Text encoding, e.g. GBK for a .dbf without .cpg, or a CSV."),
]
CrsOpt = Annotated[
    str | None,
    typer.Option(
        "--crs",
        help="CRS of the coordinates when the file does not say (or says wrong), e.g. "
        "EPSG:4527 (Gauss-Krüger zone 39), EPSG:3857. CSV/XLSX default: degrees.",
    ),
]
CoordsOpt = Annotated[
    Coords,
    typer.Option("--coords", help="gcj02 for points picked on 高德/WeChat maps (→ WGS-84)."),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Check everything, change nothing.")]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Also write every problem to this CSV file.")
]
ProgressOpt = Annotated[
    bool | None,
    typer.Option("--progress/--no-progress", help="Progress bar (default: on a terminal)."),
]


def _run(
    settings: ServiceSettings,
    kind: str,
    path: Path,
    *,
    layer: str | None,
    encoding: str | None,
    crs: str | None,
    coords: Coords,
    dry_run: bool,
    report_csv: Path | None,
    progress: bool | None,
    batch: dict[str, Any] | None = None,
    town_code: str | None = None,
) -> None:
    from geo.db import make_engine
    from geo.errors import CunrongError, TooLarge
    from geo.io import ImportFailed, import_file
    from geo.io.limits import ImportLimits
    from geo.third_party import import_third_party

    # The vertex limits protect the maps drawn later, so they hold for the CLI too; rows
    # are not limited here (the CLI is how large histories are loaded).
    town = cli_town(settings, town_code)
    limits = ImportLimits(
        max_polygon_vertices=settings.max_polygon_vertices,
        max_file_vertices=settings.max_file_vertices,
    )
    options: dict[str, Any] = {
        "layer": layer,
        "encoding": encoding,
        "crs": crs,
        "coords": coords.value,
        "dry_run": dry_run,
        "progress": progress,
        "tolerance_m": settings.gps_tolerance_m,
        "metric_srid": town.metric_srid,
        "limits": limits,
        "deadline": town_rules_text(town, settings).loop.deadline,
        "town_id": town.id,
        "bulk_rows": settings.import_bulk_rows,
    }
    engine = make_engine(settings.engine_url())
    try:
        if batch is None:
            report = import_file(engine, kind, path, **options)
        else:
            with engine.connect() as conn:
                batch_id, report = import_third_party(conn, path, **batch, **options)
            typer.echo(f"third-party batch {batch['name']} ({batch['year']}): id {batch_id}")
    except TooLarge as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except ImportFailed as exc:
        for line in exc.report.lines():
            typer.echo(line, err=True)
        if report_csv is not None:
            exc.report.to_csv(report_csv)
            typer.echo(f"report written to {report_csv}", err=True)
        raise typer.Exit(1) from None
    except CunrongError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    for line in report.lines():
        typer.echo(line)
    if report.assignment is not None:
        a = report.assignment
        typer.echo(
            f"issues reassigned: {a.covered} inside a village, {a.snapped} within the GPS "
            f"tolerance, {a.unassigned} outside"
        )
    if report_csv is not None:
        report.to_csv(report_csv)
        typer.echo(f"report written to {report_csv}")


def _command(kind: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        file: FileArg,
        layer: LayerOpt = None,
        encoding: EncodingOpt = None,
        crs: CrsOpt = None,
        coords: CoordsOpt = Coords.wgs84,
        dry_run: DryRunOpt = False,
        report: ReportOpt = None,
        progress: ProgressOpt = None,
        town: TownOpt = None,
    ) -> None:
        _run(
            settings_of(ctx),
            kind,
            file,
            layer=layer,
            encoding=encoding,
            crs=crs,
            coords=coords,
            dry_run=dry_run,
            report_csv=report,
            progress=progress,
            town_code=town,
        )

    command.__doc__ = doc
    app.command(kind)(command)


_command(
    "villages",
    "村界 Village boundaries (code, name, community, …): upserted by code; issues reassigned.",
)
_command("grids", "网格 Grids (village, name, leader, optional boundary): upserted by code.")
_command("roads", "道路 Roads (kind main/secondary/lane, name, line): upserted by code.")
_command("entrances", "卡口 Village entrances (name, village, point): replace the town's set.")
_command(
    "waterbodies", "河塘沟渠 Water (kind river/pond/ditch, name, polygon or line): replace the set."
)
_command(
    "issues",
    "问题 Issues (category, found date, lon/lat or point, …): refused if any point is outside.",
)


@app.command("third-party")
def third_party(
    ctx: typer.Context,
    file: FileArg,
    year: Annotated[int, typer.Option("--year", help="The assessed year, e.g. 2024.", min=2000)],
    name: Annotated[str, typer.Option("--name", help="The batch's name, e.g. 2024年市第三方测评.")],
    evaluated_on: Annotated[
        str, typer.Option("--date", help="The day of the evaluation, YYYY-MM-DD (in --year).")
    ],
    clean: Annotated[
        str,
        typer.Option(
            "--clean", help="Village codes evaluated with nothing found, comma-separated."
        ),
    ] = "",
    note: Annotated[str | None, typer.Option("--note", help="A note on the batch.")] = None,
    layer: LayerOpt = None,
    encoding: EncodingOpt = None,
    crs: CrsOpt = None,
    coords: CoordsOpt = Coords.wgs84,
    dry_run: DryRunOpt = False,
    report: ReportOpt = None,
    progress: ProgressOpt = None,
    town: TownOpt = None,
) -> None:
    """市第三方测评 The evaluator's points (category, date, lon/lat, photos' names) as a named
    batch of third_party issues; T1 is then counted from them. All or nothing."""
    try:
        day = date.fromisoformat(evaluated_on)
    except ValueError:
        fail(f"--date: expected YYYY-MM-DD, got {evaluated_on!r}")
    _run(
        settings_of(ctx),
        "issues",
        file,
        layer=layer,
        encoding=encoding,
        crs=crs,
        coords=coords,
        dry_run=dry_run,
        report_csv=report,
        progress=progress,
        batch={
            "year": year,
            "name": name,
            "evaluated_on": day,
            "clean_villages": [c.strip() for c in clean.split(",") if c.strip()],
            "note": note,
        },
        town_code=town,
    )
