"""How a map becomes one standalone HTML file: vendored Leaflet and plugins, inlined.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and its plugins from CDNs. The maps of
this project need none of that network: `TownMap` drops every link at render time and puts
the vendored files (see `vendor/README.md`) and the project's own runtime into the page.
Only basemap tiles are fetched, by the reader's browser.

Served as a page, the map runs under a Content-Security-Policy whose `script-src` lists a
nonce instead of `'unsafe-inline'`: `page_html(m, nonce=…)` renders it with that nonce on
every `<script>` element it writes — the inlined assets, folium's map header and the page's
setup script — from the templates here, never by rewriting the finished HTML (a script that
data smuggled into the page must not be given the nonce). Saved as a file, no nonce is set.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import folium
from branca.element import Element, Figure
from folium.template import Template

_VENDOR = "vendor"

# The assets a page can need, in load order: (name, kind, path under geo/maps).
_ASSETS: tuple[tuple[str, str, str], ...] = (
    ("leaflet_css", "css", "vendor/leaflet/leaflet.css"),
    ("markercluster_css", "css", "vendor/leaflet.markercluster/MarkerCluster.css"),
    ("markercluster_default_css", "css", "vendor/leaflet.markercluster/MarkerCluster.Default.css"),
    ("cunrong_css", "css", "runtime.css"),
    ("leaflet", "js", "vendor/leaflet/leaflet.js"),
    ("markercluster", "js", "vendor/leaflet.markercluster/leaflet.markercluster.js"),
    ("heat", "js", "vendor/leaflet.heat/leaflet-heat.js"),
    ("vectorgrid", "js", "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js"),
    ("cunrong", "js", "runtime.js"),
)

# folium's link names that the vendored files replace, or that these maps never use.
_REPLACED = {
    "leaflet": "leaflet",
    "leaflet_css": "leaflet_css",
    "markerclusterjs": "markercluster",
    "markerclustercss": "markercluster_css",
    "markerclusterdefaultcss": "markercluster_default_css",
    "leaflet-heat.js": "heat",
}
_UNUSED = {
    "jquery",
    "bootstrap",
    "bootstrap_css",
    "glyphicons_css",
    "awesome_markers",
    "awesome_markers_css",
    "awesome_markers_font_css",
    "awesome_rotate_css",
}

_SOURCE_MAP = re.compile(r"\n//# sourceMappingURL=\S+\s*$")


def _read(path: str) -> bytes:
    return resources.files("geo.maps").joinpath(path).read_bytes()


def _data_uri(path: str) -> str:
    return "data:image/png;base64," + base64.b64encode(_read(path)).decode("ascii")


@cache
def asset_text(name: str) -> str:
    """The text of one asset, ready to sit inside a <script> or <style> element."""
    for asset, _kind, path in _ASSETS:
        if asset == name:
            text = _read(path).decode("utf-8")
            break
    else:
        raise KeyError(f"unknown map asset {name!r}")
    text = _SOURCE_MAP.sub("\n", text)
    if name == "leaflet_css":
        # The layer-control icon is the only image these maps use; the default marker
        # icon is never drawn, so its path probe points nowhere.
        text = text.replace(
            "url(images/layers.png)", f"url({_data_uri('vendor/leaflet/images/layers.png')})"
        )
        text = text.replace(
            "url(images/layers-2x.png)",
            f"url({_data_uri('vendor/leaflet/images/layers-2x.png')})",
        )
        text = text.replace("url(images/marker-icon.png)", "none")
    if "</script" in text.lower() or "</style" in text.lower():
        raise ValueError(f"asset {name!r} cannot be inlined: it closes its own element")
    return text


_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def nonce_attribute(kwargs: dict[str, Any]) -> str:
    """` nonce="…"` for a `<script>` element when the page is rendered with a nonce."""
    nonce = kwargs.get("nonce")
    if nonce is None:
        return ""
    if not isinstance(nonce, str) or not _NONCE.match(nonce):
        raise ValueError(f"a script nonce is 16–64 letters, digits, '-' or '_', got {nonce!r}")
    return f' nonce="{nonce}"'


class InlineAsset(Element):
    """One vendored script or style, inlined (its text is not a template)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.asset = name
        self.kind = next(k for a, k, _ in _ASSETS if a == name)

    def render(self, **kwargs: Any) -> str:
        """`<script>` (with the page's nonce) or `<style>` around the asset's text."""
        if self.kind == "js":
            attrs = f"data-asset={self.asset!r}{nonce_attribute(kwargs)}"
            return f"<script {attrs}>\n{asset_text(self.asset)}\n</script>"
        return f"<style data-asset={self.asset!r}>\n{asset_text(self.asset)}\n</style>"


class NoncedFigure(Figure):
    """folium's page (branca's Figure) whose closing setup `<script>` carries the nonce."""

    _template = Template(
        "<!DOCTYPE html>\n"
        "<html>\n"
        "<head>\n"
        "{% if this.title %}<title>{{ this.title | e }}</title>{% endif %}"
        "    {{this.header.render(**kwargs)}}\n"
        "</head>\n"
        "<body>\n"
        "    {{this.html.render(**kwargs)}}\n"
        "</body>\n"
        '<script{% if kwargs.nonce %} nonce="{{ kwargs.nonce }}"{% endif %}>\n'
        "    {{this.script.render(**kwargs)}}\n"
        "</script>\n"
        "</html>\n",
    )


_MAP_HEADER = Template(
    """
    {% macro header(this, kwargs) %}
        <meta name="viewport" content="width=device-width,
            initial-scale=1.0, maximum-scale=1.0, user-scalable=no" />
        <style>
            #{{ this.get_name() }} {
                position: {{this.position}};
                width: {{this.width[0]}}{{this.width[1]}};
                height: {{this.height[0]}}{{this.height[1]}};
                left: {{this.left[0]}}{{this.left[1]}};
                top: {{this.top[0]}}{{this.top[1]}};
            }
            .leaflet-container { font-size: {{this.font_size}}; }
        </style>
        <style>html, body { width: 100%; height: 100%; margin: 0; padding: 0; }</style>
        <style>#map { position:absolute; top:0; bottom:0; right:0; left:0; }</style>
        <script{% if kwargs.nonce %} nonce="{{ kwargs.nonce }}"{% endif %}>
            L_NO_TOUCH = {{ this.global_switches.no_touch |tojson}};
            L_DISABLE_3D = {{ this.global_switches.disable_3d|tojson }};
        </script>
    {% endmacro %}
    """
)
"""folium.Map's header (folium 0.20) with the page's nonce on its one script."""


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(element._children.values()):
        yield from _walk(child)


class TownMap(folium.Map):
    """A folium.Map whose HTML is self-contained: no CDN, every asset inlined."""

    allows_folium_popups = False
    """folium.Popup needs jQuery; a subclass that supplies its own `$` may allow it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("tiles", None)
        kwargs.setdefault("control_scale", True)
        super().__init__(**kwargs)
        NoncedFigure().add_child(self)  # instead of the plain Figure folium put it in
        self.needs: set[str] = {"leaflet", "leaflet_css", "cunrong", "cunrong_css"}

    def require(self, *names: str) -> None:
        """Ask for vendored assets by name (markercluster, heat, …)."""
        known = {a for a, _, _ in _ASSETS}
        for name in names:
            if name not in known:
                raise KeyError(f"unknown map asset {name!r}")
            self.needs.add(name)
            if name == "markercluster":
                self.needs.update({"markercluster_css", "markercluster_default_css"})

    # branca annotates Element.render -> str, but MacroElement/folium.Map.render return None.
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        """Replace every CDN link in the tree by inlined vendored assets, then render
        (`nonce` in kwargs: on every script; see `page_html`)."""
        for element in _walk(self):
            if isinstance(element, folium.Popup) and not self.allows_folium_popups:
                raise ValueError(
                    "folium.Popup needs jQuery, which these maps do not load; "
                    "use the cunrong runtime's popups (geo/maps/runtime.js)"
                )
            for attr in ("default_js", "default_css"):
                links = getattr(element, attr, None)
                if not links:
                    continue
                for name, url in links:
                    if name in _REPLACED:
                        self.needs.add(_REPLACED[name])
                    elif name not in _UNUSED:
                        raise ValueError(
                            f"{type(element).__name__} needs {url}, which is not vendored; "
                            "maps must not load anything from the network"
                        )
                setattr(element, attr, [])
        figure = self.get_root()
        assert isinstance(figure, Figure)
        for name, _kind, _path in _ASSETS:
            if name in self.needs:
                figure.header.add_child(InlineAsset(name), name=f"inline_{name}")
        super().render(**kwargs)
        # folium's header for this map, again from a template that knows the nonce
        # (add_child under the same name keeps its place in the page).
        header = _MAP_HEADER.module.header(self, kwargs)
        figure.header.add_child(Element(header), name=self.get_name())


def page_html(m: folium.Map, *, nonce: str | None = None) -> str:
    """The map as one standalone HTML page; with `nonce`, every `<script>` element of it
    carries `nonce="…"` (the Content-Security-Policy of the response names the same one)."""
    if not isinstance(m, TownMap):
        raise TypeError(f"expected a TownMap (geo.maps.assets), got {type(m).__name__}")
    nonce_attribute({"nonce": nonce})  # a nonce that is safe in an attribute, or an error
    figure = m.get_root()
    assert isinstance(figure, NoncedFigure)
    return str(figure.render(nonce=nonce))
