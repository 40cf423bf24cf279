"""`cunrong map issues|ranking|hotspots|status … -o FILE.html`: one standalone HTML file each.

Mounted by the root app as a sub-app: `app.add_typer(maps.app, name="map")`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from sqlalchemy import Connection

from geo.errors import InvalidInput
from geo.issue_filter import BBox, IssueFilter, check_date, parse_month
from geo.maps.basemaps import BasemapName
from service.cli.common import Lang, TownOpt, cli_town, run_job, settings_of, town_rules_text

if TYPE_CHECKING:
    import folium

    from scoring.rules import Rules
    from service.mapviews import MapOptions

app = typer.Typer(
    help="地图导出: issue, ranking, hotspot and rectification maps as standalone HTML files.",
    no_args_is_help=True,
)


class GridKind(StrEnum):
    """Cells for the Gi* analysis."""

    hex = "hex"
    square = "square"


Output = Annotated[Path, typer.Option("-o", "--output", help="The HTML file to write.")]
Villages = Annotated[
    list[str] | None, typer.Option("--village", help="Village code; repeat for several.")
]
Communities = Annotated[
    list[str] | None, typer.Option("--community", help="Community code or name; repeatable.")
]
Month = Annotated[str | None, typer.Option("--month", help="Issues found in YYYY-MM.")]
Statuses = Annotated[
    list[str] | None,
    typer.Option("--status", help="open, submitted, closed, unrectified, inadequate; repeatable."),
]
Categories = Annotated[
    list[str] | None, typer.Option("--category", help="Category code; repeatable.")
]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Labels in zh (default) or en.")]
BasemapOpt = Annotated[BasemapName, typer.Option("--basemap", help="Tiles under the map.")]
Title = Annotated[str | None, typer.Option("--title", help="Title shown on the map.")]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Count overdue as of YYYY-MM-DD (default today).")
]


def _date(value: str | None, *, field: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"expected a date YYYY-MM-DD, got {value!r}", field=field) from None
    return check_date(day, field=field)


def _options(
    ctx: typer.Context,
    lang: Lang,
    basemap: BasemapName,
    as_of: str | None,
    title: str | None,
) -> MapOptions:
    from service.mapviews import map_options

    return map_options(
        settings_of(ctx),
        lang=lang.value,
        basemap=basemap.value,
        today=_date(as_of, field="as_of"),
        title=title,
    )


def _write(m: folium.Map, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    m.save(str(output))
    typer.echo(f"wrote {output} ({output.stat().st_size / 2**20:.2f} MiB)")


def _known_categories(conn: Connection, selection: IssueFilter) -> None:
    """An unknown --category is refused naming the closest codes (it drew an empty map)."""
    from geo.loop import known_category

    for code in selection.categories:
        known_category(conn, code)


@app.command("issues")
def issues_command(
    ctx: typer.Context,
    output: Output,
    village: Villages = None,
    community: Communities = None,
    month: Month = None,
    status: Statuses = None,
    category: Categories = None,
    bbox: Annotated[str | None, typer.Option("--bbox", help="west,south,east,north")] = None,
    lang: LangOpt = Lang.zh,
    basemap: BasemapOpt = BasemapName.osm,
    as_of: AsOf = None,
    photo_base_url: Annotated[
        str | None,
        typer.Option("--photo-base-url", help="Service URL for photo thumbnails in popups."),
    ] = None,
    title: Title = None,
    town: TownOpt = None,
) -> None:
    """问题分布图 of a town for inspectors: clustered issues, boundaries, popups."""
    from geo import frames
    from service.mapviews import issues_view

    here = cli_town(settings_of(ctx), town)

    def job(conn: Connection) -> None:
        selection = IssueFilter(
            villages=village or [],
            communities=community or [],
            statuses=status or [],
            categories=category or [],
            month=parse_month(month) if month else None,
            bbox=BBox.parse(bbox) if bbox else None,
            towns=(here.id,),
        )
        _known_categories(conn, selection)
        photo_url = photo_base_url.rstrip("/") + frames.PHOTO_URL if photo_base_url else None
        options = _options(ctx, lang, basemap, as_of, title)
        _write(issues_view(conn, selection, options, photo_url=photo_url), output)

    run_job(settings_of(ctx), job)


@app.command("status")
def status_command(
    ctx: typer.Context,
    output: Output,
    village: Villages = None,
    community: Communities = None,
    month: Month = None,
    category: Categories = None,
    lang: LangOpt = Lang.zh,
    basemap: BasemapOpt = BasemapName.osm,
    as_of: AsOf = None,
    title: Title = None,
    town: TownOpt = None,
) -> None:
    """整改进度 of a town: rectification rate and overdue issues per village."""
    from service.mapviews import status_view

    here = cli_town(settings_of(ctx), town)

    def job(conn: Connection) -> None:
        selection = IssueFilter(
            villages=village or [],
            communities=community or [],
            categories=category or [],
            month=parse_month(month) if month else None,
            towns=(here.id,),
        )
        _known_categories(conn, selection)
        options = _options(ctx, lang, basemap, as_of, title)
        _write(status_view(conn, selection, options), output)

    run_job(settings_of(ctx), job)


@app.command("hotspots")
def hotspots_command(
    ctx: typer.Context,
    output: Output,
    village: Villages = None,
    community: Communities = None,
    month: Month = None,
    category: Categories = None,
    found_from: Annotated[
        str | None, typer.Option("--from", help="Issues found on or after YYYY-MM-DD.")
    ] = None,
    found_to: Annotated[
        str | None, typer.Option("--to", help="Issues found on or before YYYY-MM-DD.")
    ] = None,
    grid: Annotated[GridKind, typer.Option("--grid", help="hex (H3) or square cells.")] = (
        GridKind.hex
    ),
    resolution: Annotated[int, typer.Option("--resolution", help="H3 resolution.")] = 9,
    cell_m: Annotated[float, typer.Option("--cell-m", help="Square cell size (m).")] = 300.0,
    lang: LangOpt = Lang.zh,
    basemap: BasemapOpt = BasemapName.osm,
    title: Title = None,
    town: TownOpt = None,
) -> None:
    """问题热点分析 of a town: heat map and Getis-Ord Gi* hot and cold spots (cells and
    distances in the town's metric CRS)."""
    from service.mapviews import hotspots_view

    here = cli_town(settings_of(ctx), town)

    def job(conn: Connection) -> None:
        selection = IssueFilter(
            villages=village or [],
            communities=community or [],
            categories=category or [],
            month=parse_month(month) if month else None,
            towns=(here.id,),
        )
        _known_categories(conn, selection)
        m = hotspots_view(
            conn,
            selection,
            _options(ctx, lang, basemap, None, title),
            found_from=_date(found_from, field="from"),
            found_to=_date(found_to, field="to"),
            grid=grid.value,
            resolution=resolution,
            cell_m=cell_m,
        )
        _write(m, output)

    run_job(settings_of(ctx), job)


@app.command("ranking")
def ranking_command(
    ctx: typer.Context,
    output: Output,
    month: Annotated[
        str | None, typer.Option("--month", help="Show this month first (YYYY-MM).")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="Year-end ranking of this year instead.")
    ] = None,
    community: Communities = None,
    lang: LangOpt = Lang.zh,
    basemap: BasemapOpt = BasemapName.osm,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules file (TOML); default: the town's.")
    ] = None,
    title: Title = None,
    town: TownOpt = None,
) -> None:
    """村容排名 of a town for leaders: monthly rankings (a month selector) or the year-end
    ranking."""
    from scoring.errors import ScoringError
    from scoring.rules import load_rules
    from service.mapviews import ranking_view

    settings = settings_of(ctx)
    here = cli_town(settings, town)

    def job(conn: Connection) -> None:
        def rules_for(the_year: int) -> Rules:
            if rules is None:
                return town_rules_text(here, settings, year=the_year, conn=conn)
            try:
                return load_rules(rules)
            except ScoringError as exc:
                raise InvalidInput(str(exc), field="rules") from None

        m = ranking_view(
            conn,
            _options(ctx, lang, basemap, None, title),
            rules_for=rules_for,
            town_id=here.id,
            month=parse_month(month) if month else None,
            year=year,
            communities=community or [],
        )
        _write(m, output)

    run_job(settings_of(ctx), job)
