"""Vector tiles against the issue list: the same issues, the same scope, counts that add up."""

from __future__ import annotations

import math
from collections.abc import Iterator

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from geo.tiles import TileCache
from service.app import create_app
from service.settings import ServiceSettings

pytestmark = pytest.mark.postgis

AS_OF = "2024-03-20"
"""I1 (found 03-05) and I4 (found 03-15, submitted) are past their 10-day deadline then."""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The z/x/y tile holding a lon/lat point (Web Mercator, rows from the north)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    rad = math.radians(lat)
    y = int((1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n)
    return x, y


def town_tile(z: int) -> tuple[int, int, int]:
    """The tile at zoom `z` holding both villages whole (117.19–117.21 E, 39.28–39.29 N)."""
    corners = {tile_of(lon, lat, z) for lon in (117.19, 117.21) for lat in (39.28, 39.29)}
    assert len(corners) == 1, f"the town straddles tiles at zoom {z}: {corners}"
    x, y = corners.pop()
    return z, x, y


@pytest.fixture
def tiles_client(two_villages_url: str, tmp_path) -> Iterator[TestClient]:
    """The API with points from zoom 12 on and 32-pixel cells below."""
    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, tile_points_zoom=12, tile_cell_px=32
    )
    with TestClient(create_app(settings)) as client:
        yield client


def decode(content: bytes) -> list[dict]:
    """The features of the `issues` (or `villages`) layer of a tile ([] when empty)."""
    layers = mapbox_vector_tile.decode(content)
    assert set(layers) <= {"issues", "villages"}
    return [f for layer in layers.values() for f in layer["features"]]


def listed(client: TestClient, headers: dict | None = None, **params: str) -> dict[str, dict]:
    response = client.get("/issues", params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return {f["properties"]["id"]: f["properties"] for f in response.json()["features"]}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "open"},
        {"category": "clutter"},
        {"village": "W01"},
        {"community": "C1", "month": "2024-03"},
        {"overdue": "true", "as_of": AS_OF},
    ],
)
def test_a_point_tile_holds_exactly_the_listed_issues(tiles_client: TestClient, params):
    z, x, y = town_tile(12)
    response = tiles_client.get(f"/tiles/issues/{z}/{x}/{y}.mvt", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert response.headers["x-tile-kind"] == "points"
    features = decode(response.content)
    expected = listed(tiles_client, **params)
    assert expected, "each filter selects some issues"
    got = {f["properties"]["id"]: f["properties"] for f in features}
    assert set(got) == set(expected)
    for issue_id, props in got.items():
        want = expected[issue_id]
        assert (props["code"], props["status"], props["category"]) == (
            want["code"],
            want["status"],
            want["category"],
        )
        assert all(f["geometry"]["type"] == "Point" for f in features)


def test_cells_add_up_to_the_listed_counts(tiles_client: TestClient):
    z, x, y = town_tile(9)
    response = tiles_client.get(f"/tiles/issues/{z}/{x}/{y}.mvt", params={"as_of": AS_OF})
    assert response.headers["x-tile-kind"] == "cells"
    cells = decode(response.content)
    assert cells and all(f["geometry"]["type"] == "Polygon" for f in cells)
    every = listed(tiles_client)
    assert sum(c["properties"]["count"] for c in cells) == len(every) == 4
    open_ = listed(tiles_client, status="open")
    assert sum(c["properties"]["open"] for c in cells) == len(open_) == 2
    overdue = listed(tiles_client, overdue="true", as_of=AS_OF)
    assert sum(c["properties"]["overdue"] for c in cells) == len(overdue) == 2


def test_cells_of_neighbouring_tiles_count_each_issue_once(two_villages_url: str, tmp_path):
    """At zoom 15 the town spans several tiles; each issue is in exactly one cell of one."""
    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, tile_points_zoom=18
    )
    with TestClient(create_app(settings)) as client:
        z = 15
        x0, y0 = tile_of(117.19, 39.29, z)
        x1, y1 = tile_of(117.21, 39.28, z)
        assert (x1 - x0 + 1) * (y1 - y0 + 1) > 1
        total = 0
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                response = client.get(f"/tiles/issues/{z}/{x}/{y}.mvt")
                assert response.status_code == 200
                total += sum(f["properties"]["count"] for f in decode(response.content))
        assert total == 4


def test_a_village_user_gets_its_own_village_only(tiles_client: TestClient, tokens):
    z, x, y = town_tile(12)
    url = f"/tiles/issues/{z}/{x}/{y}.mvt"
    west = tiles_client.get(url, headers=tokens["west"])
    assert west.status_code == 200
    codes = {f["properties"]["code"] for f in decode(west.content)}
    assert codes == {"I1", "I2"}
    assert codes == {p["code"] for p in listed(tiles_client, tokens["west"]).values()}
    cells = tiles_client.get(
        f"/tiles/issues/9/{town_tile(9)[1]}/{town_tile(9)[2]}.mvt", headers=tokens["west"]
    )
    assert sum(f["properties"]["count"] for f in decode(cells.content)) == 2
    other = tiles_client.get(url, params={"village": "E01"}, headers=tokens["west"])
    assert other.status_code == 403
    assert other.json()["field"] == "village"


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/tiles/issues/25/0/0.mvt", "z"),
        ("/tiles/issues/-1/0/0.mvt", "z"),
        ("/tiles/issues/3/8/0.mvt", "x"),
        ("/tiles/issues/3/0/8.mvt", "y"),
        ("/tiles/issues/3/0/-2.mvt", "y"),
        ("/tiles/issues/3/a/0.mvt", "x"),
        ("/tiles/villages/2/0/4.mvt", "y"),
        ("/tiles/villages/z/0/0.mvt", "z"),
    ],
)
def test_a_bad_tile_address_is_a_422_naming_it(tiles_client: TestClient, path, field):
    response = tiles_client.get(path)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_a_bad_filter_is_a_422_as_for_the_list(tiles_client: TestClient):
    response = tiles_client.get("/tiles/issues/3/6/3.mvt", params={"status": "lost"})
    assert response.status_code == 422
    assert response.json()["field"] == "status"


def test_tiles_carry_an_etag_and_a_short_max_age(tiles_client: TestClient):
    z, x, y = town_tile(12)
    url = f"/tiles/issues/{z}/{x}/{y}.mvt"
    first = tiles_client.get(url)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, max-age=60"
    again = tiles_client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = tiles_client.get(url, params={"status": "closed"}, headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def test_a_tile_far_from_the_town_is_empty(tiles_client: TestClient):
    x, y = tile_of(2.35, 48.85, 13)
    response = tiles_client.get(f"/tiles/issues/13/{x}/{y}.mvt")
    assert response.status_code == 200
    assert decode(response.content) == []
    response = tiles_client.get(f"/tiles/issues/5/{x >> 8}/{y >> 8}.mvt")
    assert decode(response.content) == []


def test_village_tiles_hold_the_boundaries(tiles_client: TestClient):
    z, x, y = town_tile(12)
    response = tiles_client.get(f"/tiles/villages/{z}/{x}/{y}.mvt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    features = decode(response.content)
    assert {f["properties"]["code"] for f in features} == {"W01", "E01"}
    assert {f["properties"]["community"] for f in features} == {"C1"}
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in features)
    only = tiles_client.get(f"/tiles/villages/{z}/{x}/{y}.mvt", params={"village": "E01"})
    assert [f["properties"]["name"] for f in decode(only.content)] == ["东村"]


def test_the_issue_map_switches_to_tiles_above_the_setting(two_villages_url: str, tmp_path):
    settings = ServiceSettings(database_url=two_villages_url, data_dir=tmp_path, map_tiles_over=3)
    with TestClient(create_app(settings)) as client:
        page = client.get("/maps/issues", params={"lang": "en"}).text
        assert "cunrong.issueTiles(" in page and "cunrong.issues(" not in page
        assert "/tiles/issues/{z}/{x}/{y}.mvt" in page
        assert "L.VectorGrid" in page  # the vendored plugin, inlined
        fewer = client.get("/maps/issues", params={"status": "open", "lang": "en"}).text
        assert "cunrong.issues(" in fewer and "cunrong.issueTiles(" not in fewer
        assert "L.VectorGrid" not in fewer
    settings = ServiceSettings(database_url=two_villages_url, data_dir=tmp_path, map_tiles_over=0)
    with TestClient(create_app(settings)) as client:
        page = client.get("/maps/issues", params={"status": "open", "basemap": "plain"}).text
        assert "/tiles/issues/{z}/{x}/{y}.mvt?status=open" in page
        shifted = client.get("/maps/issues", params={"basemap": "gaode"})
        assert shifted.status_code == 422 and "basemap" in shifted.text


def test_the_tile_cache_keeps_the_most_recent_tiles():
    cache = TileCache(size=2, max_age_s=60)
    for name in ("a", "b", "c"):
        cache.put((name, ()), name.encode())
    assert cache.get(("a", ())) is None
    assert cache.get(("b", ())) == b"b" and cache.get(("c", ())) == b"c"
    off = TileCache(size=0, max_age_s=60)
    off.put(("a", ()), b"a")
    assert off.get(("a", ())) is None


def test_a_dense_tile_past_the_points_zoom_still_carries_cells(two_villages_url: str, tmp_path):
    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, tile_points_zoom=12, tile_max_points=3
    )
    with TestClient(create_app(settings)) as client:
        z, x, y = town_tile(12)
        dense = client.get(f"/tiles/issues/{z}/{x}/{y}.mvt")
        assert dense.headers["x-tile-kind"] == "cells"
        assert sum(f["properties"]["count"] for f in decode(dense.content)) == 4
        fewer = client.get(f"/tiles/issues/{z}/{x}/{y}.mvt", params={"village": "W01"})
        assert fewer.headers["x-tile-kind"] == "points"
        assert {f["properties"]["code"] for f in decode(fewer.content)} == {"I1", "I2"}
