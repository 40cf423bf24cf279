"""How a map becomes one standalone HTML file: vendored Leaflet and plugins, inlined.

folium links Leaflet, jQuery, Bootstrap, Font Awesome and its plugins from CDNs. The maps of
this project need none of that network: `TownMap` drops every link at render time and puts
the vendored files (see `vendor/README.md`) and the project's own runtime into the page.
Only basemap tiles are fetched, by the reader's browser.
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


def _inline(name: str) -> Element:
    kind = next(k for a, k, _ in _ASSETS if a == name)
    tag = "script" if kind == "js" else "style"
    return Element(f"<{tag} data-asset={name!r}>\n{asset_text(name)}\n</{tag}>")


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
        """Replace every CDN link in the tree by inlined vendored assets, then render."""
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
                figure.header.add_child(_inline(name), name=f"inline_{name}")
        super().render(**kwargs)
