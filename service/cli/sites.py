"""`cunrong sites`: candidate micro-landscape sites (一村一策一提升) as a map, GeoJSON or XLSX,
and planners' decisions on them.

    cunrong sites --village V01 -o sites.html      (or .geojson, .xlsx; no -o: a table)
    cunrong sites mark V01:micro_spot:issue:… chosen --note "口袋公园" --by 张工
    cunrong sites chosen [--village V01] [-o chosen.geojson]

Mounted by the root app as a sub-app: `app.add_typer(sites.app, name="sites")`.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Connection

from geo.errors import InvalidInput
from geo.maps.basemaps import BasemapName
from service.cli.common import Lang, run_job, settings_of
from service.settings import ServiceSettings

if TYPE_CHECKING:
    import geopandas as gpd

app = typer.Typer(
    help="景观点位: candidate sites for 卡口花场, 小微景点 and 美学微巷, and planners' decisions.",
    invoke_without_command=True,
)


class Decision(StrEnum):
    """What a planner decides about a candidate."""

    chosen = "chosen"
    rejected = "rejected"


Villages = Annotated[
    list[str] | None, typer.Option("--village", help="Village code; repeat for several.")
]
Output = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="sites.html, sites.geojson or sites.xlsx (by suffix)."),
]
FORMATS = {
    ".html": "html",
    ".htm": "html",
    ".geojson": "geojson",
    ".json": "geojson",
    ".xlsx": "xlsx",
}


def _format(output: Path) -> str:
    fmt = FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            f"cannot tell the format from {output.name!r}; expected a name ending in "
            ".html, .geojson or .xlsx",
            field="output",
        )
    return fmt


def _table(frame: gpd.GeoDataFrame) -> str:
    lines = []
    for row in frame.itertuples():
        rank = "" if row.rank is None or str(row.rank) == "<NA>" else f"{row.rank:>2}"
        lines.append(
            f"{row.village_code}\t{rank}\t{row.kind_label}\t{row.score:5.2f}\t{row.candidate_key}"
            f"\t{row.reasons_zh}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


@app.callback()
def sites(
    ctx: typer.Context,
    village: Villages = None,
    output: Output = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Labels in zh (default) or en.")] = Lang.zh,
    basemap: Annotated[
        BasemapName, typer.Option("--basemap", help="Tiles under the map.")
    ] = BasemapName.osm,
    config: Annotated[
        Path | None, typer.Option("--config", help="Site rules (default geo/sites/sites.toml).")
    ] = None,
    include_rejected: Annotated[
        bool, typer.Option("--include-rejected", help="Also list candidates planners rejected.")
    ] = False,
    title: Annotated[str | None, typer.Option("--title", help="Title of the map / sheet.")] = None,
) -> None:
    """Ranked candidate sites per village: 卡口花场, 小微景点, 美学微巷, with their reasons."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_of(ctx)

    def job(conn: Connection) -> None:
        from geo.sites import find_candidates, load_site_config
        from geo.sites.export import candidates_geojson, candidates_workbook

        fmt = _format(output) if output is not None else "table"
        rules = load_site_config(config)
        codes = village or []
        found = find_candidates(
            conn,
            villages=codes,
            config=rules,
            include_rejected=include_rejected,
        )
        if output is None:
            typer.echo(_table(found), nl=False)
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "geojson":
            output.write_text(candidates_geojson(found), encoding="utf-8")
        elif fmt == "xlsx":
            where = "、".join(codes) if codes else "全镇"
            output.write_bytes(
                candidates_workbook(found, title=title or f"小微景观点位候选（{where}）")
            )
        else:
            _write_map(
                conn, found, codes, output, settings, lang=lang, basemap=basemap, title=title
            )
        typer.echo(f"wrote {output} ({len(found)} candidate sites)")

    run_job(settings, job)


def _write_map(
    conn: Connection,
    found: gpd.GeoDataFrame,
    codes: Sequence[str],
    output: Path,
    settings: ServiceSettings,
    *,
    lang: Lang,
    basemap: BasemapName,
    title: str | None,
) -> None:
    from service.mapviews import map_options, sites_view

    options = map_options(settings, lang=lang.value, basemap=basemap.value, title=title)
    sites_view(conn, options, villages=codes, candidates=found).save(str(output))


@app.command("mark")
def mark(
    ctx: typer.Context,
    candidate_key: Annotated[str, typer.Argument(help="The candidate's key (see the listing).")],
    decision: Annotated[Decision, typer.Argument(help="chosen or rejected.")],
    note: Annotated[str | None, typer.Option("--note", help="Why, or what to build.")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Who decided.")] = None,
) -> None:
    """Mark a candidate as chosen (已选定) or rejected (不采用), with a note."""

    def job(conn: Connection) -> None:
        from geo.sites import mark_site

        done = mark_site(
            conn, candidate_key=candidate_key, decision=decision.value, note=note, decided_by=by
        )
        typer.echo(f"{done.candidate_key}: {done.decision}")

    run_job(settings_of(ctx), job, write=True)


@app.command("chosen")
def chosen(
    ctx: typer.Context,
    village: Villages = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write GeoJSON here.")
    ] = None,
) -> None:
    """The sites planners have chosen (GeoJSON with -o, else a table)."""

    def job(conn: Connection) -> None:
        from geo.sites import chosen_sites
        from geo.sites.export import candidates_geojson

        frame = chosen_sites(conn, villages=village or [])
        if output is None:
            for row in frame.itertuples():
                typer.echo(
                    f"{row.village_code}\t{row.kind_label}\t{row.candidate_key}\t{row.note or ''}"
                )
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(candidates_geojson(frame), encoding="utf-8")
        typer.echo(f"wrote {output} ({len(frame)} chosen sites)")

    run_job(settings_of(ctx), job)
