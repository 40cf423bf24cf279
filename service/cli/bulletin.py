"""`cunrong bulletin MONTH -o 通报.pdf`: the monthly bulletin (月度通报) as PDF or PNG."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Connection

from service.cli.common import TownOpt


class BulletinFormat(StrEnum):
    """A4 PDF, or a 16:9 PNG slide for the LED screen and the 宣传栏."""

    pdf = "pdf"
    png = "png"


def register(app: typer.Typer) -> None:
    """Add the `bulletin` command to the root app."""

    @app.command()
    def bulletin(
        ctx: typer.Context,
        month: Annotated[str, typer.Argument(help="The month, YYYY-MM (e.g. 2024-05).")],
        output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the file.")],
        fmt: Annotated[
            BulletinFormat, typer.Option("--format", help="pdf (A4) or png (16:9 slide).")
        ] = BulletinFormat.pdf,
        town: TownOpt = None,
    ) -> None:
        """月度通报: the month's ranking, map, bottom ten, interviews and typical problems."""
        from service.bulletin import bulletin as make_bulletin
        from service.cli.common import cli_town, run_job, settings_of, town_rules_text

        settings = settings_of(ctx)
        here = cli_town(settings, town)

        def job(conn: Connection) -> None:
            data = make_bulletin(
                conn,
                month,
                fmt=fmt.value,
                rules=town_rules_text(here, settings, year=int(month[:4]), conn=conn),
                town_id=here.id,
                photo_root=settings.photo_dir,
                town_name=here.name,
                timeout_s=settings.bulletin_timeout_s,
                interview_late_days=settings.interview_late_days,
            )
            output.write_bytes(data)
            typer.echo(f"wrote {output} ({len(data) // 1024} KiB, {fmt.value})")

        run_job(settings, job)
