"""A QGIS project (.qgz) whose layers are the service's OGC API Features collections.

Written from a template (ElementTree), not with PyQGIS: the command needs no QGIS. The
symbols use the maps' colours — the categories' colours from the `category` table, the
status outlines of the issue map (geo/maps/runtime.css), the boundaries of geo/maps/base.py,
road and site styles of geo/maps/sites.py — and the labels are Chinese (or English).
Symbol layers are written with `<prop k v>` elements, which every QGIS 3 reads.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree as ET

from pyproj import CRS, Transformer
from sqlalchemy import Connection, select

from geo.errors import InvalidInput
from geo.frames import villages_frame
from geo.maps.sites import KIND_COLORS, ROAD_STYLES
from geo.models import SRID, Category
from geo.ogc import extent_4326
from geo.sites.kinds import KIND_LABELS
from geo.vocab import ISSUE_STATUSES, status_label

PROVIDER = "OAPIF"
"""QGIS's provider of OGC API Features layers."""

STATUS_STROKES: dict[str, tuple[str, str]] = {
    "open": ("#333333", "solid"),
    "submitted": ("#1565c0", "dot"),
    "closed": ("#333333", "solid"),
    "unrectified": ("#c00000", "solid"),
    "inadequate": ("#e07000", "dash"),
}
"""Outline of an issue's point by status, as the issue map draws its pins (runtime.css)."""
CLOSED_OPACITY = 45
"""Closed issues are drawn faded (per cent), as on the issue map."""
VILLAGE_LINE = "#3a3a3a"
GRID_LINE = "#6d6d6d"
COMMUNITY_LINE = "#1b1b1b"
LABEL_FONT = "Noto Sans CJK SC"


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    value = hex_colour.lstrip("#")
    if len(value) != 6:
        raise InvalidInput(f"expected a colour like '#1f77b4', got {hex_colour!r}", field="color")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return f"{r},{g},{b},{alpha}"


@dataclass(frozen=True)
class Style:
    """One symbol: a point, line or fill with its colours (hex) and widths (mm)."""

    kind: str  # "marker", "line" or "fill"
    colour: str
    outline: str = "#333333"
    width: float = 0.4
    line_style: str = "solid"
    fill: bool = True
    size: float = 3.0
    data_defined: dict[str, str] = field(default_factory=dict)
    """Symbol-layer property (e.g. outlineColor) → QGIS expression."""
    opacity_expression: str | None = None


@dataclass(frozen=True)
class LayerSpec:
    """One layer of the project: an OGC API collection with its renderer and labels."""

    collection: str
    name: str
    geometry: str  # Point, Line, Polygon
    style: Style | None = None
    """Single symbol; or categories:"""
    attribute: str | None = None
    categories: Sequence[tuple[str, str, Style]] = ()
    """(value, legend label, symbol)."""
    label_field: str | None = None
    label_max_scale: float | None = None
    """Labels only shown when zoomed in beyond 1:this."""


def _prop(parent: ET.Element, key: str, value: Any) -> None:
    ET.SubElement(parent, "prop", k=key, v=str(value))


def _data_defined(parent: ET.Element, properties: dict[str, str]) -> None:
    holder = ET.SubElement(parent, "data_defined_properties")
    root = ET.SubElement(holder, "Option", type="Map")
    ET.SubElement(root, "Option", name="name", type="QString", value="")
    props = ET.SubElement(root, "Option", name="properties", type="Map")
    for key, expression in properties.items():
        entry = ET.SubElement(props, "Option", name=key, type="Map")
        ET.SubElement(entry, "Option", name="active", type="bool", value="true")
        ET.SubElement(entry, "Option", name="expression", type="QString", value=expression)
        ET.SubElement(entry, "Option", name="type", type="int", value="3")
    ET.SubElement(root, "Option", name="type", type="QString", value="collection")


_LAYER_ATTRS = {"enabled": "1", "locked": "0", "pass": "0"}


def _symbol(parent: ET.Element, name: str, style: Style) -> None:
    symbol = ET.SubElement(
        parent,
        "symbol",
        type=style.kind,
        name=name,
        alpha="1",
        clip_to_extent="1",
        force_rhr="0",
    )
    if style.opacity_expression:
        _data_defined(symbol, {"alpha": style.opacity_expression})
    if style.kind == "marker":
        layer = ET.SubElement(symbol, "layer", _LAYER_ATTRS | {"class": "SimpleMarker"})
        for key, value in (
            ("color", _rgba(style.colour)),
            ("name", "circle"),
            ("outline_color", _rgba(style.outline)),
            ("outline_style", style.line_style),
            ("outline_width", style.width),
            ("outline_width_unit", "MM"),
            ("size", style.size),
            ("size_unit", "MM"),
        ):
            _prop(layer, key, value)
    elif style.kind == "line":
        layer = ET.SubElement(symbol, "layer", _LAYER_ATTRS | {"class": "SimpleLine"})
        for key, value in (
            ("line_color", _rgba(style.colour)),
            ("line_style", style.line_style),
            ("line_width", style.width),
            ("line_width_unit", "MM"),
            ("capstyle", "round"),
            ("joinstyle", "round"),
        ):
            _prop(layer, key, value)
    else:
        layer = ET.SubElement(symbol, "layer", _LAYER_ATTRS | {"class": "SimpleFill"})
        for key, value in (
            ("color", _rgba(style.colour, 12 if style.fill else 0)),
            ("style", "solid" if style.fill else "no"),
            ("outline_color", _rgba(style.outline)),
            ("outline_style", style.line_style),
            ("outline_width", style.width),
            ("outline_width_unit", "MM"),
        ):
            _prop(layer, key, value)
    if style.data_defined:
        _data_defined(layer, style.data_defined)


def _renderer(parent: ET.Element, spec: LayerSpec) -> None:
    common = {"symbollevels": "0", "enableorderby": "0", "forceraster": "0"}
    if spec.attribute:
        renderer = ET.SubElement(
            parent,
            "renderer-v2",
            common | {"type": "categorizedSymbol", "attr": spec.attribute},
        )
        cats = ET.SubElement(renderer, "categories")
        symbols = ET.SubElement(renderer, "symbols")
        for i, (value, label, style) in enumerate(spec.categories):
            ET.SubElement(cats, "category", render="true", symbol=str(i), value=value, label=label)
            _symbol(symbols, str(i), style)
    else:
        assert spec.style is not None
        renderer = ET.SubElement(parent, "renderer-v2", common | {"type": "singleSymbol"})
        _symbol(ET.SubElement(renderer, "symbols"), "0", spec.style)


def _labeling(parent: ET.Element, spec: LayerSpec) -> None:
    if not spec.label_field:
        return
    labeling = ET.SubElement(parent, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    style = ET.SubElement(
        settings,
        "text-style",
        fieldName=spec.label_field,
        isExpression="0",
        fontFamily=LABEL_FONT,
        fontSize="9" if spec.geometry == "Polygon" else "8",
        fontSizeUnit="Point",
        textColor="20,20,20,255",
        textOpacity="1",
        fontWeight="75" if spec.collection in ("villages", "communities") else "50",
        namedStyle="Regular",
        multilineHeight="1",
        allowHtml="0",
    )
    ET.SubElement(
        style,
        "text-buffer",
        bufferDraw="1",
        bufferSize="0.8",
        bufferSizeUnits="MM",
        bufferColor="255,255,255,255",
        bufferOpacity="0.85",
        bufferJoinStyle="128",
        bufferNoFill="1",
    )
    placement = {"Point": "0", "Line": "2", "Polygon": "1"}[spec.geometry]
    ET.SubElement(settings, "placement", placement=placement, dist="1", distUnits="MM")
    # No layer's features push labels away: village names sit among the issues and inside
    # the communities (labels still avoid each other).
    rendering = {"scaleVisibility": "0", "obstacle": "0", "displayAll": "0"}
    if spec.label_max_scale:
        # QGIS keeps the most zoomed-in limit in scaleMin, the most zoomed-out in scaleMax.
        rendering.update(scaleVisibility="1", scaleMin="0", scaleMax=str(int(spec.label_max_scale)))
    ET.SubElement(settings, "rendering", rendering)


def _spatialrefsys(parent: ET.Element, srid: int) -> None:
    crs = CRS.from_epsg(srid)
    srs = ET.SubElement(parent, "spatialrefsys", nativeFormat="Wkt")
    for tag, value in (
        ("wkt", crs.to_wkt()),
        ("srsid", "0"),
        ("srid", str(srid)),
        ("authid", f"EPSG:{srid}"),
        ("description", crs.name),
        ("projectionacronym", "longlat" if crs.is_geographic else "tmerc"),
        ("geographicflag", "true" if crs.is_geographic else "false"),
    ):
        ET.SubElement(srs, tag).text = value


def layer_specs(categories: Sequence[Any], *, lang: str = "zh") -> list[LayerSpec]:
    """The project's layers, top to bottom, from the categories (code, label_zh, label_en,
    color) of the `category` table."""
    zh = lang == "zh"
    outline = " ".join(
        f"WHEN '{status}' THEN '{colour}'" for status, (colour, _) in STATUS_STROKES.items()
    )
    stroke = {
        "outlineColor": f"CASE \"status\" {outline} ELSE '#333333' END",
        "outlineWidth": "CASE WHEN \"status\" IN ('submitted', 'unrectified', 'inadequate')"
        " THEN 0.8 ELSE 0.3 END",
    }
    faded = f"CASE WHEN \"status\" = 'closed' THEN {CLOSED_OPACITY} ELSE 100 END"
    issue_categories = [
        (
            c.code,
            c.label_zh if zh else c.label_en,
            Style("marker", c.color, data_defined=stroke, opacity_expression=faded),
        )
        for c in categories
    ]
    road_names = {
        "main": ("主干道", "Main road"),
        "secondary": ("次干道", "Secondary road"),
        "lane": ("巷道", "Lane"),
    }
    roads = [
        (
            kind,
            road_names[kind][0 if zh else 1],
            Style("line", style["color"], width=round(style["weight"] * 0.26, 2)),
        )
        for kind, style in ROAD_STYLES.items()
    ]
    sites = [
        (kind, KIND_LABELS[kind][0 if zh else 1], Style("fill", colour, outline=colour, width=0.6))
        for kind, colour in KIND_COLORS.items()
    ]

    def name(zh_name: str, en_name: str) -> str:
        return zh_name if zh else en_name

    return [
        LayerSpec(
            ISSUES_ID,
            name("问题点位", "Issues"),
            "Point",
            attribute="category",
            categories=issue_categories,
            label_field="category_zh" if zh else "category_en",
            label_max_scale=5000,
        ),
        LayerSpec(
            "sites",
            name("小微景观（已选定）", "Chosen sites"),
            "Polygon",
            attribute="kind",
            categories=sites,
            label_field="kind_label",
            label_max_scale=10000,
        ),
        LayerSpec(
            "roads",
            name("道路", "Roads"),
            "Line",
            attribute="kind",
            categories=roads,
            label_field="name",
            label_max_scale=10000,
        ),
        LayerSpec(
            "grids",
            name("网格", "Grids"),
            "Polygon",
            Style("fill", GRID_LINE, outline=GRID_LINE, width=0.26, line_style="dash", fill=False),
            label_field="name",
            label_max_scale=25000,
        ),
        LayerSpec(
            "villages",
            name("村界", "Villages"),
            "Polygon",
            Style("fill", VILLAGE_LINE, outline=VILLAGE_LINE, width=0.42, fill=True),
            label_field="name",
        ),
        LayerSpec(
            "communities",
            name("党建共同体", "Communities"),
            "Polygon",
            Style("fill", COMMUNITY_LINE, outline=COMMUNITY_LINE, width=0.9, fill=False),
            label_field="name",
        ),
    ]


ISSUES_ID = "issues"
STATUS_LEGEND = {s: status_label(s) for s in ISSUE_STATUSES}


def datasource(base_url: str, collection: str, *, authcfg: str | None = None) -> str:
    """The OAPIF data source of a collection of the service at `base_url`."""
    uri = f"url='{base_url.rstrip('/')}/ogc' typename='{collection}'"
    if authcfg:
        uri += f" authcfg={authcfg}"
    return uri


def project_xml(
    specs: Sequence[LayerSpec],
    *,
    base_url: str,
    title: str,
    srid: int,
    extent: Sequence[float] | None,
    authcfg: str | None = None,
    note: str = "",
) -> bytes:
    """The .qgs document: project CRS `srid`, the canvas on `extent` (lon/lat), the layers."""
    root = ET.Element("qgis", projectname=title, version="3.22.0")
    ET.SubElement(root, "homePath", path="")
    ET.SubElement(root, "title").text = title
    ET.SubElement(root, "autotransaction", active="0")
    ET.SubElement(root, "evaluateDefaultValues", active="0")
    ET.SubElement(root, "trust", active="0")
    _spatialrefsys(ET.SubElement(root, "projectCrs"), srid)
    properties = ET.SubElement(root, "properties")
    crs_settings = ET.SubElement(properties, "SpatialRefSys")
    ET.SubElement(crs_settings, "ProjectionsEnabled", type="int").text = "1"
    tree = ET.SubElement(root, "layer-tree-group")
    ET.SubElement(tree, "customproperties")
    ids = {spec.collection: f"{spec.collection}_cunrong" for spec in specs}
    for spec in specs:
        node = ET.SubElement(
            tree,
            "layer-tree-layer",
            expanded="1",
            checked="Qt::Checked",
            id=ids[spec.collection],
            name=spec.name,
            source=datasource(base_url, spec.collection, authcfg=authcfg),
            providerKey=PROVIDER,
        )
        ET.SubElement(node, "customproperties")
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas", annotationsVisible="1")
    crs = CRS.from_epsg(srid)
    ET.SubElement(canvas, "units").text = "degrees" if crs.is_geographic else "meters"
    if extent:
        west, south, east, north = extent
        to_project = Transformer.from_crs(SRID, srid, always_xy=True)
        xs, ys = to_project.transform([west, east, west, east], [south, south, north, north])
        box = ET.SubElement(canvas, "extent")
        for tag, value in (
            ("xmin", min(xs)),
            ("ymin", min(ys)),
            ("xmax", max(xs)),
            ("ymax", max(ys)),
        ):
            ET.SubElement(box, tag).text = repr(float(value))
    ET.SubElement(canvas, "rotation").text = "0"
    _spatialrefsys(ET.SubElement(canvas, "destinationsrs"), srid)
    ET.SubElement(canvas, "rendermaptile").text = "0"
    layers = ET.SubElement(root, "projectlayers")
    for spec in specs:
        layer = ET.SubElement(
            layers,
            "maplayer",
            type="vector",
            geometry=spec.geometry,
            labelsEnabled="1" if spec.label_field else "0",
            autoRefreshEnabled="0",
            refreshOnNotifyEnabled="0",
            simplifyDrawingHints="0",
            styleCategories="AllStyleCategories",
        )
        ET.SubElement(layer, "id").text = ids[spec.collection]
        ET.SubElement(layer, "datasource").text = datasource(
            base_url, spec.collection, authcfg=authcfg
        )
        ET.SubElement(layer, "layername").text = spec.name
        _spatialrefsys(ET.SubElement(layer, "srs"), SRID)
        ET.SubElement(layer, "provider", encoding="UTF-8").text = PROVIDER
        _renderer(layer, spec)
        _labeling(layer, spec)
    order = ET.SubElement(root, "layerorder")
    for spec in specs:
        ET.SubElement(order, "layer", id=ids[spec.collection])
    meta = ET.SubElement(root, "projectMetadata")
    ET.SubElement(meta, "title").text = title
    ET.SubElement(meta, "abstract").text = note
    ET.indent(root)
    body = ET.tostring(root, encoding="utf-8")
    return b"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body


AUTH_NOTE = (
    "图层来自村容服务的 OGC API Features 接口（{url}/ogc）。登录：在 QGIS 中新建认证配置"
    "（设置 → 选项 → 认证），QGIS 3.28 起可选 “API Header”，加标头 Authorization = Bearer <令牌>；"
    "QGIS 3.22 选 “Basic”，用户名任意、密码填令牌（`cunrong user add` 生成）。把该配置的"
    " ID 交给 `cunrong qgis-project --authcfg ID`，或在各图层的数据源中选它。"
    " Layers come from the service's OGC API Features endpoint; authenticate with an API"
    " Header config (Authorization: Bearer <token>, QGIS ≥ 3.28) or Basic with the token as"
    " password (QGIS 3.22)."
)


def town_project(
    conn: Connection,
    *,
    base_url: str,
    title: str,
    srid: int,
    authcfg: str | None = None,
    lang: str = "zh",
    towns: Sequence[int] | None = None,
) -> bytes:
    """The town's .qgz (a zip holding one .qgs) for the service at `base_url`, in EPSG
    `srid` (the town's metric CRS, or 4490), framed on the villages of `towns` (None: every
    town's)."""
    if lang not in ("zh", "en"):
        raise InvalidInput(f"expected zh or en, got {lang!r}", field="lang")
    if not base_url.startswith(("http://", "https://")):
        raise InvalidInput(
            f"expected the service's address as http(s)://host[:port], got {base_url!r}",
            field="url",
        )
    categories = conn.execute(
        select(Category.code, Category.label_zh, Category.label_en, Category.color).order_by(
            Category.code
        )
    ).all()
    xml = project_xml(
        layer_specs(categories, lang=lang),
        base_url=base_url,
        title=title,
        srid=srid,
        extent=extent_4326(villages_frame(conn, towns=towns)),
        authcfg=authcfg,
        note=AUTH_NOTE.format(url=base_url.rstrip("/")),
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("town.qgs", xml)
    return buffer.getvalue()
