"""The four maps composed from the database: frames read by geo.frames, maps drawn by geo.maps.

Used by both `cunrong map …` (standalone files) and the service's /maps/… pages, so a map
exported by hand and one opened in the browser are the same map.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import folium
import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, func, select

from geo import frames, issue_reader
from geo.categories import CATEGORIES
from geo.errors import InvalidInput
from geo.hotspots import GridKind, hotspots
from geo.interviews import interview_wording
from geo.issue_filter import IssueFilter
from geo.maps.basemaps import BASEMAPS, Basemap, choose_basemap
from geo.maps.hotspots import hotspot_map
from geo.maps.issues import issue_map, issue_tile_map
from geo.maps.ranking import ranking_map
from geo.maps.status import status_map
from geo.models import ObservationScore, Village
from geo.towns import list_towns
from scoring.errors import ScoringError
from scoring.monthly import monthly_results
from scoring.results import MonthlyResult, MonthlyStanding, YearResult
from scoring.rules import Rules
from scoring.yearly import year_result
from service.scoring_data import load_scoring_input
from service.settings import ServiceSettings


@dataclass(frozen=True)
class MapOptions:
    """How a map is drawn: language, basemap, the day overdue is counted from, a title,
    and the settings it needs (天地图 key) — see `map_options`."""

    lang: str = "zh"
    basemap: str = "osm"
    today: date = field(default_factory=date.today)
    title: str | None = None
    tianditu_key: str | None = None
    metric_srid: int | None = None
    """The metric CRS of hot spot cells and site geometry; None (the service, the CLI):
    each town's own (`town.metric_srid`), so a town in another Gauss-Krüger zone is drawn
    in its zone. A number forces one CRS (tests, comparisons)."""

    def __post_init__(self) -> None:
        if self.lang not in ("zh", "en"):
            raise InvalidInput(f"expected lang zh or en, got {self.lang!r}", field="lang")
        if self.basemap not in BASEMAPS:
            raise InvalidInput(
                f"unknown basemap {self.basemap!r}; expected one of {', '.join(BASEMAPS)}",
                field="basemap",
            )

    def tiles(self) -> Basemap:
        """The basemap (天地图 needs TIANDITU_KEY; 高德 shifts every vector to GCJ-02)."""
        return choose_basemap(self.basemap, tianditu_key=self.tianditu_key or None)


def map_options(
    settings: ServiceSettings,
    *,
    lang: str = "zh",
    basemap: str = "osm",
    today: date | None = None,
    title: str | None = None,
) -> MapOptions:
    """MapOptions carrying the settings a map needs (天地图 key). The metric CRS is not a
    setting here: it is the town's (`MapOptions.metric_srid`)."""
    return MapOptions(
        lang=lang,
        basemap=basemap,
        today=today or date.today(),
        title=title,
        tianditu_key=settings.tianditu_key,
    )


def _selection_label(selection: IssueFilter, lang: str) -> str:
    parts = [*selection.villages, *selection.communities]
    return " · ".join(parts) if parts else ("全镇" if lang == "zh" else "whole town")


@dataclass(frozen=True)
class TileSwitch:
    """When and how the issue map draws from vector tiles (the service's /tiles routes)."""

    over: int
    """More issues than this in the selection: tiles; else embedded."""
    tiles_url: str
    """{z}/{x}/{y} template of the issue tiles, carrying the selection's query."""
    detail_url: str
    """{id} template of one issue's JSON (the popups fetch it)."""
    points_zoom: int
    """From this zoom on the tiles carry points."""


def issues_view(
    conn: Connection,
    selection: IssueFilter,
    options: MapOptions,
    *,
    photo_url: str | None = frames.PHOTO_URL,
    tiles: TileSwitch | None = None,
) -> folium.Map:
    """问题分布图 for inspectors: clustered issues, village and grid boundaries, popups.

    With `tiles`, a selection of more than `tiles.over` issues is drawn from vector tiles
    instead of being embedded (docs/tiles.md)."""
    villages = frames.villages_frame(
        conn, villages=selection.villages, communities=selection.communities, towns=selection.towns
    )
    grids = frames.grids_frame(
        conn, villages=selection.villages, communities=selection.communities, towns=selection.towns
    )
    if tiles is not None:
        total = issue_reader.count(conn, issue_reader.IssueQuery(selection=selection))
        if total > tiles.over:
            m = issue_tile_map(
                tiles_url=tiles.tiles_url,
                detail_url=tiles.detail_url,
                villages=villages,
                grids=grids,
                points_zoom=tiles.points_zoom,
                lang=options.lang,
                basemap=options.tiles(),
                title=options.title,
                subtitle=f"{_selection_label(selection, options.lang)} · {total}",
            )
            return with_chosen_sites(conn, m, options, villages=tuple(villages["code"]))
    issues = frames.issues_frame(conn, selection, photo_url=photo_url, lang=options.lang)
    m = issue_map(
        issues,
        villages=villages,
        grids=grids,
        lang=options.lang,
        basemap=options.tiles(),
        today=options.today,
        title=options.title,
        subtitle=f"{_selection_label(selection, options.lang)} · {len(issues)}",
    )
    return with_chosen_sites(conn, m, options, villages=tuple(villages["code"]))


def status_view(conn: Connection, selection: IssueFilter, options: MapOptions) -> folium.Map:
    """整改进度: rectification rate and overdue issues per village, open issues beneath."""
    issues = frames.issues_frame(conn, selection, history=True, lang=options.lang)
    villages = frames.villages_frame(
        conn, villages=selection.villages, communities=selection.communities, towns=selection.towns
    )
    return status_map(
        issues,
        villages=villages,
        lang=options.lang,
        basemap=options.tiles(),
        today=options.today,
        title=options.title,
        subtitle=f"{_selection_label(selection, options.lang)} · {len(issues)}",
    )


def hotspots_view(
    conn: Connection,
    selection: IssueFilter,
    options: MapOptions,
    *,
    found_from: date | None = None,
    found_to: date | None = None,
    grid: str = "hex",
    resolution: int = 9,
    cell_m: float = 300.0,
) -> folium.Map:
    """问题热点分析: heat map and Getis-Ord Gi* hot and cold spots."""
    if grid not in ("hex", "square"):
        raise InvalidInput(f"expected grid hex or square, got {grid!r}", field="grid")
    kind: GridKind = "hex" if grid == "hex" else "square"
    issues = frames.issues_frame(
        conn, selection, found_from=found_from, found_to=found_to, history=False, photo_url=None
    )
    villages = frames.villages_frame(
        conn, villages=selection.villages, communities=selection.communities, towns=selection.towns
    )
    cells = town_hotspots(
        conn,
        selection,
        points=issues,
        found_from=found_from,
        found_to=found_to,
        grid=kind,
        resolution=resolution,
        cell_m=cell_m,
        metric_srid=options.metric_srid,
    )
    labels = {c.code: c.label_zh if options.lang == "zh" else c.label_en for c in CATEGORIES}
    chosen = ", ".join(labels.get(c, c) for c in selection.categories)
    period = (
        f"{selection.month:%Y-%m}"
        if selection.month
        else " – ".join(f"{d}" for d in (found_from, found_to) if d)
    )
    subtitle = " · ".join(
        p for p in (_selection_label(selection, options.lang), chosen, period) if p
    )
    return hotspot_map(
        issues,
        cells,
        villages=villages,
        lang=options.lang,
        basemap=options.tiles(),
        title=options.title,
        subtitle=subtitle,
    )


def town_hotspots(
    conn: Connection,
    selection: IssueFilter,
    *,
    points: gpd.GeoDataFrame | None = None,
    found_from: date | None = None,
    found_to: date | None = None,
    grid: GridKind = "hex",
    resolution: int = 9,
    cell_m: float = 300.0,
    metric_srid: int | None = None,
) -> gpd.GeoDataFrame:
    """Gi* hot and cold spots of the selection, town by town: each town of the selection's
    scope that has selected villages is its own study area (its villages, its issues, the
    statistic's mean and spread over its cells), its square cells laid out and its distances
    measured in its own metric CRS (`metric_srid` forces one). A district reader's map is so
    the towns' maps side by side, as `cunrong region run` computes them (per town).

    `points`: the selection's issues when already read (used as they are when the selection
    lies in one town)."""
    chosen: dict[int, list[str]] = {}
    for town_id, code in conn.execute(
        select(Village.town_id, Village.code)
        .where(
            *frames.village_conditions(
                villages=selection.villages,
                communities=selection.communities,
                towns=selection.towns,
            )
        )
        .order_by(Village.code)
    ):
        chosen.setdefault(town_id, []).append(code)
    areas = [
        (town, frames.villages_frame(conn, villages=chosen[town.id], towns=(town.id,)))
        for town in list_towns(conn, None if selection.towns is None else tuple(selection.towns))
        if town.id in chosen
    ]
    parts: list[gpd.GeoDataFrame] = []
    for town, area in areas:
        if points is None or len(areas) > 1:
            town_points = frames.issues_frame(
                conn,
                replace(selection, towns=(town.id,)),
                found_from=found_from,
                found_to=found_to,
                history=False,
                photo_url=None,
            )
        else:
            town_points = points
        cells = hotspots(
            town_points,
            area,
            grid=grid,
            resolution=resolution,
            cell_m=cell_m,
            metric_srid=metric_srid or town.metric_srid,
        )
        parts.append(cells.assign(town=town.code, metric_srid=metric_srid or town.metric_srid))
    if not parts:
        raise InvalidInput("the study area is empty (no village selected)", field="area")
    if len(parts) == 1:
        return parts[0]
    out = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=4326)
    out.attrs.update(parts[0].attrs)
    for key in ("cells", "points", "outside"):
        out.attrs[key] = sum(int(p.attrs[key]) for p in parts)
    out.attrs["tested"] = all(p.attrs["tested"] for p in parts)
    out.attrs["towns"] = len(parts)
    return out


def latest_scored_month(conn: Connection, town_id: int | None = None) -> date | None:
    """The most recent month with observation scores (of the town `town_id`; None: any)."""
    stmt = select(func.max(ObservationScore.month))
    if town_id is not None:
        stmt = stmt.join(Village, Village.id == ObservationScore.village_id).where(
            Village.town_id == town_id
        )
    return conn.execute(stmt).scalar()


def ranking_view(
    conn: Connection,
    options: MapOptions,
    *,
    rules_for: Callable[[int], Rules],
    month: date | None = None,
    year: int | None = None,
    communities: Sequence[str] = (),
    town_id: int | None = None,
) -> folium.Map:
    """村容排名 for leaders: monthly rankings (month selector) or the year-end ranking, of
    the town `town_id` (None: every village, for a single-town database)."""
    if month and year:
        raise InvalidInput("give month or year, not both", field="year")
    wanted = month
    if wanted is None and year is None:
        wanted = latest_scored_month(conn, town_id)
        if wanted is None:
            raise InvalidInput("no observation scores in the database yet", field="month")
    if year:
        the_year = year
    else:
        assert wanted is not None  # the month asked for, or the latest scored one
        the_year = wanted.year
    rules = rules_for(the_year)  # the town's rules of that year
    try:
        data = load_scoring_input(
            conn,
            the_year,
            third_party_cutoff=rules.third_party.cutoff_date(the_year),
            town_id=town_id,
        )
        if year:
            frame = ranking_frame_from_year(year_result(data, rules, year), lang=options.lang)
        else:
            months = monthly_results(data, rules)
            frame = ranking_frame_from_months(
                [r for r in months if r.month.startswith(str(the_year))],
                previous=months,
                lang=options.lang,
            )
    except ScoringError as exc:
        raise InvalidInput(str(exc), field="month") from None
    if frame.empty:
        raise InvalidInput(f"no observation scores in {the_year}", field="month")
    towns = None if town_id is None else (town_id,)
    villages = frames.villages_frame(conn, communities=communities, towns=towns)
    frame = frame[frame["village"].isin(villages["code"])]
    m = ranking_map(
        frame,
        villages=villages,
        communities=frames.communities_frame(conn, communities=communities, towns=towns),
        lang=options.lang,
        basemap=options.tiles(),
        period=f"{wanted:%Y-%m}" if wanted else None,
        title=options.title,
    )
    return with_chosen_sites(conn, m, options, villages=tuple(villages["code"]))


def with_chosen_sites(
    conn: Connection, m: folium.Map, options: MapOptions, *, villages: Sequence[str]
) -> folium.Map:
    """Add the planners' chosen micro-landscape sites as a layer, when there are any."""
    from geo.maps.sites import add_chosen_sites
    from geo.sites import chosen_sites

    chosen = chosen_sites(conn, villages=villages)
    if chosen.empty:
        return m
    return add_chosen_sites(m, chosen, lang=options.lang, basemap=options.tiles())


def _points(value: float) -> str:
    return f"{value:+.2f}".replace("-", "−")


def _panel_note(standing: MonthlyStanding, lang: str = "zh") -> str | None:
    """A few words for the side panel: 约谈, and whether it is the second month running."""
    if not standing.bottom_ten:
        return None
    if lang == "en":
        return "2 months · principal" if standing.streak else "leader in charge"
    return "连续两月 · 主要领导约谈" if standing.streak else "分管领导约谈"


RANKING_FRAME_COLUMNS = [
    "village",
    "period",
    "score",
    "rank",
    "top_five",
    "bottom_ten",
    "previous_rank",
    "items",
    "interview",
    "note",
]


def ranking_frame_from_months(
    results: Sequence[MonthlyResult], *, previous: Sequence[MonthlyResult] = (), lang: str = "zh"
) -> pd.DataFrame:
    """scoring's monthly results → the ranking map's frame (one row per village and month);
    the interview and the panel's note in `lang`."""
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
                    "interview": interview_wording(s.interview, s.streak, lang),
                    "note": _panel_note(s, lang),
                }
            )
    frame = pd.DataFrame(rows, columns=RANKING_FRAME_COLUMNS)
    frame["previous_rank"] = frame["previous_rank"].astype("Int64")
    return frame


def ranking_frame_from_year(result: YearResult, *, lang: str = "zh") -> pd.DataFrame:
    """scoring's year-end result → the ranking map's frame (top 5 rewarded, bottom 5 flagged);
    the panel's note in `lang`."""
    rows = []
    for v in result.villages:
        if v.total is None:
            continue
        lines = [f"{i.rule} {_points(i.points)} {i.reason}" for i in v.items if i.rule != "M4"]
        if v.penalties:
            lines.append(f"M4 {_points(-v.penalties)}")
        note = None
        if v.reward_yuan > 0:
            note = f"奖励{v.reward_yuan}元" if lang != "en" else f"reward {v.reward_yuan} yuan"
        elif v.pay_deduction:
            note = "扣发绩效" if lang != "en" else "performance pay cut"
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
                "note": note,
            }
        )
    frame = pd.DataFrame(rows, columns=RANKING_FRAME_COLUMNS)
    frame["previous_rank"] = frame["previous_rank"].astype("Int64")
    return frame


def sites_view(
    conn: Connection,
    options: MapOptions,
    *,
    villages: Sequence[str] = (),
    candidates: gpd.GeoDataFrame | None = None,
    include_rejected: bool = False,
    decide_url: str | None = None,
) -> folium.Map:
    """小微景观选址 for planners: ranked candidates with reasons, roads, entrances, water;
    with `decide_url` (PUT /sites/{key}/decision) the popups take a planner's decision."""
    from geo.maps.sites import sites_map
    from geo.sites import find_candidates, site_map_layers

    if candidates is None:
        candidates = find_candidates(
            conn,
            villages=villages,
            include_rejected=include_rejected,
            srid=options.metric_srid,  # None: each town's own
        )
    layers = site_map_layers(conn, villages=villages)
    return sites_map(
        candidates,
        villages=layers.villages,
        roads=layers.roads,
        entrances=layers.entrances,
        water=layers.water,
        lang=options.lang,
        basemap=options.tiles(),
        title=options.title,
        decide_url=decide_url,
    )
