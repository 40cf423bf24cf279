"""The hotspot map: a heat map of issue density under Gi* hot and cold spot cells."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd

from geo.hotspots import CONFIDENCE_LEVELS
from geo.maps.base import RuntimeCall, add_villages, bounds_of, new_map
from geo.maps.basemaps import Basemap, as_basemap
from geo.maps.labels import Lang, check_lang, text
from geo.maps.payload import check_frame, geojson, point_columns

# (key, spot, confidence, fill): diverging red–blue, darkest where most confident.
SPOT_CLASSES: tuple[tuple[str, str, int, str], ...] = (
    ("hot99", "hot", 99, "#b2182b"),
    ("hot95", "hot", 95, "#ef8a62"),
    ("hot90", "hot", 90, "#fddbc7"),
    ("none", "none", 0, ""),
    ("cold90", "cold", 90, "#d1e5f0"),
    ("cold95", "cold", 95, "#67a9cf"),
    ("cold99", "cold", 99, "#2166ac"),
)
HEAT_GRADIENT = {
    "0.2": "#2c7bb6",
    "0.45": "#abd9e9",
    "0.65": "#ffffbf",
    "0.85": "#fdae61",
    "1": "#d7191c",
}


def _class_label(spot: str, confidence: int, lang: Lang) -> str:
    if spot == "none":
        return text("not_significant", lang)
    alpha = dict(CONFIDENCE_LEVELS)[confidence]
    return f"{text(spot, lang)} {confidence}% {text('confidence', lang)} (p < {alpha:g})"


def _cell_props(cells_d: gpd.GeoDataFrame, lang: Lang) -> list[dict[str, Any]]:
    """Each cell's class index and tooltip."""
    key_of = {(spot, conf): i for i, (_, spot, conf, _) in enumerate(SPOT_CLASSES)}
    props = []
    for row in cells_d[["cell", "count", "gi_z", "p_value", "spot", "confidence"]].itertuples():
        props.append(
            {
                "k": key_of[(row.spot, int(row.confidence) if row.spot != "none" else 0)],
                "tip": [
                    [_class_label(row.spot, int(row.confidence), lang)],
                    [text("count", lang), str(int(row.count))],
                    [text("z_score", lang), f"{row.gi_z:.2f}"],
                    [text("p_value", lang), f"{row.p_value:.3f}"],
                    [text("cell", lang), str(row.cell)],
                ],
            }
        )
    return props


def _cells_layer(cells_d: gpd.GeoDataFrame, lang: Lang) -> RuntimeCall:
    """The Gi* cells, coloured by spot and confidence."""
    classes = [
        {
            "key": key,
            "fill": fill,
            "stroke": fill if fill else "#8c8c8c",
            "weight": 0.6 if fill else 0.4,
        }
        for key, _, _, fill in SPOT_CLASSES
    ]
    options = {
        "name": text("gi_cells", lang),
        "className": "cr-cell",
        "classes": classes,
        "fillOpacity": 0.6,
        "show": True,
    }
    return RuntimeCall("cells", geojson(cells_d, _cell_props(cells_d, lang)), options)


def _heat_layer(issues_d: gpd.GeoDataFrame, lang: Lang) -> RuntimeCall:
    """The density heat map of the issue points."""
    lon, lat = issues_d.geometry.x.to_numpy(), issues_d.geometry.y.to_numpy()
    options = {
        "name": text("heat", lang),
        "radius": 14,
        "blur": 18,
        "maxZoom": 18,
        "gradient": HEAT_GRADIENT,
        "show": True,
    }
    return RuntimeCall("heat", point_columns(lon, lat), options)


def _grid_note(cells: gpd.GeoDataFrame, lang: Lang) -> str:
    """'Getis-Ord Gi*, H3 res 9, 120 cells, 4000 issues' from the cells' attrs."""
    attrs = cells.attrs
    grid = (
        f"H3 res {attrs.get('resolution')}"
        if attrs.get("grid") == "hex"
        else f"{attrs.get('cell_m'):g} m"
        if attrs.get("cell_m")
        else ""
    )
    return (
        f"Getis-Ord Gi*, {grid}, {len(cells)} {text('cell', lang)}, "
        f"{attrs.get('points', int(cells['count'].sum()))} {text('count', lang)}"
    )


def _hotspot_legend(cells_d: gpd.GeoDataFrame, note: str, lang: Lang) -> RuntimeCall:
    """The classes present on the map, the heat ramp, and the grid note."""
    present = set(cells_d["spot"] + cells_d["confidence"].astype(str))
    entries = [
        {
            "label": _class_label(spot, conf, lang),
            "fill": fill or "#ffffff",
            "stroke": fill or "#8c8c8c",
        }
        for _, spot, conf, fill in SPOT_CLASSES
        if spot == "none" or f"{spot}{conf}" in present
    ]
    ramp = {
        "label": text("few_many", lang),
        "fill": "linear-gradient(90deg,#2c7bb6,#ffffbf,#d7191c)",
    }
    legend = {
        "title": text("legend", lang),
        "position": "bottomright",
        "sections": [
            {"title": text("gi_cells", lang), "entries": entries},
            {"title": text("heat", lang), "entries": [ramp]},
        ],
        "note": note,
    }
    return RuntimeCall("legend", legend)


def hotspot_map(
    issues: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame,
    lang: str = "zh",
    basemap: Basemap | str = "osm",
    title: str | None = None,
    subtitle: str | None = None,
    show_heat: bool = True,
) -> folium.Map:
    """问题热点分析: density heat map and Gi* cells (from `geo.hotspots.hotspots`)."""
    lang = check_lang(lang)
    base = as_basemap(basemap)
    check_frame(issues, name="issues", columns=(), geom_types=("Point",))
    check_frame(
        cells,
        name="cells",
        columns=("cell", "count", "gi_z", "p_value", "spot", "confidence"),
        geom_types=("Polygon",),
    )
    issues_d, cells_d, villages_d = base.shift(issues), base.shift(cells), base.shift(villages)
    m = new_map(
        bounds=bounds_of(villages_d, cells_d),
        basemap=base,
        lang=lang,
        title=title or text("hotspot_map", lang),
        subtitle=subtitle,
    )
    m.require("heat")
    add_villages(m, villages_d, lang=lang)
    if show_heat:
        m.add_child(_heat_layer(issues_d, lang))
    m.add_child(_cells_layer(cells_d, lang))
    m.add_child(_hotspot_legend(cells_d, _grid_note(cells, lang), lang))
    return m
