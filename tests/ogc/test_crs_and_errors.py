"""OGC API Features Part 2 (crs, bbox-crs, Content-Crs) and refusals naming the parameter."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.ogc.conftest import LiveTown

EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _get(town: LiveTown, path: str, **params) -> httpx.Response:
    return httpx.get(f"{town.base}/ogc{path}", params=params, headers=town.headers("office"))


def _transformed(town: LiveTown, issue_id: str, srid: int) -> tuple[float, float]:
    engine = create_engine(town.db_url)
    with engine.connect() as conn:
        x, y = conn.execute(
            text(
                "SELECT ST_X(ST_Transform(geom, :s)), ST_Y(ST_Transform(geom, :s))"
                " FROM issue WHERE id = CAST(:i AS uuid)"
            ),
            {"s": srid, "i": issue_id},
        ).one()
    engine.dispose()
    return float(x), float(y)


def test_points_in_4490_and_the_metric_crs_match_st_transform(live_town: LiveTown):
    page = _get(live_town, "/collections/issues/items", village=live_town.village, limit=3)
    assert page.headers["Content-Crs"] == f"<{CRS84}>"
    feature = page.json()["features"][0]
    lon, lat = feature["geometry"]["coordinates"]
    assert 116 < lon < 119 and 38 < lat < 41  # CRS84: longitude first

    cgcs = _get(live_town, f"/collections/issues/items/{feature['id']}", crs=EPSG.format(4490))
    assert cgcs.status_code == 200, cgcs.text
    assert cgcs.headers["Content-Crs"] == f"<{EPSG.format(4490)}>"
    first, second = cgcs.json()["geometry"]["coordinates"]
    x, y = _transformed(live_town, feature["id"], 4490)
    assert (first, second) == pytest.approx((y, x), abs=1e-7)  # EPSG:4490 is latitude first

    metric = _get(
        live_town,
        "/collections/issues/items",
        village=live_town.village,
        limit=3,
        crs=EPSG.format(4527),
    )
    assert metric.headers["Content-Crs"] == f"<{EPSG.format(4527)}>"
    same = next(f for f in metric.json()["features"] if f["id"] == feature["id"])
    northing, easting = same["geometry"]["coordinates"]  # EPSG:4527: northing (X) first
    x, y = _transformed(live_town, feature["id"], 4527)
    assert (easting, northing) == pytest.approx((x, y), abs=1e-3)
    assert 39_000_000 < easting < 40_000_000  # zone 39's false easting prefix

    # bbox in the metric CRS (axis order northing, easting) finds the point
    box = f"{northing - 1},{easting - 1},{northing + 1},{easting + 1}"
    near = _get(live_town, "/collections/issues/items", bbox=box, **{"bbox-crs": EPSG.format(4527)})
    assert near.status_code == 200, near.text
    assert feature["id"] in {f["id"] for f in near.json()["features"]}
    assert near.json()["numberMatched"] < 5
    # a box reaching past where the CRS is defined is cut to it, not a server error
    wide = f"{northing - 1},{easting - 1},{northing + 1},{easting + 2_000_000}"
    cut = _get(live_town, "/collections/issues/items", bbox=wide, **{"bbox-crs": EPSG.format(4527)})
    assert cut.status_code == 200, cut.text
    assert feature["id"] in {f["id"] for f in cut.json()["features"]}
    # and in EPSG:4326 (latitude first)
    box = f"{lat - 1e-5},{lon - 1e-5},{lat + 1e-5},{lon + 1e-5}"
    near = _get(live_town, "/collections/issues/items", bbox=box, **{"bbox-crs": EPSG.format(4326)})
    assert feature["id"] in {f["id"] for f in near.json()["features"]}


def test_village_boundaries_in_the_metric_crs(live_town: LiveTown):
    answer = _get(live_town, "/collections/villages/items", limit=1, crs=EPSG.format(4527))
    ring = answer.json()["features"][0]["geometry"]["coordinates"][0][0]
    northing, easting = ring[0]
    assert 4_000_000 < northing < 5_000_000 and 39_000_000 < easting < 40_000_000


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/collections/issues/items", {"limit": "0"}, 422, "limit"),
        ("/collections/issues/items", {"limit": "many"}, 422, "limit"),
        ("/collections/issues/items", {"offset": "-1"}, 422, "offset"),
        ("/collections/issues/items", {"crs": "EPSG:3857"}, 422, "crs"),
        ("/collections/issues/items", {"bbox": "1,2,3"}, 422, "bbox"),
        (
            "/collections/issues/items",
            {"bbox": "117,39,118,39.5", "bbox-crs": "EPSG:9"},
            422,
            "bbox-crs",
        ),
        ("/collections/issues/items", {"bbox": "39,117,39.5,118"}, 422, "bbox"),
        ("/collections/issues/items", {"datetime": "yesterday"}, 422, "datetime"),
        ("/collections/issues/items", {"datetime": "2024-05-01/2024-04-01"}, 422, "datetime"),
        ("/collections/issues/items", {"status": "lost"}, 422, "status"),
        ("/collections/issues/items", {"village": "XX99"}, 422, "village"),
        ("/collections/issues/items", {"colour": "red"}, 400, "colour"),
        ("/collections/villages/items", {"category": "weeds"}, 400, "category"),
        ("/collections/lakes/items", {}, 404, "collectionId"),
        ("/collections/lakes", {}, 404, "collectionId"),
        ("/collections/villages/items/NOPE", {}, 404, "featureId"),
        ("/collections/issues/items/not-a-uuid", {}, 404, "featureId"),
        ("/collections/issues/items", {"f": "html"}, 422, "f"),
        # easting first in EPSG:4527 (northing first): outside the CRS, was a 500
        (
            "/collections/issues/items",
            {"bbox": "39519000,4352000,39521000,4354000", "bbox-crs": EPSG.format(4527)},
            422,
            "bbox",
        ),
        (
            "/collections/villages/items",
            {"bbox": "39519000,4352000,39521000,4354000", "bbox-crs": EPSG.format(4527)},
            422,
            "bbox",
        ),
    ],
)
def test_bad_parameters_are_named(live_town: LiveTown, path, params, status, field):
    answer = _get(live_town, path, **params)
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["field"] == field
    assert body["message"] and body["error"]
