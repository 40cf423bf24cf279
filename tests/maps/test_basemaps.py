"""Basemaps: 天地图 needs its key, 高德 shifts every drawn coordinate to GCJ-02."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from geo.coords import gcj02_to_wgs84, wgs84_to_gcj02
from geo.errors import InvalidInput
from geo.maps.basemaps import choose_basemap
from geo.maps.issues import issue_map
from tests.maps import town

# Published pairs (wandergis/coordtransform, test/app.js and its Python port's README).
REFERENCE = [
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164)),
    ((128.543, 37.065), (128.54820547949757, 37.065651049489816)),
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE)
def test_gcj02_matches_published_reference_points(wgs, gcj):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert float(lon) == pytest.approx(gcj[0], abs=1e-9)
    assert float(lat) == pytest.approx(gcj[1], abs=1e-9)
    back = gcj02_to_wgs84(*gcj)
    assert np.allclose(back, wgs, atol=1e-8)


def test_outside_china_is_unchanged():
    assert tuple(map(float, wgs84_to_gcj02(2.35, 48.85))) == (2.35, 48.85)


def _payload(html: str, fn: str) -> list:
    match = re.search(r"cunrong\." + fn + r"\(map_\w+, (.*)\);\n", html)
    assert match, fn
    return json.loads("[" + match.group(1) + "]")


def test_gaode_shifts_points_and_boundaries():
    issues, villages = town.issues(10), town.villages()
    plain = issue_map(issues, villages=villages, basemap="plain").get_root().render()
    gaode = issue_map(issues, villages=villages, basemap="gaode").get_root().render()
    data = _payload(gaode, "issues")[0]
    x = data["origin"][0] + np.array(data["x"]) / data["scale"]
    y = data["origin"][1] + np.array(data["y"]) / data["scale"]
    ex, ey = wgs84_to_gcj02(issues.geometry.x.to_numpy(), issues.geometry.y.to_numpy())
    assert np.allclose(x, ex, atol=2e-5) and np.allclose(y, ey, atol=2e-5)
    shift_m = np.hypot((ex - issues.geometry.x) * 86_000, (ey - issues.geometry.y) * 111_000)
    assert 400 < shift_m.mean() < 700  # about 560 m around Tianjin
    ring = _payload(gaode, "boundaries")[0]["features"][0]["geometry"]["coordinates"][0][0][0]
    lon, lat = wgs84_to_gcj02(*villages.geometry.iloc[0].geoms[0].exterior.coords[0])
    assert ring == pytest.approx([float(lon), float(lat)], abs=1e-6)
    plain_ring = _payload(plain, "boundaries")[0]["features"][0]["geometry"]["coordinates"][0][0][0]
    assert plain_ring == pytest.approx(list(villages.geometry.iloc[0].geoms[0].exterior.coords[0]))
    layers = _payload(gaode, "basemaps")[0]
    assert [b["key"] for b in layers] == ["gaode", "gaode_img", "plain"]
    assert layers[0]["active"]


def test_tianditu_needs_a_key_and_uses_it():
    with pytest.raises(InvalidInput, match="TIANDITU_KEY") as err:
        choose_basemap("tianditu")
    assert err.value.field == "basemap"
    base = choose_basemap("tianditu_img", tianditu_key="abc123def456")
    layers = {b["key"]: b for b in base.layers("zh")}
    assert set(layers) == {"osm", "tianditu", "tianditu_img", "plain"}
    assert layers["tianditu_img"]["active"]
    urls = [t["url"] for t in layers["tianditu_img"]["tiles"]]
    assert (
        "LAYER=img" in urls[0]
        and "LAYER=cia" in urls[1]
        and all("tk=abc123def456" in u for u in urls)
    )
    en = {b["key"]: b for b in base.layers("en")}
    assert "LAYER=eva" in en["tianditu"]["tiles"][1]["url"]
    with pytest.raises(InvalidInput, match="letters and digits"):
        choose_basemap("osm", tianditu_key="x'><script>")
    with pytest.raises(InvalidInput, match="unknown basemap"):
        choose_basemap("google")


def test_osm_offers_no_tianditu_without_a_key():
    assert [b["key"] for b in choose_basemap("osm").layers("zh")] == ["osm", "plain"]
