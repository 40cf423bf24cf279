"""区级视图的镇地图: the towns of a district coloured by problems per 100 households.

Each town is its boundary (the town's own, else the union of its villages), coloured by
its problems per 100 households (per village where households are unknown for some town),
labelled with its name; hovering shows its numbers, clicking opens a popup whose link drills
down to the town's ranking map. One standalone page (the vendored Leaflet of `TownMap`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from geo.errors import InvalidInput
from geo.maps.base import bounds_of, new_map
from geo.maps.basemaps import Basemap, as_basemap
from geo.maps.labels import check_lang
from geo.maps.payload import geojson, js_json, label_points

PALETTE = ("#fff5d6", "#fdd49e", "#fc8d59", "#e34a33", "#b30000")
"""Few problems (light) to many (dark red): ColorBrewer OrRd, 5 classes."""
NO_DATA = "#d9d9d9"

_LAYER = Template(
    """
{% macro script(this, kwargs) %}
(function (map) {
  var data = {{ this.data }};
  var layer = L.geoJSON(data, {
    style: function (f) {
      return {color: "#303030", weight: 2, fillColor: f.properties.fill, fillOpacity: 0.78,
              className: "cr-town"};
    },
    onEachFeature: function (f, l) {
      l.bindTooltip(f.properties.tip, {sticky: true, className: "cr-town-tip"});
      l.bindPopup(f.properties.popup);
    }
  }).addTo(map);
  data.features.forEach(function (f) {
    L.marker(f.properties.pt, {interactive: false, icon: L.divIcon({
      className: "cr-town-label", html: "<span>" + f.properties.label + "</span>",
      iconSize: null})}).addTo(map);
  });
  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "cr-town-legend");
    div.innerHTML = {{ this.legend }};
    return div;
  };
  legend.addTo(map);
})({{ this._parent.get_name() }});
{% endmacro %}
"""
)

_STYLE = """
<style>
.cr-town-label { width: 0; height: 0; }
.cr-town-label span { display: inline-block; transform: translate(-50%, -50%);
  font: 600 13px/1.2 system-ui, "Noto Sans CJK SC", sans-serif; color: #111;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff; white-space: nowrap; }
.cr-town-legend { background: rgba(255,255,255,.92); padding: 6px 8px; border-radius: 4px;
  font: 12px/1.5 system-ui, "Noto Sans CJK SC", sans-serif; box-shadow: 0 1px 4px rgba(0,0,0,.3); }
.cr-town-legend i { display: inline-block; width: 14px; height: 12px; margin-right: 6px;
  vertical-align: -1px; border: 1px solid #777; }
.cr-town-tip table td { padding: 0 4px; }
</style>
"""

_WORDS = {
    "zh": {
        "title": "各镇问题分布",
        "per_100": "每百户问题数",
        "per_village": "每村问题数",
        "issues": "问题数",
        "villages": "村数",
        "on_time": "按期整改率",
        "overdue": "逾期",
        "rebounds": "反弹",
        "interviews": "上月约谈（已约谈/应约谈）",
        "ranking": "查看本镇村容排名图 →",
        "no_data": "无数据",
    },
    "en": {
        "title": "Problems by town",
        "per_100": "Problems per 100 households",
        "per_village": "Problems per village",
        "issues": "Problems",
        "villages": "Villages",
        "on_time": "Closed on time",
        "overdue": "Overdue",
        "rebounds": "Rebounds",
        "interviews": "Last month's interviews (held/due)",
        "ranking": "Open the town's ranking map →",
        "no_data": "no data",
    },
}


class _TownLayer(MacroElement):
    def __init__(self, data: dict[str, Any], legend: str) -> None:
        super().__init__()
        self._name = "CunrongTowns"
        self._template = _LAYER
        self.data = js_json(data)
        self.legend = js_json(legend)


def _breaks(values: Sequence[float], classes: int = len(PALETTE)) -> list[float]:
    """Upper bounds of equal-width classes from the least to the most (a district has few
    towns: equal widths read more plainly than quantiles of five values)."""
    low, high = min(values), max(values)
    if high <= low:
        return [high]
    step = (high - low) / classes
    return [low + step * (k + 1) for k in range(classes)]


def _fmt(value: float | None, pattern: str = "{:.1f}") -> str:
    return "—" if value is None else pattern.format(value)


def towns_map(
    towns: gpd.GeoDataFrame,
    rows: Sequence[Mapping[str, Any]],
    *,
    lang: str = "zh",
    basemap: Basemap | str = "osm",
    title: str | None = None,
    subtitle: str | None = None,
    link: str = "/maps/ranking?town={code}",
) -> folium.Map:
    """The district's towns (`towns`: code, name, geometry) coloured by the measure of
    `rows` (the district view's rows, by code); a town without a boundary is left out."""
    lang = check_lang(lang)
    words = _WORDS[lang]
    if "code" not in towns.columns:
        raise InvalidInput("expected towns with a 'code' column", field="towns")
    base = as_basemap(basemap)
    by_code = {str(r["code"]): r for r in rows}
    shown = towns[towns.geometry.notna() & ~towns.geometry.is_empty].reset_index(drop=True)
    shown = base.shift(shown)
    per_household = all(
        by_code.get(c, {}).get("per_100_households") is not None for c in shown["code"]
    )
    key = "per_100_households" if per_household else "per_village"
    measure = words["per_100" if per_household else "per_village"]
    values = [by_code[c][key] for c in shown["code"] if by_code.get(c, {}).get(key) is not None]
    uppers = _breaks(values) if values else []
    props = []
    for row, pt in zip(shown.to_dict("records"), label_points(shown), strict=True):
        r = by_code.get(str(row["code"]), {})
        value = r.get(key)
        fill = NO_DATA
        if value is not None and uppers:
            k = next((i for i, u in enumerate(uppers) if value <= u + 1e-9), len(uppers) - 1)
            fill = PALETTE[k] if len(uppers) > 1 else PALETTE[2]
        name = html.escape(str(row["name"]))
        interviews = r.get("interviews") or {}
        due = sum(interviews.values()) if interviews else 0
        lines = [
            (measure, _fmt(value)),
            (words["issues"], str(r.get("issues", "—"))),
            (words["villages"], str(r.get("villages", "—"))),
            (words["on_time"], _fmt(r.get("on_time_rate"), "{:.0%}")),
            (words["overdue"], str(r.get("overdue", "—"))),
            (words["rebounds"], str(r.get("rebounds", "—"))),
            (words["interviews"], f"{interviews.get('held', 0)}/{due}"),
        ]
        table = "".join(f"<tr><td>{html.escape(a)}</td><td><b>{b}</b></td></tr>" for a, b in lines)
        href = html.escape(link.format(code=row["code"]))
        props.append(
            {
                "code": str(row["code"]),
                "fill": fill,
                "pt": pt,
                "label": name,
                "tip": f"<b>{name}</b> {html.escape(str(row['code']))}<table>{table}</table>",
                "popup": f'<b>{name}</b><br><a class="cr-town-link" href="{href}"'
                f' target="_top">{html.escape(words["ranking"])}</a>',
            }
        )
    lows = [min(values), *uppers[:-1]] if values else []
    entries = [
        f"<div><i style='background:{PALETTE[i] if len(uppers) > 1 else PALETTE[2]}'></i>"
        f"{lo:.1f} – {hi:.1f}</div>"
        for i, (lo, hi) in enumerate(zip(lows, uppers, strict=True))
    ]
    legend = (
        f"<b>{html.escape(measure)}</b>"
        + "".join(reversed(entries))
        + f"<div><i style='background:{NO_DATA}'></i>{html.escape(words['no_data'])}</div>"
    )
    m = new_map(
        bounds=bounds_of(shown),
        basemap=base,
        lang=lang,
        title=title or words["title"],
        subtitle=subtitle,
    )
    root = m.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(_STYLE), name="cr_town_style")
    m.add_child(_TownLayer(geojson(shown, props), legend))
    return m
