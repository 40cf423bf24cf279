"""The issue map for inspectors: clustered pins by category and status, boundaries, popups."""

from __future__ import annotations

from datetime import date

import folium
import geopandas as gpd

from geo.categories import CATEGORIES, CategoryDef
from geo.maps.base import RuntimeCall, add_grids, add_villages, bounds_of, new_map
from geo.maps.basemaps import Basemap, as_basemap
from geo.maps.issue_points import issue_payload
from geo.maps.labels import check_lang, text
from geo.maps.payload import check_villages


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
