"""The issue map for inspectors: clustered pins by category and status, boundaries, popups."""

from __future__ import annotations

from datetime import date

import folium
import geopandas as gpd

from geo.categories import CATEGORIES, CategoryDef
from geo.errors import InvalidInput
from geo.maps.base import RuntimeCall, add_grids, add_villages, bounds_of, new_map
from geo.maps.basemaps import Basemap, as_basemap
from geo.maps.issue_points import issue_payload
from geo.maps.labels import category_label, check_lang, status_label, text, texts
from geo.maps.payload import check_color, check_villages
from geo.models import ISSUE_STATUSES


def issue_map(
    issues: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    basemap: Basemap | str = "osm",
    today: date | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    categories: tuple[CategoryDef, ...] = CATEGORIES,
    cluster: bool = True,
) -> folium.Map:
    """问题分布图: issues clustered (splitting as one zooms), one toggle per category and status.

    The data travel once as columns; pins, popups and legend are drawn in the browser, and
    every user text is set as text. The view fits the issues (or the villages when none).
    """
    lang = check_lang(lang)
    base = as_basemap(basemap)
    check_villages(villages)
    today = today or date.today()
    issues_d = base.shift(issues)
    villages_d = base.shift(villages)
    grids_d = base.shift(grids) if grids is not None else None
    m = new_map(
        bounds=bounds_of(issues_d, villages_d),
        basemap=base,
        lang=lang,
        title=title or text("issue_map", lang),
        subtitle=subtitle,
    )
    m.require("markercluster")
    add_villages(m, villages_d, lang=lang)
    add_grids(m, grids_d, lang=lang)
    data, options = issue_payload(
        issues_d,
        lang=lang,
        today=today,
        basemap=_NO_SHIFT,
        categories=categories,
        cluster=cluster,
        name=text("issues", lang),
    )
    m.add_child(RuntimeCall("issues", data, options))
    return m


_NO_SHIFT = Basemap("osm")
"""The frames are shifted once up front; the payload must not shift them again."""


TILE_RAMP = (
    (1, "#fde0c5"),
    (10, "#facba6"),
    (50, "#f59e72"),
    (200, "#eb7f54"),
    (1000, "#d85a3b"),
    (5000, "#a8321e"),
)
"""Fill of an aggregated cell by its number of issues (light → dark)."""


def issue_tile_map(
    *,
    tiles_url: str,
    detail_url: str,
    villages: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame | None = None,
    points_zoom: int,
    lang: str = "zh",
    basemap: Basemap | str = "osm",
    title: str | None = None,
    subtitle: str | None = None,
    categories: tuple[CategoryDef, ...] = CATEGORIES,
) -> folium.Map:
    """问题分布图 for a selection too large to embed: the issues are drawn from vector tiles
    (`tiles_url`, a {z}/{x}/{y} template of the service's /tiles/issues route, Leaflet.VectorGrid)
    — counts per cell below `points_zoom`, points from it on; a point's popup fetches the issue
    from `detail_url` ({id}). Boundaries are embedded as in `issue_map`; the view fits them.

    The tiles are in WGS-84, so the basemap must not shift vectors (高德 is refused)."""
    lang = check_lang(lang)
    base = as_basemap(basemap)
    if base.gcj02:
        raise InvalidInput(
            "the tiled issue map is drawn in WGS-84; choose the osm, tianditu or plain basemap",
            field="basemap",
        )
    check_villages(villages)
    m = new_map(
        bounds=bounds_of(villages),
        basemap=base,
        lang=lang,
        title=title or text("issue_map", lang),
        subtitle=subtitle,
    )
    m.require("vectorgrid")
    add_villages(m, villages, lang=lang)
    add_grids(m, grids, lang=lang)
    texts_ = texts(
        lang,
        "legend",
        "category",
        "per_cell",
        "count",
        "open_now",
        "overdue_count",
        "zoom_in",
        "loading",
        "not_loaded",
        "found_on",
        "deadline",
        "closed_on",
        "village",
        "grid",
        "history",
        "photos",
    )
    texts_["zoom_note"] = (
        f"第{points_zoom}级起显示单个问题"
        if lang == "zh"
        else f"Single issues from zoom {points_zoom}"
    )
    m.add_child(
        RuntimeCall(
            "issueTiles",
            {
                "url": tiles_url,
                "detailUrl": detail_url,
                "pointsZoom": points_zoom,
                "name": text("issues", lang),
                "ramp": [{"from": n, "color": c} for n, c in TILE_RAMP],
                "categories": [
                    {
                        "code": c.code,
                        "label": category_label(c, lang),
                        "color": check_color(c.color, field=f"category {c.code} color"),
                    }
                    for c in categories
                ],
                "statuses": [{"code": s, "label": status_label(s, lang)} for s in ISSUE_STATUSES],
                "text": texts_,
            },
        )
    )
    return m
