"""`cunrong qgis-project -o town.qgz [--town CODE]`: a town's QGIS project whose layers are the
/ogc collections, in the town's metric CRS."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from service.cli.common import Lang


class ProjectCrs(StrEnum):
    """The project's CRS: the town's metric CRS (`town.metric_srid`) or CGCS2000 (EPSG:4490)."""

    metric = "metric"
    cgcs2000 = "4490"


def register(app: typer.Typer) -> None:
    """Add the `qgis-project` command to the root app."""

    @app.command("qgis-project")
    def qgis_project(
        ctx: typer.Context,
        output: Annotated[Path, typer.Option("-o", "--output", help="The .qgz file to write.")],
        url: Annotated[
            str,
            typer.Option("--url", help="The service's address as QGIS will reach it."),
        ] = "http://127.0.0.1:8000",
        crs: Annotated[
            ProjectCrs,
            typer.Option(
                "--crs", help="metric (the town's own metric CRS, default) or 4490 (CGCS2000)."
            ),
        ] = ProjectCrs.metric,
        town: Annotated[
            str | None,
            typer.Option(
                "--town",
                help="The town (行政区划代码 or name): its metric CRS, name and extent."
                " Default: the only town; several towns: required.",
            ),
        ] = None,
        authcfg: Annotated[
            str | None,
            typer.Option(
                "--authcfg",
                help="ID of a QGIS authentication config to put on every layer (see README).",
            ),
        ] = None,
        lang: Annotated[Lang, typer.Option("--lang", help="Labels in zh (default) or en.")] = (
            Lang.zh
        ),
    ) -> None:
        """QGIS 工程: a town's villages, grids, communities, issues, roads and sites from
        /ogc, styled with the maps' colours and labelled in Chinese, in the town's metric CRS."""
        from geo.qgis_project import town_project
        from service.cli.common import cli_town, fail, run_job, settings_of

        settings = settings_of(ctx)
        if output.suffix.lower() != ".qgz":
            fail(f"--output: expected a .qgz file name, got {output.name!r}")
        chosen = cli_town(settings, town)
        srid = chosen.metric_srid if crs is ProjectCrs.metric else 4490

        def job(conn: Connection) -> None:
            data = town_project(
                conn,
                base_url=url,
                title=chosen.name,
                srid=srid,
                towns=(chosen.id,),
                authcfg=authcfg,
                lang=lang.value,
            )
            output.write_bytes(data)
            typer.echo(
                f"wrote {output} ({chosen.label}, EPSG:{srid}, layers from {url.rstrip('/')}/ogc)"
            )

        run_job(settings, job)
