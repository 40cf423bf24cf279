"""`cunrong map issues|ranking|hotspots|status … -o FILE.html`: one standalone HTML file each.

Mounted by the root app as a sub-app: `app.add_typer(maps.app, name="map")`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import pandas as pd
import typer
from sqlalchemy import Connection

from geo.errors import CunrongError, InvalidInput
from geo.issue_filter import BBox, IssueFilter, parse_month
from scoring.results import MonthlyResult, YearResult

app = typer.Typer(
    help="地图导出: issue, ranking, hotspot and rectification maps as standalone HTML files.",
    no_args_is_help=True,
)


class Lang(StrEnum):
    """Language of the labels."""

    zh = "zh"
    en = "en"


class BasemapName(StrEnum):
    """Tiles under the vectors (天地图 needs TIANDITU_KEY; 高德 shifts vectors to GCJ-02)."""

    osm = "osm"
    tianditu = "tianditu"
    tianditu_img = "tianditu_img"
    gaode = "gaode"
    gaode_img = "gaode_img"
    plain = "plain"


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


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _date(value: str | None, *, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"expected a date YYYY-MM-DD, got {value!r}", field=field) from None


def _basemap(name: BasemapName):
    from geo.maps.basemaps import choose_basemap

    return choose_basemap(name.value, tianditu_key=os.environ.get("TIANDITU_KEY") or None)


def _connect():
    from geo.db import make_engine

    return make_engine()


def _write(m, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    m.save(str(output))
    typer.echo(f"wrote {output} ({output.stat().st_size / 1e6:.2f} MB)")


def _selection(villages: Sequence[str], communities: Sequence[str], lang: Lang) -> str:
    parts = [*villages, *communities]
    return " · ".join(parts) if parts else ("全镇" if lang == Lang.zh else "whole town")


def _run(job) -> None:
    """Run a map job: domain errors become one line on stderr and exit code 1."""
    engine = None
    try:
        engine = _connect()
        with engine.connect() as conn:
            job(conn)
    except CunrongError as exc:
        _fail(str(exc))
    except Exception as exc:
        if exc.__class__.__module__.startswith(("sqlalchemy", "psycopg")):
            _fail(f"cannot read from the database ({exc.__class__.__name__}: {exc})")
        raise
    finally:
        if engine is not None:
            engine.dispose()


@app.command("issues")
def issues_command(
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
) -> None:
    """问题分布图 for inspectors: clustered issues, boundaries, popups."""
    from geo import frames
    from geo.maps.issues import issue_map

    def job(conn: Connection) -> None:
        villages, communities = village or [], community or []
        flt = IssueFilter(
            villages=villages,
            communities=communities,
            statuses=status or [],
            categories=category or [],
            month=parse_month(month) if month else None,
            bbox=BBox.parse(bbox) if bbox else None,
        )
        photo_url = photo_base_url.rstrip("/") + frames.PHOTO_URL if photo_base_url else None
        issues = frames.issues_frame(conn, flt, photo_url=photo_url, lang=lang.value)
        vframe = frames.villages_frame(conn, villages=villages, communities=communities)
        grids = frames.grids_frame(conn, villages=villages, communities=communities)
        subtitle = f"{_selection(villages, communities, lang)} · {len(issues)}"
        m = issue_map(
            issues,
            villages=vframe,
            grids=grids,
            lang=lang.value,
            basemap=_basemap(basemap),
            today=_date(as_of, field="as_of") or date.today(),
            title=title,
            subtitle=subtitle,
        )
        _write(m, output)

    _run(job)


@app.command("status")
def status_command(
    output: Output,
    village: Villages = None,
    community: Communities = None,
    month: Month = None,
    category: Categories = None,
    lang: LangOpt = Lang.zh,
    basemap: BasemapOpt = BasemapName.osm,
    as_of: AsOf = None,
    title: Title = None,
) -> None:
    """整改进度: rectification rate and overdue issues per village."""
    from geo import frames
    from geo.maps.status import status_map

    def job(conn: Connection) -> None:
        villages, communities = village or [], community or []
        flt = IssueFilter(
            villages=villages,
            communities=communities,
            categories=category or [],
            month=parse_month(month) if month else None,
        )
        issues = frames.issues_frame(conn, flt, history=True, lang=lang.value)
        vframe = frames.villages_frame(conn, villages=villages, communities=communities)
        m = status_map(
            issues,
            villages=vframe,
            lang=lang.value,
            basemap=_basemap(basemap),
            today=_date(as_of, field="as_of") or date.today(),
            title=title,
            subtitle=f"{_selection(villages, communities, lang)} · {len(issues)}",
        )
        _write(m, output)

    _run(job)


@app.command("hotspots")
def hotspots_command(
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
) -> None:
    """问题热点分析: heat map and Getis-Ord Gi* hot and cold spots."""
    from geo import frames
    from geo.hotspots import hotspots
    from geo.maps.hotspots import hotspot_map
    from geo.settings import get_settings

    def job(conn: Connection) -> None:
        villages, communities = village or [], community or []
        flt = IssueFilter(
            villages=villages,
            communities=communities,
            categories=category or [],
            month=parse_month(month) if month else None,
        )
        issues = frames.issues_frame(
            conn,
            flt,
            found_from=_date(found_from, field="from"),
            found_to=_date(found_to, field="to"),
            history=False,
            photo_url=None,
        )
        vframe = frames.villages_frame(conn, villages=villages, communities=communities)
        cells = hotspots(
            issues,
            vframe,
            grid=grid.value,
            resolution=resolution,
            cell_m=cell_m,
            metric_srid=get_settings().metric_srid,
        )
        period = month or " – ".join(p for p in (found_from, found_to) if p)
        subtitle = " · ".join(
            p
            for p in (_selection(villages, communities, lang), ", ".join(category or []), period)
            if p
        )
        m = hotspot_map(
            issues,
            cells,
            villages=vframe,
            lang=lang.value,
            basemap=_basemap(basemap),
            title=title,
            subtitle=subtitle,
        )
        _write(m, output)

    _run(job)


@app.command("ranking")
def ranking_command(
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
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules file (TOML).")] = None,
    title: Title = None,
) -> None:
    """村容排名 for leaders: monthly rankings (a month selector) or the year-end ranking."""
    from geo import frames
    from geo.maps.ranking import ranking_map
    from scoring.errors import ScoringError
    from scoring.monthly import monthly_results
    from scoring.rules import load_rules
    from scoring.yearly import year_result
    from service.scoring_data import load_scoring_input

    def job(conn: Connection) -> None:
        if month and year:
            raise InvalidInput("give --month or --year, not both", field="year")
        wanted = parse_month(month) if month else None
        the_year = year or (wanted.year if wanted else date.today().year)
        try:
            data = load_scoring_input(conn, the_year)
            rule_set = load_rules(rules)
            if year:
                frame = ranking_frame_from_year(year_result(data, rule_set, year))
            else:
                months = monthly_results(data, rule_set)
                frame = ranking_frame_from_months(
                    [r for r in months if r.month.startswith(str(the_year))], previous=months
                )
        except ScoringError as exc:
            raise InvalidInput(str(exc), field="month") from None
        if frame.empty:
            raise InvalidInput(f"no observation scores in {the_year}", field="month")
        vframe = frames.villages_frame(conn, communities=community or [])
        frame = frame[frame["village"].isin(vframe["code"])]
        m = ranking_map(
            frame,
            villages=vframe,
            communities=frames.communities_frame(conn, communities=community or []),
            lang=lang.value,
            basemap=_basemap(basemap),
            period=f"{wanted:%Y-%m}" if wanted else None,
            title=title,
        )
        _write(m, output)

    _run(job)


def _points(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def ranking_frame_from_months(
    results: Sequence[MonthlyResult], *, previous: Sequence[MonthlyResult] = ()
) -> pd.DataFrame:
    """scoring's monthly results → the ranking map's frame (one row per village and month)."""
    by_month = {r.month: r for r in (*previous, *results)}
    rows = []
    for result in results:
        year, mon = int(result.month[:4]), int(result.month[5:7])
        before = f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"
        earlier = by_month.get(before)
        for s in result.ranking:
            prev = earlier.standing(s.village) if earlier else None
            items = [f"M1 {s.score:.2f} ({s.group_count})"]
            items += [f"{i.rule} {_points(i.points)} {i.reason}" for i in s.items]
            rows.append(
                {
                    "village": s.village,
                    "period": result.month,
                    "score": s.score,
                    "rank": s.rank,
                    "top_five": s.rank <= 5,
                    "bottom_ten": s.bottom_ten,
                    "previous_rank": prev.rank if prev else None,
                    "items": "\n".join(items),
                    "interview": s.interview,
                }
            )
    frame = pd.DataFrame(rows, columns=_RANKING_FRAME_COLUMNS)
    frame["previous_rank"] = frame["previous_rank"].astype("Int64")
    return frame


def ranking_frame_from_year(result: YearResult) -> pd.DataFrame:
    """scoring's year-end result → the ranking map's frame (top 5 rewarded, bottom 5 flagged)."""
    rows = []
    for v in result.villages:
        if v.total is None:
            continue
        lines = [f"{i.rule} {_points(i.points)} {i.reason}" for i in v.items if i.rule != "M4"]
        if v.penalties:
            lines.append(f"M4 {_points(-v.penalties)}")
        rows.append(
            {
                "village": v.village,
                "period": str(result.year),
                "score": v.total,
                "rank": v.rank,
                "top_five": v.reward_yuan > 0,
                "bottom_ten": v.pay_deduction,
                "previous_rank": None,
                "items": "\n".join(lines[:8]),
                "interview": None,
            }
        )
    frame = pd.DataFrame(rows, columns=_RANKING_FRAME_COLUMNS)
    frame["previous_rank"] = frame["previous_rank"].astype("Int64")
    return frame


_RANKING_FRAME_COLUMNS = [
    "village",
    "period",
    "score",
    "rank",
    "top_five",
    "bottom_ten",
    "previous_rank",
    "items",
    "interview",
]
