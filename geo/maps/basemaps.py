"""Which tiles lie under the vectors, and in which datum the vectors must be drawn.

OpenStreetMap and 天地图 use WGS-84; 高德 uses GCJ-02, so on a 高德 basemap every drawn
coordinate is shifted (about 560 m here) or points land on the wrong building. The plain
background needs no network at all; vectors never depend on the tiles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import geopandas as gpd
import numpy as np
import shapely

from geo.coords import wgs84_to_gcj02
from geo.errors import InvalidInput
from geo.maps.labels import Lang, text


class BasemapName(StrEnum):
    """The basemaps offered — the one registry of their names, used by the CLI's `--basemap`,
    the routes' `basemap` query parameter (an enum in OpenAPI) and the map views.

    天地图 needs TIANDITU_KEY; 高德 shifts every vector to GCJ-02.
    """

    osm = "osm"
    """OpenStreetMap (WGS-84)."""
    tianditu = "tianditu"
    """天地图 矢量 (WGS-84, needs a key)."""
    tianditu_img = "tianditu_img"
    """天地图 影像 (WGS-84, needs a key)."""
    gaode = "gaode"
    """高德 地图 (GCJ-02)."""
    gaode_img = "gaode_img"
    """高德 影像 (GCJ-02)."""
    plain = "plain"
    """No tiles at all (works offline)."""


BASEMAPS: tuple[str, ...] = tuple(b.value for b in BasemapName)
BASEMAP_HELP = "osm | tianditu | tianditu_img (TIANDITU_KEY) | gaode | gaode_img | plain"

_OSM_ATTR = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
_TDT_ATTR = '&copy; <a href="https://www.tianditu.gov.cn/">天地图</a>'
_AMAP_ATTR = '&copy; <a href="https://www.amap.com/">高德地图</a>'
_TDT = (
    "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"
)
_AMAP = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=%s&size=1&scale=1&style=8&x={x}&y={y}&z={z}"
)
_AMAP_IMG = "https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}"
_AMAP_IMG_LABELS = "https://webst0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}"
_KEY = re.compile(r"^[A-Za-z0-9]{8,64}$")


def _tile(url: str, attribution: str, subdomains: str, max_zoom: int = 18) -> dict[str, object]:
    return {"url": url, "attribution": attribution, "subdomains": subdomains, "maxZoom": max_zoom}


@dataclass(frozen=True)
class Basemap:
    """The chosen basemap, the alternatives offered beside it, and the datum to draw in."""

    name: str = "osm"
    tianditu_key: str | None = None

    @property
    def gcj02(self) -> bool:
        """Whether vectors must be shifted to GCJ-02 (高德 tiles)."""
        return self.name.startswith("gaode")

    def shift(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The frame in the basemap's datum: unchanged, or every vertex moved to GCJ-02."""
        if not self.gcj02 or frame.empty:
            return frame
        if frame.crs is not None and frame.crs.to_epsg() != 4326:
            raise InvalidInput(
                f"expected geometries in EPSG:4326, got {frame.crs}", field="geometry"
            )
        out = frame.copy()
        out.geometry = shapely.transform(frame.geometry.values, _to_gcj02)
        return out

    def shift_xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Coordinate arrays in the basemap's datum."""
        if not self.gcj02:
            return lon, lat
        return wgs84_to_gcj02(lon, lat)

    def layers(self, lang: Lang) -> list[dict[str, object]]:
        """The base layers offered, each a name and its tile sources (JSON for the runtime)."""
        if self.gcj02:
            amap_lang = "zh_cn" if lang == "zh" else "en"
            offered = {
                "gaode": ("gaode_vec", [_tile(_AMAP % amap_lang, _AMAP_ATTR, "1234")]),
                "gaode_img": (
                    "gaode_img",
                    [
                        _tile(_AMAP_IMG, _AMAP_ATTR, "1234"),
                        _tile(_AMAP_IMG_LABELS, _AMAP_ATTR, "1234"),
                    ],
                ),
            }
        else:
            offered = {"osm": ("osm", [_tile(_OSM_URL, _OSM_ATTR, "abc", 19)])}
            if self.tianditu_key:
                notes = "cva" if lang == "zh" else "eva"
                labels_img = "cia" if lang == "zh" else "eia"
                key = self.tianditu_key
                offered["tianditu"] = (
                    "tianditu_vec",
                    [
                        _tile(_TDT % ("vec", "vec", key), _TDT_ATTR, "01234567"),
                        _tile(_TDT % (notes, notes, key), _TDT_ATTR, "01234567"),
                    ],
                )
                offered["tianditu_img"] = (
                    "tianditu_img",
                    [
                        _tile(_TDT % ("img", "img", key), _TDT_ATTR, "01234567"),
                        _tile(_TDT % (labels_img, labels_img, key), _TDT_ATTR, "01234567"),
                    ],
                )
        offered["plain"] = ("plain", [])
        return [
            {"key": key, "name": text(label, lang), "tiles": tiles, "active": key == self.name}
            for key, (label, tiles) in offered.items()
        ]


_OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"


def _to_gcj02(coords: np.ndarray) -> np.ndarray:
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def choose_basemap(name: str = "osm", *, tianditu_key: str | None = None) -> Basemap:
    """The basemap asked for, or InvalidInput naming what is missing or unknown."""
    if name not in BASEMAPS:
        raise InvalidInput(
            f"unknown basemap {name!r}; expected one of {', '.join(BASEMAPS)}", field="basemap"
        )
    if tianditu_key is not None and not _KEY.match(tianditu_key):
        raise InvalidInput("expected a 天地图 key (tk) of letters and digits", field="tianditu_key")
    if name.startswith("tianditu") and not tianditu_key:
        raise InvalidInput(
            "天地图 needs a key: set TIANDITU_KEY (apply at console.tianditu.gov.cn)",
            field="basemap",
        )
    return Basemap(name, tianditu_key)


def as_basemap(basemap: Basemap | str) -> Basemap:
    """A map builder's `basemap` argument as a Basemap: a name is chosen (without a key)."""
    return choose_basemap(basemap) if isinstance(basemap, str) else basemap


def tile_origins(*, tianditu_key: str | None = None) -> tuple[str, ...]:
    """Every origin (scheme and host) the offered basemaps fetch tiles from, for a page's CSP."""
    origins: set[str] = set()
    for name in (BasemapName.osm, BasemapName.gaode):
        for layer in Basemap(name.value, tianditu_key).layers("zh"):
            for tile in layer["tiles"]:  # type: ignore[attr-defined]
                url = str(tile["url"])
                scheme, rest = url.split("://", 1)
                host = rest.split("/", 1)[0]
                for sub in str(tile["subdomains"]) or " ":
                    origins.add(f"{scheme}://{host.replace('{s}', sub.strip())}")
    return tuple(sorted(origins))
