"""The ranking map for leaders: villages coloured by score, top 5 and bottom 10 outlined.

The ranking frame has one row per village and period (a month 'YYYY-MM' or a year 'YYYY'):
`village` (code), `period`, `score` (NaN when not scored), `rank`, `top_five`,
`bottom_ten`; optional `previous_rank` (rank in the period before), `items` (the main line
items, one per line), `interview` (who interviews the party secretary, 约谈) and `note`
(a few words beside the village in the side panel; default the interview).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InvalidInput
from geo.maps.base import RuntimeCall, add_communities, bounds_of, new_map
from geo.maps.basemaps import Basemap, as_basemap
from geo.maps.labels import Lang, check_lang, text
from geo.maps.payload import check_villages, geojson, label_points

RANKING_COLUMNS = ("village", "period", "score", "rank", "top_five", "bottom_ten")

SCORE_COLORS = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
"""Sequential greens (ColorBrewer Greens 5): darker is better, legible in grey print too."""

NO_SCORE = "#d9d9d9"
OUTLINE_TOP = {"color": "#08306b", "weight": 4.5}
OUTLINE_BOTTOM = {"color": "#e31a1c", "weight": 4.5, "dash": "10 6"}
LINE = {"color": "#636363", "weight": 1}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^\d{4}$")


def period_label(period: str, lang: Lang) -> str:
    """'2024-04' → '2024年4月' / 'April 2024'; '2024' → '2024年度' / '2024 (year)'."""
    if m := _MONTH.match(period):
        year, month = int(m[1]), int(m[2])
        if lang == "zh":
            return f"{year}年{month}月"
        return pd.Timestamp(year=year, month=month, day=1).strftime("%B %Y")
    if _YEAR.match(period):
        return f"{period}年度" if lang == "zh" else f"{period} (year)"
    return period


def score_breaks(scores: Sequence[float], *, classes: int = 5) -> list[float]:
    """Upper bounds of up to `classes` score classes (Fisher–Jenks), rounded to 0.1."""
    values = np.asarray([s for s in scores if s is not None and not np.isnan(s)], dtype=float)
    distinct = np.unique(np.round(values, 1))
    if distinct.size == 0:
        return [100.0]
    k = int(min(classes, distinct.size))
    if k == 1:
        return [float(distinct[0])]
    # Imported here, not at the top: mapclassify brings scikit-learn, SciPy's stats and
    # matplotlib (≈ 110 MB and 1 s per process), which a service worker should pay only
    # when it draws a ranking, not at start-up.
    import mapclassify

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "numba not installed": pure Python is fast at 44
        bins = mapclassify.FisherJenks(values, k=k).bins
    uppers = sorted({float(np.ceil(b * 10) / 10) for b in bins})
    uppers[-1] = max(uppers[-1], float(np.max(values)))
    return uppers


def _colors(k: int) -> list[str]:
    picks = {1: [4], 2: [1, 4], 3: [0, 2, 4], 4: [0, 1, 3, 4], 5: [0, 1, 2, 3, 4]}[k]
    return [SCORE_COLORS[i] for i in picks]


def check_ranking(ranking: pd.DataFrame) -> None:
    """InvalidInput naming the column or row the ranking map cannot use."""
    missing = [c for c in RANKING_COLUMNS if c not in ranking.columns]
    if missing:
        raise InvalidInput(f"missing column(s) {', '.join(missing)}", field="ranking")
    dup = ranking.duplicated(["village", "period"])
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InvalidInput(
            f"village {ranking['village'].iloc[row]!r} appears twice in period "
            f"{ranking['period'].iloc[row]!r}",
            field="village",
            row=row,
        )


def _change(rank: float | None, previous: float | None, lang: Lang) -> str:
    if rank is None or pd.isna(rank):
        return ""
    if previous is None or pd.isna(previous):
        return text("new", lang)
    delta = int(previous) - int(rank)
    if delta > 0:
        return f"↑{delta} ({text('up', lang)}; {int(previous)})"
    if delta < 0:
        return f"↓{-delta} ({text('down', lang)}; {int(previous)})"
    return f"= ({text('same', lang)})"


def _periods(
    ranking: pd.DataFrame,
    villages: gpd.GeoDataFrame,
    *,
    period: str | None,
    breaks: Sequence[float] | None,
) -> tuple[list[str], str, list[float]]:
    """Check the inputs; the periods, the one shown first and the classes' upper bounds."""
    check_ranking(ranking)
    check_villages(villages)
    unknown = sorted(set(ranking["village"]) - set(villages["code"]))
    if unknown:
        raise InvalidInput(
            f"village(s) {', '.join(map(str, unknown[:5]))} have no boundary", field="village"
        )
    periods = sorted(ranking["period"].astype(str).unique())
    if not periods:
        raise InvalidInput("the ranking is empty (no month with scores)", field="ranking")
    start = period or periods[-1]
    if start not in periods:
        raise InvalidInput(
            f"no ranking for period {start!r}; have {', '.join(periods)}", field="period"
        )
    uppers = list(breaks) if breaks else score_breaks(ranking["score"].tolist())
    if sorted(uppers) != uppers or not 1 <= len(uppers) <= 5:
        raise InvalidInput("expected 1 to 5 increasing class upper bounds", field="breaks")
    return periods, start, uppers


def _shifted(
    villages: gpd.GeoDataFrame, communities: gpd.GeoDataFrame | None, base: Basemap
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame | None]:
    """Villages and communities in the basemap's coordinates; communities default to the
    villages dissolved by `community_name`."""
    villages_d = base.shift(villages).reset_index(drop=True)
    if communities is None and "community_name" in villages_d.columns:
        communities = (
            villages_d[["community_name", "geometry"]]
            .dissolve("community_name")
            .reset_index()
            .rename(columns={"community_name": "name"})
        )
    elif communities is not None:
        communities = base.shift(communities)
    return villages_d, communities


@dataclass(frozen=True)
class _Panel:
    """What every period's payload shares."""

    codes: list[str]
    names: dict[str, str]
    index: dict[str, int]
    uppers: list[float]
    lang: Lang
    has_previous: bool
    top_label: str
    bottom_label: str
    summary: str
    """The side panel's folded line (phones): which lists it holds."""


def _panel(
    ranking: pd.DataFrame,
    villages_d: gpd.GeoDataFrame,
    *,
    periods: list[str],
    uppers: list[float],
    lang: Lang,
) -> _Panel:
    codes = list(villages_d["code"])
    year_end = all(_YEAR.match(p) for p in periods)
    return _Panel(
        codes=codes,
        names=dict(zip(codes, villages_d["name"].astype(str), strict=True)),
        index={code: i for i, code in enumerate(codes)},
        uppers=uppers,
        lang=lang,
        has_previous="previous_rank" in ranking.columns and ranking["previous_rank"].notna().any(),
        top_label=text("top_five_year" if year_end else "top_five", lang),
        bottom_label=text("bottom_five_year" if year_end else "bottom_ten", lang),
        summary=text("panel_year" if year_end else "panel_month", lang),
    )


def _tip(r: dict[str, Any], panel: _Panel, *, rank: str, ranked: int) -> list[list[str]]:
    """The tooltip of a scored village: score, rank, change, line items, interview."""
    lang = panel.lang
    tip = [
        [panel.names[r["village"]]],
        [text("score", lang), f"{float(r['score']):.2f}"],
        [text("rank", lang), f"{rank} / {ranked}"],
    ]
    change = _change(r["rank"], r.get("previous_rank"), lang)
    if change and panel.has_previous:
        tip.append([text("change", lang), change])
    for key in ("items", "interview"):
        value = r.get(key)
        if isinstance(value, str) and value.strip():
            tip.append([text(key, lang), value.strip()])
    return tip


def _period_payload(key: str, rows: pd.DataFrame, panel: _Panel) -> dict[str, Any]:
    """One period: each village's class, label, outline and tooltip, and the side panel."""
    lang, n = panel.lang, len(panel.codes)
    cls: list[int] = [-1] * n
    labels: list[str] = [panel.names[c] for c in panel.codes]
    outline = [0] * n
    tips: list[list[list[str]]] = [
        [[panel.names[c]], [text("score", lang), text("not_scored", lang)]] for c in panel.codes
    ]
    listed: dict[int, list[list[str]]] = {1: [], 2: []}
    ranked = int(rows["rank"].count())
    for r in rows.sort_values("rank", na_position="last").to_dict("records"):
        if pd.isna(r["score"]):
            continue
        i = panel.index[r["village"]]
        found = int(np.searchsorted(panel.uppers, round(float(r["score"]), 4), side="left"))
        cls[i] = min(found, len(panel.uppers) - 1)
        rank = "" if pd.isna(r["rank"]) else str(int(r["rank"]))
        outline[i] = 2 if bool(r["bottom_ten"]) else 1 if bool(r["top_five"]) else 0
        mark = {1: "★", 2: "▼"}.get(outline[i], "")
        labels[i] = f"{mark}{rank}\n{panel.names[r['village']]}"
        tips[i] = _tip(r, panel, rank=rank, ranked=ranked)
        interview, note = r.get("interview"), r.get("note")
        if not isinstance(note, str):
            note = interview if isinstance(interview, str) else ""
        if outline[i]:
            listed[outline[i]].append([rank, panel.names[r["village"]], note])
    return {
        "key": key,
        "label": period_label(key, lang),
        "cls": cls,
        "labels": labels,
        "outline": outline,
        "tips": tips,
        "panel": [
            {"kind": "top", "title": panel.top_label, "items": listed[1]},
            {"kind": "bottom", "title": panel.bottom_label, "items": listed[2]},
        ],
    }


def _legend(classes: list[dict[str, str]], panel: _Panel) -> dict[str, Any]:
    """Score classes (best on top), then the two outlines and the community lines."""
    lang = panel.lang
    top = {"label": "★ " + panel.top_label, "fill": "#ffffff", "stroke": OUTLINE_TOP["color"]}
    bottom = {"label": "▼ " + panel.bottom_label, "fill": "#ffffff"}
    return {
        "title": text("legend", lang),
        "position": "bottomright",
        "sections": [
            {
                "title": text("score_classes", lang),
                "entries": [{"label": c["label"], "fill": c["fill"]} for c in reversed(classes)]
                + [{"label": text("not_scored", lang), "fill": NO_SCORE}],
            },
            {
                "title": "",
                "entries": [
                    {**top, "weight": 4},
                    {**bottom, "stroke": OUTLINE_BOTTOM["color"], "weight": 4, "dash": True},
                    {
                        "label": text("communities", lang),
                        "shape": "line",
                        "stroke": "#1b1b1b",
                        "weight": 3,
                    },
                ],
            },
        ],
    }


def ranking_map(
    ranking: pd.DataFrame,
    *,
    villages: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    basemap: Basemap | str = "osm",
    breaks: Sequence[float] | None = None,
    period: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
) -> folium.Map:
    """村容排名: one coloured map per period (selector), outlines for top 5 and bottom 10.

    `breaks` are the classes' upper bounds (default: Fisher–Jenks over all periods, so a
    colour means the same score in every period); `period` is the one shown first (default
    the latest).
    """
    lang = check_lang(lang)
    base = as_basemap(basemap)
    periods, start, uppers = _periods(ranking, villages, period=period, breaks=breaks)
    villages_d, communities = _shifted(villages, communities, base)
    panel = _panel(ranking, villages_d, periods=periods, uppers=uppers, lang=lang)
    keys = ranking["period"].astype(str)
    payload = [_period_payload(key, ranking[keys == key], panel) for key in periods]
    lows = [float(ranking["score"].min()), *uppers[:-1]]
    classes = [
        {"fill": color, "label": f"{low:.1f} – {high:.1f}"}
        for color, low, high in zip(_colors(len(uppers)), lows, uppers, strict=True)
    ]
    m = new_map(
        bounds=bounds_of(villages_d),
        basemap=base,
        lang=lang,
        title=title or text("ranking_map", lang),
        subtitle=subtitle,
        pad_left=270,
    )
    add_communities(m, communities, lang=lang)
    props = [{"_i": i, "_pt": pt} for i, pt in enumerate(label_points(villages_d))]
    options = {
        "name": text("villages", lang),
        "className": "cr-village cr-ranked",
        "classes": classes,
        "noData": {"fill": NO_SCORE},
        "fillOpacity": 0.85,
        "line": LINE,
        "outlines": {"1": OUTLINE_TOP, "2": OUTLINE_BOTTOM},
        "periods": payload,
        "start": periods.index(start),
        "panel": True,
        "legend": _legend(classes, panel),
        "text": {"period": text("period", lang), "panel": panel.summary},
    }
    m.add_child(RuntimeCall("choropleth", geojson(villages_d, props), options))
    return m
