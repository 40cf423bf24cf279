"""What every map of the town starts with: basemaps, a title, the view of the selection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import pandas as pd
from branca.element import Figure, MacroElement
from folium.template import Template

from geo.maps.assets import TownMap
from geo.maps.basemaps import Basemap
from geo.maps.labels import Lang, text
from geo.maps.payload import geojson, js_json, label_points

MAX_ZOOM = 19
DETAIL_ZOOM = 15
"""From this zoom on, grid names and other small labels are shown."""


class RuntimeCall(MacroElement):
    """One call into the cunrong runtime, with the map and JSON arguments."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "cunrong.{{ this.function }}({{ this._parent.get_name() }}{{ this.arguments }});\n"
        "{% endmacro %}"
    )

    def __init__(self, function: str, *args: Any):
        super().__init__()
        self._name = "CunrongCall"
        self.function = function
        self.arguments = "".join(", " + js_json(a) for a in args)


class Ready(MacroElement):
    """Tells the page (and the tests) that every layer has been drawn."""

    _template = Template("{% macro script(this, kwargs) %}cunrong.done();\n{% endmacro %}")


class ReadyTownMap(TownMap):
    """A TownMap that signals readiness after all its layers."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # see TownMap.render
        """Render with the readiness call last (once, however often the map is rendered)."""
        ready = self._children.pop("cunrong_ready", None) or Ready()
        self.add_child(ready, name="cunrong_ready")
        super().render(**kwargs)


def new_map(
    *,
    bounds: Sequence[float] | None,
    basemap: Basemap,
    lang: Lang,
    title: str,
    subtitle: str | None = None,
    pad_left: int = 20,
    pad_right_narrow: int | None = None,
) -> ReadyTownMap:
    """An empty town map looking at `bounds` (west, south, east, north) with its basemaps.

    `pad_left`: room kept left of the bounds for a side panel shown open (wide screens);
    `pad_right_narrow`: room kept right of them on a phone, for symbols drawn beside the
    villages of the east edge."""
    m = ReadyTownMap(location=_centre(bounds), zoom_start=13, zoom_snap=0.25, zoom_delta=0.5)
    # the page's own title (browser tab, history, home-screen shortcut), like the pages'
    root = m.get_root()
    if isinstance(root, Figure):
        root.title = f"{title} · {'村容' if lang == 'zh' else 'cunrong'}"
    m.add_child(
        RuntimeCall("setup", {"maxZoom": MAX_ZOOM, "detailZoom": DETAIL_ZOOM, "lang": lang})
    )
    m.add_child(RuntimeCall("basemaps", basemap.layers(lang)))
    m.add_child(RuntimeCall("title", title, subtitle or ""))
    if bounds is not None:
        west, south, east, north = bounds
        pad = {"top": 70, "side": 20, "left": pad_left}
        if pad_right_narrow is not None:
            pad["rightNarrow"] = pad_right_narrow
        m.add_child(RuntimeCall("fit", [[south, west], [north, east]], pad))
    return m


def _centre(bounds: Sequence[float] | None) -> list[float]:
    if bounds is None:
        return [39.0, 117.0]
    west, south, east, north = bounds
    return [(south + north) / 2, (west + east) / 2]


def bounds_of(*frames: gpd.GeoDataFrame | None) -> tuple[float, float, float, float] | None:
    """The box around the first non-empty frame (the selection decides the view)."""
    for frame in frames:
        if frame is not None and not frame.empty:
            west, south, east, north = (float(v) for v in frame.total_bounds)
            return west, south, east, north
    return None


def add_villages(
    m: TownMap,
    villages: gpd.GeoDataFrame,
    *,
    lang: Lang,
    labels: bool = True,
    show: bool = True,
    fill: bool = False,
) -> None:
    """Village boundaries with their names (names are set as text in the page)."""
    props = [
        {
            "name": str(row.get("name") or row.get("code") or ""),
            "code": str(row.get("code") or ""),
            "community": _clean(row.get("community_name")),
            "_pt": pt,
        }
        for row, pt in zip(villages.to_dict("records"), label_points(villages), strict=True)
    ]
    tip = [["name"], [text("community", lang), "community"]]
    m.add_child(
        RuntimeCall(
            "boundaries",
            geojson(villages, props),
            {
                "name": text("villages", lang),
                "style": {
                    "className": "cr-village",
                    "color": "#3a3a3a",
                    "weight": 1.6,
                    "fill": fill,
                    "fillOpacity": 0.04,
                    "interactive": True,
                },
                "labels": labels,
                "labelClass": "cr-village-label",
                "tip": tip,
                "show": show,
                "back": True,
            },
        )
    )


def add_grids(m: TownMap, grids: gpd.GeoDataFrame | None, *, lang: Lang) -> None:
    """Grid (网格) boundaries, dashed, named from the detail zoom on."""
    if grids is None or grids.empty:
        return
    grids = grids[grids.geometry.notna() & ~grids.geometry.is_empty]
    if grids.empty:
        return
    props = [
        {
            "name": str(row.get("name") or ""),
            "leader": _clean(row.get("leader")),
            "village": _clean(row.get("village_name")),
            "_pt": pt,
        }
        for row, pt in zip(grids.to_dict("records"), label_points(grids), strict=True)
    ]
    m.add_child(
        RuntimeCall(
            "boundaries",
            geojson(grids, props),
            {
                "name": text("grids", lang),
                "style": {
                    "className": "cr-grid",
                    "color": "#6d6d6d",
                    "weight": 1,
                    "dashArray": "4 4",
                    "fill": False,
                },
                "labels": True,
                "labelClass": "cr-grid-label",
                "tip": [
                    ["name"],
                    [text("village", lang), "village"],
                    [text("grid_leader", lang), "leader"],
                ],
                "show": True,
                "back": True,
            },
        )
    )


def add_communities(
    m: TownMap, communities: gpd.GeoDataFrame | None, *, lang: Lang, labels: bool = False
) -> None:
    """党建共同体 boundaries: thick grey lines around groups of villages."""
    if communities is None or communities.empty:
        return
    props = [
        {"name": str(row.get("name") or row.get("code") or ""), "_pt": pt}
        for row, pt in zip(communities.to_dict("records"), label_points(communities), strict=True)
    ]
    m.add_child(
        RuntimeCall(
            "boundaries",
            geojson(communities, props),
            {
                "name": text("communities", lang),
                "style": {
                    "className": "cr-community",
                    "color": "#1b1b1b",
                    "weight": 3.5,
                    "opacity": 0.75,
                    "fill": False,
                    "interactive": False,
                },
                "labels": labels,
                "labelClass": "cr-community-label",
                "show": True,
            },
        )
    )


def _clean(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple)) and pd.isna(value)):
        return ""
    return str(value)
