"""`cunrong region …`: a region's batch analysis (district, city, province) on Dask.

    cunrong region generate DIR [--towns 10 --villages 500 --points 100000]
    cunrong region export DIR                      (the database → GeoParquet)
    cunrong region partition DIR [--partitions N]  (once: issues by Hilbert distance)
    cunrong region run DIR -o OUT [--workers 2 | --scheduler tcp://host:8786] [--to-db]

`run` starts a LocalCluster of worker processes by default, or uses the running Dask
cluster at `--scheduler`. Mounted by the root app: `app.add_typer(region.app, name="region")`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from geo.errors import CunrongError, InvalidInput
from service.cli.common import TownsOpt, cli_towns, fail, run_job, settings_of

app = typer.Typer(
    help="区域分析: a region's villages and issues analysed on a Dask cluster (GeoParquet in/out).",
    no_args_is_help=True,
)


class Grid(StrEnum):
    """Cells of the Gi* analysis."""

    hex = "hex"
    square = "square"


Directory = Annotated[Path, typer.Argument(help="The region's GeoParquet directory.")]


@app.command("generate")
def generate(
    directory: Directory,
    towns: Annotated[int, typer.Option(help="Towns.")] = 4,
    villages: Annotated[int, typer.Option(help="Villages (about; a grid per town).")] = 300,
    points: Annotated[int, typer.Option(help="Issue points.")] = 30_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Write a synthetic region (towns, villages, issues) as GeoParquet under DIRECTORY."""
    from geo.region.generate import generate_region

    try:
        region = generate_region(
            directory, towns=towns, villages=villages, points=points, seed=seed
        )
    except CunrongError as exc:
        fail(str(exc))
    typer.echo(
        f"{region.towns} towns, {region.villages} villages, {region.points} issues → {directory}"
    )


@app.command("export")
def export(
    ctx: typer.Context,
    directory: Directory,
    chunk: Annotated[int, typer.Option(help="Issues per Parquet part file.")] = 500_000,
    town: TownsOpt = None,
) -> None:
    """Write the database's villages, towns and issues as the region's GeoParquet input
    (every town, or the towns given with --town)."""
    from geo.region.database import export_region

    settings = settings_of(ctx)
    if chunk < 1:
        fail(f"--chunk: expected a positive number of issues, got {chunk}")
    chosen = tuple(t.id for t in cli_towns(settings, town)) if town else None

    def job(conn: Connection) -> None:
        counts = export_region(
            conn, directory, chunk=chunk, town_name=settings.town_name, towns=chosen
        )
        typer.echo(
            f"{counts['towns']} towns, {counts['villages']} villages, {counts['issues']} issues"
            f" → {directory}"
        )

    run_job(settings, job)


@app.command("partition")
def partition(
    directory: Directory,
    partitions: Annotated[
        int | None, typer.Option(help="Partitions to write (default: as many as now).")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="A running Dask scheduler (tcp://host:8786); default: a local cluster."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes of the local cluster.")] = 2,
) -> None:
    """Rewrite DIRECTORY/issues spatially partitioned (Hilbert distance), once for every run."""
    from geo.region.client import dask_client
    from geo.region.inputs import partition_issues

    if partitions is not None and partitions < 1:
        fail(f"--partitions: expected a positive number, got {partitions}")
    try:
        with dask_client(scheduler, workers=workers):
            written = partition_issues(directory, npartitions=partitions)
    except CunrongError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read or write {exc.filename or ''} ({exc.strerror or exc})")
    typer.echo(f"{written} spatial partitions → {directory}")


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"expected a date YYYY-MM-DD, got {value!r}", field="as_of") from None


@app.command("run")
def run(
    ctx: typer.Context,
    directory: Directory,
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the results.")],
    scheduler: Annotated[
        str | None,
        typer.Option(help="A running Dask scheduler (tcp://host:8786); default: a local cluster."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes of the local cluster.")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per local worker.")] = 1,
    memory_limit: Annotated[
        str, typer.Option(help="Memory per local worker (e.g. 4GB; auto: RAM / workers).")
    ] = "auto",
    partitions: Annotated[
        int | None, typer.Option(help="Partitions of the issues (default: as read).")
    ] = None,
    spatial_shuffle: Annotated[
        bool, typer.Option(help="Partition the issues by Hilbert distance first.")
    ] = True,
    as_of: Annotated[
        str | None, typer.Option(help="Count overdue as of YYYY-MM-DD (default today).")
    ] = None,
    grid: Annotated[Grid, typer.Option(help="Gi* cells: hex (H3) or square.")] = Grid.hex,
    hotspots: Annotated[bool, typer.Option(help="Compute Gi* hot spots per town.")] = True,
    placed: Annotated[
        bool, typer.Option(help="Also write every issue's village (OUT/placed/).")
    ] = False,
    any_town: Annotated[
        bool,
        typer.Option(
            "--any-town",
            help="Place a point among every village, not only its recorded town's.",
        ),
    ] = False,
    to_db: Annotated[
        bool,
        typer.Option("--to-db", help="Also write the results to the database (schema region)."),
    ] = False,
) -> None:
    """Place the region's issues in villages, count per village and town, Gi* per town."""
    from geo.region.analysis import analyse, write_results
    from geo.region.client import dask_client

    settings = settings_of(ctx)
    if partitions is not None and partitions < 1:
        fail(f"--partitions: expected a positive number, got {partitions}")
    try:
        day = _as_of(as_of)
        with dask_client(
            scheduler, workers=workers, threads_per_worker=threads, memory_limit=memory_limit
        ) as client:
            result = analyse(
                client,
                directory,
                as_of=day,
                tolerance_m=settings.gps_tolerance_m,
                metric_srid=settings.metric_srid,
                npartitions=partitions,
                spatial_shuffle=spatial_shuffle,
                grid=grid.value,
                with_hotspots=hotspots,
                placed_dir=output / "placed" if placed else None,
                within_town=not any_town,
            )
    except CunrongError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read or write {exc.filename or ''} ({exc.strerror or exc})")
    write_results(result, output)
    s = result.summary
    typer.echo(
        f"{s['issues']} issues: {s['placed']} placed ({s['snapped']} snapped),"
        f" {sum(s['unplaced'].values())} unplaced; {s['villages']} villages, {s['towns']} towns,"
        f" {s['hotspot_cells']} hot spot cells; {s['workers']} workers, {s['seconds']} s → {output}"
    )
    typer.echo("stages: " + ", ".join(f"{k} {v:.1f} s" for k, v in s["stages"].items()))
    if to_db:
        from geo.region.database import write_results_to_db

        def job(conn: Connection) -> None:
            written = write_results_to_db(conn, result)
            typer.echo("database: " + ", ".join(f"region.{k} {v} rows" for k, v in written.items()))

        run_job(settings, job, write=True)
