"""The sites map for planners: ranked micro-landscape candidates with their reasons.

卡口花场, 小微景点 and 美学微巷 (clause 二(三)) are drawn by kind, each with its rank in its
village on it and its reasons in a popup, over the roads, entrances and water they were
found from. Every text is set as text in the page (never parsed as HTML).

The browser side is a small addition to the cunrong runtime (`cunrong.sites`), carried in
the page by `SitesRuntime`; `add_chosen_sites` puts planners' chosen sites on any other map.
"""

from __future__ import annotations

import math
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from geo.errors import InvalidInput
from geo.maps.base import RuntimeCall, add_villages, bounds_of, new_map
from geo.maps.basemaps import Basemap, as_basemap
from geo.maps.labels import Lang, check_lang, text
from geo.maps.payload import check_frame, check_villages, geojson
from geo.sites.kinds import DECISIONS, KIND_LABELS, SITE_KINDS, decision_label
from geo.vocab import SITE_NOTE_LEN

KIND_COLORS: dict[str, str] = {
    "flower_gate": "#d6336c",
    "micro_spot": "#1b9e77",
    "aesthetic_lane": "#e6850e",
}
"""Magenta flower beds, green spots, orange lanes: apart from each other and from the roads."""

CHOSEN_STROKE = "#111111"
REJECTED_STROKE = "#8a8a8a"
ROAD_STYLES: dict[str, dict[str, Any]] = {
    "main": {"color": "#5a5a5a", "weight": 6},
    "secondary": {"color": "#8c8c8c", "weight": 4},
    "lane": {"color": "#b5b5b5", "weight": 2},
}
WATER_FILL, WATER_STROKE = "#a6cee3", "#3a7fb8"
ENTRANCE_FILL = "#08306b"

SITE_TEXT: dict[str, tuple[str, str]] = {
    "sites_map": ("小微景观选址", "Micro-landscape sites"),
    "sites": ("景观点位候选", "Candidate sites"),
    "chosen_sites": ("已选定景观点位", "Chosen landscape sites"),
    "kind": ("类型", "Kind"),
    "rank": ("村内排名", "Rank in village"),
    "score": ("得分", "Score"),
    "area": ("面积", "Area"),
    "length": ("长度", "Length"),
    "to_main": ("距主干道", "To the main road"),
    "issue": ("来源问题", "From issue"),
    "reasons": ("理由", "Reasons"),
    "note": ("备注", "Note"),
    "decided_by": ("决定人", "Decided by"),
    "key": ("编号", "Key"),
    "roads": ("道路", "Roads"),
    "road_main": ("主干道", "Main road"),
    "road_secondary": ("次干道", "Secondary road"),
    "road_lane": ("巷道", "Lane"),
    "entrances": ("村口卡口", "Village entrances"),
    "water": ("河塘沟渠", "Rivers, ponds, ditches"),
    "decision": ("规划决定", "Planner's decision"),
    "count_unit": ("处", ""),
    "rank_note": ("数字为村内排名，点击查看理由", "Numbers rank sites within a village; click one"),
    "entrance_glyph": ("卡", "E"),
    "choose": ("选定", "Choose"),
    "reject": ("不采用", "Reject"),
    "note_hint": ("备注（可选）", "Note (optional)"),
    "saving": ("保存中…", "Saving…"),
    "saved": ("已保存", "Saved"),
    "not_saved": ("未能保存", "Not saved"),
}
WATER_KINDS: dict[str, tuple[str, str]] = {
    "river": ("河", "River"),
    "pond": ("塘", "Pond"),
    "ditch": ("沟渠", "Ditch"),
}
GEOM_TYPES = ("Polygon", "MultiPolygon", "LineString", "MultiLineString")


def site_text(key: str, lang: Lang) -> str:
    """One text of the sites map in the chosen language."""
    zh, en = SITE_TEXT[key]
    return zh if lang == "zh" else en


_SITES_CSS = """
.cr-site-rank { background: none; border: none; width: 0; height: 0; }
.cr-site-rank span {
  position: absolute; transform: translate(-50%, -50%);
  min-width: 20px; height: 20px; padding: 0 3px; box-sizing: border-box;
  border-radius: 10px; border: 2px solid #fff; box-shadow: 0 0 0 1px #333;
  color: #fff; font: 700 12px/16px "Noto Sans CJK SC", sans-serif; text-align: center;
  white-space: nowrap; pointer-events: none;
}
.cr-site-rank.cr-site-chosen span { box-shadow: 0 0 0 2px #111; }
.cr-site-rank.cr-site-rejected span { opacity: 0.6; }
.cr-site-reasons { margin: 4px 0 0; padding-left: 18px; }
.cr-site-reasons li { margin: 1px 0; }
.cr-site-points { color: #2e7d32; font-weight: 700; margin-left: 4px; white-space: nowrap; }
.cr-site-note { margin-top: 4px; white-space: pre-wrap; word-break: break-word; }
.cr-site-key { margin-top: 4px; font-size: 11px; color: #777; word-break: break-all; }
.cr-entrance-glyph { background: none; border: none; width: 0; height: 0; }
.cr-entrance-glyph span {
  position: absolute; transform: translate(-50%, -50%); color: #fff;
  font: 700 10px/10px "Noto Sans CJK SC", sans-serif; pointer-events: none;
}
.cr-site-decide { margin-top: 6px; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.cr-site-decide textarea {
  flex: 1 1 100%; min-height: 2.4em; font: inherit; box-sizing: border-box;
}
.cr-site-decide button { font: inherit; padding: 3px 10px; border: 1px solid #1f4e79;
  border-radius: 4px; background: #fff; color: #1f4e79; cursor: pointer; }
.cr-site-decide button.cr-on { background: #1f4e79; color: #fff; }
.cr-site-decide .cr-site-said { font-size: 12px; color: #555; }
.cr-tag-chosen { background: #111; }
.cr-tag-rejected { background: #8a8a8a; }
"""

_SITES_JS = """
(function (cr) {
  "use strict";
  if (cr.sites) return;
  function popup(p, o, layer) {
    var T = o.text;
    var kind = o.kinds[p.k];
    var box = cr.el("div", "cr-popup cr-site-popup");
    var head = cr.el("div", "cr-pop-head");
    head.style.borderLeftColor = kind.color;
    head.appendChild(cr.el("b", null, (p.r ? "#" + p.r + " " : "") + kind.label));
    if (p.v) head.appendChild(cr.el("span", "cr-pop-code", p.v));
    box.appendChild(head);
    if (p.d) {
      var tags = cr.el("div", "cr-pop-tags");
      tags.appendChild(cr.el("span", "cr-tag cr-tag-" + p.d, o.decisions[p.d]));
      box.appendChild(tags);
    }
    box.appendChild(cr.tipTable(p.rows));
    if (p.why && p.why.length) {
      box.appendChild(cr.el("div", "cr-legend-head", T.reasons));
      var list = cr.el("ol", "cr-site-reasons");
      p.why.forEach(function (r) {
        var li = cr.el("li", null, r[0]);
        if (r[1]) li.appendChild(cr.el("span", "cr-site-points", r[1]));
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    if (p.note) {
      var note = cr.el("div", "cr-site-note");
      note.appendChild(cr.el("b", null, T.note + ": "));
      note.appendChild(document.createTextNode(p.note));
      box.appendChild(note);
    }
    if (p.key) box.appendChild(cr.el("div", "cr-site-key", p.key));
    if (o.decideUrl && p.key && layer) box.appendChild(decide(p, o, layer, box));
    return box;
  }
  /* A planner's 选定 / 不采用 with a note: PUT decideUrl ({key}) with the page's CSRF token
   * (the service puts <meta name="csrf-token"> on the page of who may decide). */
  function decide(p, o, layer, box) {
    var T = o.text;
    var form = cr.el("div", "cr-site-decide");
    var note = document.createElement("textarea");
    note.maxLength = o.noteMax || 500;
    note.placeholder = T.note_hint;
    note.value = p.note || "";
    form.appendChild(note);
    var said = cr.el("span", "cr-site-said", "");
    ["chosen", "rejected"].forEach(function (d) {
      var b = cr.el("button", p.d === d ? "cr-on" : null, d === "chosen" ? T.choose : T.reject);
      b.type = "button";
      b.setAttribute("data-decision", d);
      b.addEventListener("click", function () {
        var meta = document.querySelector('meta[name="csrf-token"]');
        said.textContent = T.saving;
        fetch(o.decideUrl.replace("{key}", encodeURIComponent(p.key)), {
          method: "PUT",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            "X-CSRF-Token": meta ? meta.content : "",
          },
          body: JSON.stringify({ decision: d, note: note.value || null }),
        })
          .then(function (r) {
            if (!r.ok) throw new Error(r.status);
            return r.json();
          })
          .then(function (done) {
            p.d = done.decision;
            p.note = done.note;
            layer.setStyle(styleOf(layer.feature, o));
            form.querySelectorAll("button").forEach(function (x) {
              x.classList.toggle("cr-on", x.getAttribute("data-decision") === p.d);
            });
            said.textContent = T.saved + " · " + o.decisions[p.d];
          })
          .catch(function (e) {
            said.textContent = T.not_saved + " (" + e.message + ")";
          });
      });
      form.appendChild(b);
    });
    form.appendChild(said);
    return form;
  }
  function styleOf(f, o) {
    var p = f.properties;
    var kind = o.kinds[p.k];
    var line = f.geometry.type.indexOf("Line") >= 0;
    var chosen = p.d === "chosen";
    var rejected = p.d === "rejected";
    return {
      className: "cr-site cr-site-" + kind.code + (p.d ? " cr-site-" + p.d : ""),
      color: line ? kind.color : chosen ? o.chosenStroke : rejected ? o.rejectedStroke : kind.color,
      weight: line ? (chosen ? 8 : 6) : chosen ? 3.5 : 2,
      opacity: rejected ? 0.55 : 0.95,
      dashArray: rejected ? "6 5" : null,
      fillColor: kind.color,
      fillOpacity: rejected ? 0.15 : 0.55,
      lineCap: "round",
    };
  }
  /* Candidate sites: shapes by kind, a rank badge on each, reasons in a popup. */
  cr.sites = function (map, gj, o) {
    var group = L.featureGroup();
    var shapes = L.geoJSON(gj, {
      style: function (f) {
        return styleOf(f, o);
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(
          function () {
            return popup(f.properties, o, layer);
          },
          {
            /* on a phone the popup (its content plus 44 px of padding) fits the screen */
            maxWidth: Math.max(200, Math.min(360, map.getSize().x - 110)),
            minWidth: Math.min(240, map.getSize().x - 110),
            autoPanPaddingTopLeft: [20, 90],
            autoPanPaddingBottomRight: [20, 20],
          }
        );
      },
    });
    group.addLayer(shapes);
    if (o.labels) {
      gj.features.forEach(function (f) {
        var p = f.properties;
        var span = cr.el("span", null, p.badge);
        span.style.background = o.kinds[p.k].color;
        group.addLayer(
          L.marker(p.pt, {
            icon: L.divIcon({
              className: "cr-site-rank" + (p.d ? " cr-site-" + p.d : ""),
              html: span,
              iconSize: null,
            }),
            interactive: false,
            keyboard: false,
          })
        );
      });
    }
    if (o.show !== false) group.addTo(map);
    if (map._crControl) map._crControl.addOverlay(group, cr.esc(o.name));
    cr.lastSites = { group: group, shapes: shapes, count: gj.features.length };
    return group;
  };
  /* Village entrances (卡口): a dark disc with a glyph, the name in a tooltip. */
  cr.siteEntrances = function (map, items, o) {
    var group = L.featureGroup();
    items.forEach(function (it) {
      var dot = L.circleMarker(it.pt, {
        radius: o.radius,
        color: "#ffffff",
        weight: 2,
        fillColor: o.fill,
        fillOpacity: 1,
        className: "cr-entrance",
      });
      dot.bindTooltip(
        function () {
          return cr.tipTable(it.tip);
        },
        { sticky: true }
      );
      group.addLayer(dot);
      group.addLayer(
        L.marker(it.pt, {
          icon: L.divIcon({
            className: "cr-entrance-glyph",
            html: cr.el("span", null, o.glyph),
            iconSize: null,
          }),
          interactive: false,
          keyboard: false,
        })
      );
    });
    group.addTo(map);
    if (map._crControl) map._crControl.addOverlay(group, cr.esc(o.name));
    return group;
  };
})(window.cunrong);
"""


class SitesRuntime(MacroElement):
    """`cunrong.sites` and its styles, once per page (needs the cunrong runtime)."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style data-asset='cunrong_sites_css'>"
        + _SITES_CSS
        + "</style>{% endmacro %}"
        "{% macro script(this, kwargs) %}" + _SITES_JS + "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "CunrongSites"


def _ensure_runtime(m: folium.Map) -> None:
    if "cunrong_sites_runtime" not in m._children:
        m.add_child(SitesRuntime(), name="cunrong_sites_runtime")


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, (list, tuple, dict)) and pd.isna(value)):
        return ""
    return str(value)


def _reasons(row: dict, lang: Lang) -> list[list[str]]:
    """[[text, '+2.88'], …] from the `reasons` list, or the joined `reasons_zh` text."""
    items = row.get("reasons")
    if isinstance(items, (list, tuple, np.ndarray)) and len(items):
        return [
            [str(r.get(lang) or r.get("zh") or ""), f"+{float(r.get('points', 0)):.2f}"]
            for r in items
            if isinstance(r, dict)
        ]
    joined = _text(row.get("reasons_zh" if lang == "zh" else "reasons_en"))
    sep = "；" if lang == "zh" else "; "
    return [[part, ""] for part in joined.split(sep) if part]


def check_candidates(candidates: gpd.GeoDataFrame, *, name: str = "candidates") -> None:
    """InvalidInput naming the row when a frame cannot be drawn as candidate sites."""
    check_frame(candidates, name=name, columns=("kind",), geom_types=GEOM_TYPES)
    bad = ~candidates["kind"].isin(SITE_KINDS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidInput(
            f"unknown site kind {candidates['kind'].iloc[row]!r}; "
            f"expected one of {', '.join(SITE_KINDS)}",
            field=f"{name}.kind",
            row=row,
        )
    if "decision" in candidates.columns:
        decided = candidates["decision"].dropna()
        wrong = ~decided.isin(DECISIONS)
        if wrong.any():
            row = int(candidates.index.get_loc(decided.index[np.flatnonzero(wrong.to_numpy())[0]]))
            raise InvalidInput(
                f"unknown decision {decided[wrong].iloc[0]!r}; expected one of "
                f"{', '.join(DECISIONS)}",
                field=f"{name}.decision",
                row=row,
            )


def _badge_points(frame: gpd.GeoDataFrame) -> list[list[float]]:
    """Where each rank badge goes, as [lat, lon]: mid-length on a lane, inside a polygon."""
    geoms = np.asarray(frame.geometry.values, dtype=object)
    lines = shapely.get_dimensions(geoms) == 1
    pts = np.empty(len(geoms), dtype=object)
    if lines.any():
        pts[lines] = shapely.line_interpolate_point(
            shapely.line_merge(geoms[lines]), 0.5, normalized=True
        )
    if (~lines).any():
        pts[~lines] = shapely.point_on_surface(geoms[~lines])
    return [
        [round(float(y), 6), round(float(x), 6)]
        for x, y in zip(shapely.get_x(pts), shapely.get_y(pts), strict=True)
    ]


def _rows(row: dict, lang: Lang) -> list[list[str]]:
    out = [[site_text("score", lang), f"{_number(row.get('score')) or 0:.2f}"]]
    area, length = _number(row.get("area_m2")), _number(row.get("length_m"))
    if area is not None:
        out.append([site_text("area", lang), f"{area:.0f} m²"])
    if length is not None:
        out.append([site_text("length", lang), f"{length:.0f} m"])
    to_main = _number(row.get("distance_to_main_m"))
    if to_main is not None:
        out.append([site_text("to_main", lang), f"{to_main:.0f} m"])
    if _text(row.get("issue_code")):
        out.append([site_text("issue", lang), _text(row.get("issue_code"))])
    if _text(row.get("decided_by")):
        out.append([site_text("decided_by", lang), _text(row.get("decided_by"))])
    return out


def _features(frame: gpd.GeoDataFrame, lang: Lang) -> dict[str, Any]:
    kinds = {k: i for i, k in enumerate(SITE_KINDS)}
    props = []
    for row, pt in zip(frame.to_dict("records"), _badge_points(frame), strict=True):
        decision = _text(row.get("decision"))
        rank = _number(row.get("rank"))
        badge = str(int(rank)) if rank is not None else ("×" if decision == "rejected" else "")
        if decision == "chosen":
            badge = f"★{badge}"
        props.append(
            {
                "k": kinds[row["kind"]],
                "r": str(int(rank)) if rank is not None else "",
                "badge": badge or "★",
                "d": decision,
                "v": _text(row.get("village_name")),
                "pt": pt,
                "rows": _rows(row, lang),
                "why": _reasons(row, lang),
                "note": _text(row.get("note")),
                "key": _text(row.get("candidate_key")),
            }
        )
    return geojson(frame, props)


def _kinds(lang: Lang) -> list[dict[str, str]]:
    return [
        {"code": k, "label": KIND_LABELS[k][0 if lang == "zh" else 1], "color": KIND_COLORS[k]}
        for k in SITE_KINDS
    ]


def _site_options(
    lang: Lang, *, name: str, labels: bool, decide_url: str | None = None
) -> dict[str, Any]:
    texts = ("reasons", "note", "choose", "reject", "note_hint", "saving", "saved", "not_saved")
    return {
        "name": name,
        "labels": labels,
        "kinds": _kinds(lang),
        "decisions": {d: decision_label(d, lang) for d in DECISIONS},
        "chosenStroke": CHOSEN_STROKE,
        "rejectedStroke": REJECTED_STROKE,
        "text": {k: site_text(k, lang) for k in texts},
        "decideUrl": decide_url,
        "noteMax": SITE_NOTE_LEN,
    }


def _add_roads(m: folium.Map, roads: gpd.GeoDataFrame | None, lang: Lang) -> None:
    if roads is None or roads.empty:
        return
    check_frame(
        roads, name="roads", columns=("kind",), geom_types=("LineString", "MultiLineString")
    )
    for kind in ("lane", "secondary", "main"):
        part = roads[roads["kind"] == kind]
        if part.empty:
            continue
        label = site_text(f"road_{kind}", lang)
        props = [
            {"name": _text(r.get("name")) or label, "kind": label} for r in part.to_dict("records")
        ]
        m.add_child(
            RuntimeCall(
                "boundaries",
                geojson(part, props),
                {
                    "name": label,
                    "style": {
                        "className": f"cr-road cr-road-{kind}",
                        "fill": False,
                        "opacity": 0.9,
                        "lineCap": "round",
                        **ROAD_STYLES[kind],
                    },
                    "labels": False,
                    "tip": [["name"], [site_text("kind", lang), "kind"]],
                    "show": True,
                },
            )
        )


def _add_water(m: folium.Map, water: gpd.GeoDataFrame | None, lang: Lang) -> None:
    if water is None or water.empty:
        return
    check_frame(
        water,
        name="water",
        columns=(),
        geom_types=("Polygon", "MultiPolygon", "LineString", "MultiLineString"),
    )
    props = []
    for r in water.to_dict("records"):
        kind = WATER_KINDS.get(_text(r.get("kind")), ("", ""))
        kind_text = kind[0] if lang == "zh" else kind[1]
        props.append({"name": _text(r.get("name")) or kind_text, "kind": kind_text})
    m.add_child(
        RuntimeCall(
            "boundaries",
            geojson(water, props),
            {
                "name": site_text("water", lang),
                "style": {
                    "className": "cr-water",
                    "color": WATER_STROKE,
                    "weight": 1.5,
                    "fillColor": WATER_FILL,
                    "fillOpacity": 0.7,
                },
                "labels": False,
                "tip": [["name"], [site_text("kind", lang), "kind"]],
                "show": True,
                "back": True,
            },
        )
    )


def _add_entrances(m: folium.Map, entrances: gpd.GeoDataFrame | None, lang: Lang) -> None:
    if entrances is None or entrances.empty:
        return
    check_frame(entrances, name="entrances", columns=(), geom_types=("Point",))
    heading = site_text("entrances", lang)
    items = [
        {
            "pt": [round(float(g.y), 6), round(float(g.x), 6)],
            "tip": [
                [_text(r.get("name")) or heading],
                [text("village", lang), _text(r.get("village_name"))],
            ],
        }
        for r, g in zip(entrances.to_dict("records"), entrances.geometry, strict=True)
    ]
    _ensure_runtime(m)
    m.add_child(
        RuntimeCall(
            "siteEntrances",
            items,
            {
                "name": heading,
                "fill": ENTRANCE_FILL,
                "radius": 8,
                "glyph": site_text("entrance_glyph", lang),
            },
        )
    )


def _legend(candidates: gpd.GeoDataFrame, lang: Lang, *, has: dict[str, bool]) -> dict[str, Any]:
    counts = candidates["kind"].value_counts()
    unit = site_text("count_unit", lang)
    kinds = [
        {
            "label": f"{KIND_LABELS[k][0 if lang == 'zh' else 1]}（{int(counts.get(k, 0))}{unit}）"
            if lang == "zh"
            else f"{KIND_LABELS[k][1]} ({int(counts.get(k, 0))})",
            "fill": KIND_COLORS[k],
            "stroke": KIND_COLORS[k],
            "shape": "line" if k == "aesthetic_lane" else "box",
        }
        for k in SITE_KINDS
    ]
    sections: list[dict[str, Any]] = [{"title": site_text("sites", lang), "entries": kinds}]
    decided = candidates["decision"].dropna().unique() if "decision" in candidates else []
    if len(decided):
        sections.append(
            {
                "title": site_text("decision", lang),
                "entries": [
                    {
                        "label": decision_label(d, lang),
                        "fill": "#ffffff",
                        "stroke": CHOSEN_STROKE if d == "chosen" else REJECTED_STROKE,
                        "weight": 3 if d == "chosen" else 2,
                        "dash": d == "rejected",
                    }
                    for d in DECISIONS
                    if d in decided
                ],
            }
        )
    context = [
        {
            "label": site_text(f"road_{k}", lang),
            "stroke": ROAD_STYLES[k]["color"],
            "shape": "line",
        }
        for k in ("main", "secondary", "lane")
        if has.get(f"road_{k}")
    ]
    if has.get("entrances"):
        context.append(
            {"label": site_text("entrances", lang), "fill": ENTRANCE_FILL, "shape": "circle"}
        )
    if has.get("water"):
        context.append(
            {"label": site_text("water", lang), "fill": WATER_FILL, "stroke": WATER_STROKE}
        )
    if context:
        sections.append({"title": site_text("roads", lang), "entries": context})
    return {
        "title": text("legend", lang),
        "position": "bottomright",
        "sections": sections,
        "note": site_text("rank_note", lang),
    }


def sites_map(
    candidates: gpd.GeoDataFrame,
    *,
    villages: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame | None = None,
    entrances: gpd.GeoDataFrame | None = None,
    water: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
    basemap: Basemap | str = "osm",
    title: str | None = None,
    subtitle: str | None = None,
    decide_url: str | None = None,
) -> folium.Map:
    """小微景观选址: candidates (from `geo.sites.find_candidates`) by kind, ranked, with reasons.

    `roads` needs `kind` (main/secondary/lane) and may have `name`; `entrances` and `water`
    (`kind`, `name`) are optional. The view fits the candidates, or the villages when none.
    With `decide_url` (a `{key}` template of a PUT taking `{"decision", "note"}` JSON and
    answering `{"decision", "note"}`), each popup offers 选定 / 不采用 with a note.
    """
    lang = check_lang(lang)
    base = as_basemap(basemap)
    check_villages(villages)
    check_candidates(candidates)
    sites_d, villages_d = base.shift(candidates), base.shift(villages)
    roads_d = base.shift(roads) if roads is not None else None
    entrances_d = base.shift(entrances) if entrances is not None else None
    water_d = base.shift(water) if water is not None else None
    if subtitle is None:
        subtitle = _summary(candidates, villages, lang)
    m = new_map(
        bounds=bounds_of(villages_d, sites_d),
        basemap=base,
        lang=lang,
        title=title or site_text("sites_map", lang),
        subtitle=subtitle,
    )
    add_villages(m, villages_d, lang=lang)
    _add_water(m, water_d, lang)
    _add_roads(m, roads_d, lang)
    _add_entrances(m, entrances_d, lang)
    _ensure_runtime(m)
    m.add_child(
        RuntimeCall(
            "sites",
            _features(sites_d, lang),
            _site_options(lang, name=site_text("sites", lang), labels=True, decide_url=decide_url),
        )
    )
    has = {
        f"road_{k}": roads is not None and not roads.empty and bool((roads["kind"] == k).any())
        for k in ("main", "secondary", "lane")
    }
    has["entrances"] = entrances is not None and not entrances.empty
    has["water"] = water is not None and not water.empty
    m.add_child(RuntimeCall("legend", _legend(candidates, lang, has=has)))
    return m


def _summary(candidates: gpd.GeoDataFrame, villages: gpd.GeoDataFrame, lang: Lang) -> str:
    counts = candidates["kind"].value_counts()
    parts = [
        f"{KIND_LABELS[k][0]} {int(counts.get(k, 0))}"
        if lang == "zh"
        else f"{KIND_LABELS[k][1]} ({int(counts.get(k, 0))})"  # as the legend: no plurals
        for k in SITE_KINDS
    ]
    where = ""
    if len(villages) == 1:
        where = _text(villages["name"].iloc[0]) + (" · " if lang == "zh" else ": ")
    return where + (" · " if lang == "zh" else ", ").join(parts)


def add_chosen_sites(
    m: folium.Map,
    chosen: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    basemap: Basemap | str = "osm",
    show: bool = True,
) -> folium.Map:
    """Put planners' chosen sites (from `geo.sites.chosen_sites`) on any town map as a layer."""
    lang = check_lang(lang)
    base = as_basemap(basemap)
    check_candidates(chosen, name="chosen")
    if chosen.empty:
        return m
    frame = base.shift(chosen).copy()
    if "decision" not in frame.columns:
        frame["decision"] = "chosen"
    _ensure_runtime(m)
    options = _site_options(lang, name=site_text("chosen_sites", lang), labels=True)
    options["show"] = show
    m.add_child(RuntimeCall("sites", _features(frame, lang), options))
    return m
