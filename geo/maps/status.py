"""The rectification status map: per village the share of issues closed and the overdue count."""

from __future__ import annotations

from datetime import date
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo.categories import CATEGORIES, CategoryDef
from geo.errors import InvalidInput
from geo.maps.base import RuntimeCall, bounds_of, new_map
from geo.maps.basemaps import Basemap, as_basemap
from geo.maps.issue_points import days_overdue, issue_payload
from geo.maps.labels import Lang, check_lang, text
from geo.maps.payload import check_frame, check_villages, geojson, label_points

RATE_BREAKS = (0.5, 0.7, 0.85, 0.95, 1.0)
"""Upper bounds of the rectification-rate classes (share of issues closed)."""
RATE_COLORS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
NO_ISSUES = "#e0e0e0"


def village_rectification(
    issues: pd.DataFrame, villages: pd.DataFrame, *, today: date
) -> pd.DataFrame:
    """Per village: issues, closed, still open, overdue and the rectification rate (closed/all).

    `issues` needs `village_code` and `status` (and `deadline` or `days_overdue` for
    overdue); villages without issues get zero counts and no rate.
    """
    if "village_code" not in issues.columns:
        raise InvalidInput("missing column village_code", field="issues")
    late = days_overdue(issues, today=today) > 0
    frame = pd.DataFrame(
        {
            "code": issues["village_code"].to_numpy(),
            "closed": (issues["status"] == "closed").to_numpy(),
            "overdue": late,
        }
    )
    counts = frame.groupby("code").agg(
        total=("closed", "size"), closed=("closed", "sum"), overdue=("overdue", "sum")
    )
    out = (
        pd.DataFrame({"code": villages["code"].to_numpy()})
        .merge(counts, left_on="code", right_index=True, how="left")
        .fillna({"total": 0, "closed": 0, "overdue": 0})
        .astype({"total": "int64", "closed": "int64", "overdue": "int64"})
    )
    out["open"] = out["total"] - out["closed"]
    out["rate"] = np.where(out["total"] > 0, out["closed"] / out["total"].clip(lower=1), np.nan)
    return out


def _rate_class(rate: float) -> int:
    if np.isnan(rate):
        return -1
    return min(int(np.searchsorted(RATE_BREAKS, rate, side="left")), len(RATE_BREAKS) - 1)


def _rate_period(stats: pd.DataFrame, names: list[str], lang: Lang) -> dict[str, Any]:
    """Each village's rate class, label and tooltip (the choropleth's single period)."""
    cls, labels, tips = [], [], []
    for name, row in zip(names, stats.itertuples(), strict=True):
        cls.append(_rate_class(row.rate))
        rate = "—" if np.isnan(row.rate) else f"{row.rate:.0%}"
        labels.append(f"{rate}\n{name}")
        tips.append(
            [
                [name],
                [text("rectification_rate", lang), rate],
                [text("total", lang), str(row.total)],
                [text("closed", lang), str(row.closed)],
                [text("open_now", lang), str(row.open)],
                [text("overdue_count", lang), str(row.overdue)],
            ]
        )
    return {"key": "now", "label": "", "cls": cls, "labels": labels, "tips": tips}


def _rate_classes() -> list[dict[str, str]]:
    lows = (0.0, *RATE_BREAKS[:-1])
    return [
        {"fill": color, "label": f"{low:.0%} – {high:.0%}"}
        for color, low, high in zip(RATE_COLORS, lows, RATE_BREAKS, strict=True)
    ]


def _status_legend(classes: list[dict[str, str]], *, biggest: int, lang: Lang) -> dict[str, Any]:
    """Rate classes, overdue circle sizes, and the open-issue dot."""
    sizes = [
        {
            "label": str(v),
            "fill": "#c00000",
            "stroke": "#ffffff",
            "shape": "circle",
            "size": round(2 * _radius(v)),
        }
        for v in sorted({1, max(1, biggest // 2), biggest})
    ]
    dot = {"fill": "#888888", "stroke": "#333333", "shape": "circle", "size": 10}
    return {
        "title": text("legend", lang),
        "position": "bottomright",
        "sections": [
            {
                "title": text("rectification_rate", lang),
                "entries": [{"label": c["label"], "fill": c["fill"]} for c in reversed(classes)]
                + [{"label": text("no_issues", lang), "fill": NO_ISSUES}],
            },
            {"title": text("symbol_size", lang), "entries": sizes},
            {"title": "", "entries": [{"label": text("open_issues", lang), **dot}]},
        ],
    }


def _villages_layer(
    villages_d: gpd.GeoDataFrame, stats: pd.DataFrame, points: list[Any], lang: Lang
) -> RuntimeCall:
    """The villages coloured by rectification rate."""
    names = villages_d["name"].astype(str).tolist()
    classes = _rate_classes()
    biggest = max(_most_overdue(stats), 1)
    options = {
        "name": text("villages", lang),
        "className": "cr-village cr-rate",
        "classes": classes,
        "noData": {"fill": NO_ISSUES},
        "fillOpacity": 0.6,
        "line": {"color": "#4a4a4a", "weight": 1.2},
        "outlines": {},
        "periods": [_rate_period(stats, names, lang)],
        "start": 0,
        "panel": False,
        "crowdedLabels": False,  # a phone seeing the whole town: colours and circles only
        "legend": _status_legend(classes, biggest=biggest, lang=lang),
        "text": {"period": text("period", lang)},
    }
    props = [{"_i": i, "_pt": pt} for i, pt in enumerate(points)]
    return RuntimeCall("choropleth", geojson(villages_d, props), options)


def _overdue_symbols(
    stats: pd.DataFrame, names: list[str], points: list[Any], lang: Lang
) -> RuntimeCall:
    """A red circle per village with overdue issues, its area proportional to their count."""
    symbols = [
        {
            "pt": pt,
            "r": _radius(int(row.overdue)),
            "text": str(int(row.overdue)),
            "tip": [[name], [text("overdue_count", lang), str(int(row.overdue))]],
        }
        for pt, name, row in zip(points, names, stats.itertuples(), strict=True)
        if row.overdue > 0
    ]
    options = {
        "name": text("overdue_count", lang),
        "fill": "#c00000",
        "stroke": "#ffffff",
        "className": "cr-overdue",
    }
    return RuntimeCall("symbols", symbols, options)


def status_map(
    issues: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame,
    lang: str = "zh",
    basemap: Basemap | str = "osm",
    today: date | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    categories: tuple[CategoryDef, ...] = CATEGORIES,
) -> folium.Map:
    """整改进度: villages coloured by rectification rate, circles sized by overdue issues,
    and the issues not yet closed drawn beneath as dots."""
    lang = check_lang(lang)
    base = as_basemap(basemap)
    today = today or date.today()
    check_villages(villages)
    check_frame(issues, name="issues", columns=("village_code", "status"), geom_types=("Point",))
    stats = village_rectification(issues, villages, today=today)
    villages_d = base.shift(villages).reset_index(drop=True)
    m = new_map(
        bounds=bounds_of(villages_d),
        basemap=base,
        lang=lang,
        title=title or text("status_map", lang),
        subtitle=subtitle,
        # on a phone the circles are drawn at 60 % (runtime.css .cr-crowded), beside
        # their village: room for the largest right of the east edge
        pad_right_narrow=round(SYMBOL_OFFSET_PX + 2 * 0.6 * _radius(_most_overdue(stats))),
    )
    points = label_points(villages_d)
    m.add_child(_villages_layer(villages_d, stats, points, lang))
    still_open = issues[issues["status"] != "closed"]
    if not still_open.empty:
        data, options = issue_payload(
            base.shift(still_open),
            lang=lang,
            today=today,
            basemap=Basemap("osm"),
            categories=categories,
            cluster=False,
            legend=False,
            name=text("open_issues", lang),
        )
        m.add_child(RuntimeCall("issues", data, options))
    names = villages_d["name"].astype(str).tolist()
    m.add_child(_overdue_symbols(stats, names, points, lang))
    return m


SYMBOL_OFFSET_PX = 26
"""How far right of its village's label point an overdue circle starts (runtime.js
`symbols`: iconAnchor [-26, …])."""


def _most_overdue(stats: pd.DataFrame) -> int:
    """The most overdue issues of one village (0 when none)."""
    return int(stats["overdue"].max() or 0)


def _radius(count: int) -> float:
    """Circle radius in pixels: area proportional to the count."""
    return 6.0 + 4.0 * float(np.sqrt(count))
