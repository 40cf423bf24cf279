"""A map rendered for a page carries the response's script nonce on every <script> it writes,
from its own templates; data in the map never becomes a script, with or without a nonce."""

from __future__ import annotations

import re

import folium
import pytest

from geo.maps.assets import page_html
from geo.maps.base import new_map
from geo.maps.basemaps import choose_basemap

SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.IGNORECASE)
NONCE = "n0nce-Of-This-Response_22"
HOSTILE = '</script><script>alert("x")</script><img src=x onerror=alert(1)>'


def _map() -> folium.Map:
    m = new_map(
        bounds=(117.0, 39.0, 117.1, 39.1),
        basemap=choose_basemap("osm"),
        lang="zh",
        title=HOSTILE,
        subtitle=HOSTILE,
    )
    m.require("markercluster", "heat", "vectorgrid")  # every vendored script
    return m


def test_every_script_of_a_map_page_carries_the_nonce():
    html = page_html(_map(), nonce=NONCE)
    tags = SCRIPT_TAG.findall(html)
    # leaflet, markercluster, heat, vectorgrid, the cunrong runtime, folium's switches and
    # the page's setup script
    assert len(tags) == 7
    assert all(f'nonce="{NONCE}"' in tag for tag in tags), tags
    assert html.lower().count("</script>") == len(tags)  # the title did not close one
    assert "alert" in html and "<script>alert" not in html and "<img src=x" not in html


def test_a_map_saved_as_a_file_has_no_nonce():
    m = _map()
    html = page_html(m)
    tags = SCRIPT_TAG.findall(html)
    assert len(tags) == 7 and not any("nonce" in tag for tag in tags)
    assert html == m.get_root().render()  # what `m.save()` and the CLI write


@pytest.mark.parametrize("nonce", ['"><script>', "short", "a b c d e f g h i j k", ""])
def test_a_nonce_that_is_not_plain_is_refused(nonce):
    with pytest.raises(ValueError, match="nonce"):
        page_html(_map(), nonce=nonce)


def test_only_town_maps_can_be_rendered_with_a_nonce():
    with pytest.raises(TypeError, match="TownMap"):
        page_html(folium.Map(tiles=None), nonce=NONCE)


def test_a_map_page_is_titled_by_its_map_escaped():
    m = new_map(
        bounds=(117.0, 39.0, 117.1, 39.1),
        basemap=choose_basemap("plain"),
        lang="zh",
        title="村容排名",
    )
    assert "<title>村容排名 · 村容</title>" in page_html(m, nonce=NONCE)
    english = new_map(bounds=None, basemap=choose_basemap("plain"), lang="en", title="Ranking")
    assert "<title>Ranking · cunrong</title>" in page_html(english, nonce=NONCE)
    hostile = page_html(_map(), nonce=NONCE)
    title = hostile[hostile.index("<title>") : hostile.index("</title>")]
    assert "<" not in title[len("<title>") :] and "&lt;/script&gt;" in title
