"""OGC API Features read by OWSLib's client against the running service (sample town)."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate
from owslib.ogcapi.features import Features
from sqlalchemy import create_engine, text

from tests.ogc.conftest import LiveTown

COLLECTIONS = {"villages", "grids", "communities", "issues", "roads", "sites"}
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _client(town: LiveTown, user: str = "office") -> Features:
    return Features(f"{town.base}/ogc", headers=town.headers(user))


def _all_pages(town: LiveTown, user: str, **params) -> tuple[list[dict], int, int]:
    """Every feature of the issues collection, following `next` links; (features, pages,
    numberMatched of the first page)."""
    api = _client(town, user)
    page = api.collection_items("issues", **params)
    matched = page["numberMatched"]
    features, pages = list(page["features"]), 1
    while True:
        following = [link["href"] for link in page["links"] if link["rel"] == "next"]
        if not following:
            break
        answer = httpx.get(following[0], headers=town.headers(user))
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert page["numberMatched"] == matched
        assert any(link["rel"] == "prev" for link in page["links"])
        features.extend(page["features"])
        pages += 1
    return features, pages, matched


def test_landing_conformance_and_collections(live_town: LiveTown):
    api = _client(live_town)
    landing = api.links
    rels = {link["rel"] for link in landing}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conformance = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conformance
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conformance
    listed = api.collections()["collections"]
    assert {c["id"] for c in listed} == COLLECTIONS
    issues = api.collection("issues")
    assert issues["title"].startswith("问题点位")
    assert issues["crs"][0] == CRS84
    assert "http://www.opengis.net/def/crs/EPSG/0/4490" in issues["crs"]
    assert "http://www.opengis.net/def/crs/EPSG/0/4527" in issues["crs"]
    west, south, east, north = issues["extent"]["spatial"]["bbox"][0]
    assert 116 < west < east < 119 and 38 < south < north < 41
    queryables = api.collection_queryables("issues")["properties"]
    assert {"village", "category", "status", "month", "source", "overdue"} <= set(queryables)
    assert "open" in queryables["status"]["enum"]
    spec = httpx.get(f"{live_town.base}/ogc/api", headers=live_town.headers("office"))
    assert spec.status_code == 200
    assert spec.json()["openapi"].startswith("3.0")
    assert "/ogc/collections/issues/items" in spec.json()["paths"]
    validate(spec.json())  # a valid OpenAPI 3.0 document (raises otherwise)


def test_pages_through_a_village_and_matches_issues(live_town: LiveTown):
    village = live_town.village
    features, pages, matched = _all_pages(live_town, "office", village=village, limit=7)
    assert pages >= 3 and pages == -(-matched // 7)
    assert len(features) == matched
    assert len({f["id"] for f in features}) == matched  # no feature twice across pages
    assert {f["properties"]["village"] for f in features} == {village}

    plain = httpx.get(
        f"{live_town.base}/issues",
        params={"village": village, "limit": 5000},
        headers=live_town.headers("office"),
    )
    assert plain.status_code == 200
    expected = {f["properties"]["id"]: f for f in plain.json()["features"]}
    assert set(expected) == {f["id"] for f in features}
    for feature in features:
        same = expected[feature["id"]]
        assert feature["geometry"] == same["geometry"]
        assert feature["properties"]["status"] == same["properties"]["status"]
        assert feature["properties"]["code"] == same["properties"]["code"]

    engine = create_engine(live_town.db_url)
    with engine.connect() as conn:
        in_db = conn.execute(
            text(
                "SELECT count(*) FROM issue i JOIN village v ON v.id = i.village_id"
                " WHERE v.code = :v"
            ),
            {"v": village},
        ).scalar_one()
    engine.dispose()
    assert matched == in_db


def test_queryables_filter_like_issues(live_town: LiveTown):
    api = _client(live_town)
    params = {"village": live_town.village, "status": "closed", "limit": 1000}
    ogc = api.collection_items("issues", **params)
    plain = httpx.get(
        f"{live_town.base}/issues", params=params, headers=live_town.headers("office")
    )
    assert ogc["numberMatched"] == int(plain.headers["X-Total-Count"])
    assert {f["id"] for f in ogc["features"]} == {
        f["properties"]["id"] for f in plain.json()["features"]
    }
    assert all(f["properties"]["status"] == "closed" for f in ogc["features"])

    first = ogc["features"][0]
    day = first["properties"]["found_on"]
    on_day = api.collection_items("issues", datetime=day, limit=1000)
    assert on_day["numberMatched"] >= 1
    assert {f["properties"]["found_on"] for f in on_day["features"]} == {day}
    lon, lat = first["geometry"]["coordinates"]
    box = [lon - 1e-5, lat - 1e-5, lon + 1e-5, lat + 1e-5]
    near = api.collection_items("issues", bbox=box, limit=1000)
    assert first["id"] in {f["id"] for f in near["features"]}
    assert near["numberMatched"] < 5


def test_a_village_user_sees_its_own_issues_only(live_town: LiveTown):
    features, _, matched = _all_pages(live_town, "vill", limit=50)
    assert matched > 0
    assert {f["properties"]["village"] for f in features} == {live_town.village}

    others = httpx.get(
        f"{live_town.base}/issues",
        params={"village": live_town.other_village, "limit": 1},
        headers=live_town.headers("office"),
    ).json()["features"]
    foreign = others[0]["properties"]["id"]
    url = f"{live_town.base}/ogc/collections/issues/items"
    assert httpx.get(f"{url}/{foreign}", headers=live_town.headers("office")).status_code == 200
    hidden = httpx.get(f"{url}/{foreign}", headers=live_town.headers("vill"))
    assert hidden.status_code == 404
    assert hidden.json()["field"] == "featureId"
    refused = httpx.get(
        url, params={"village": live_town.other_village}, headers=live_town.headers("vill")
    )
    assert refused.status_code == 403 and refused.json()["field"] == "village"
    assert httpx.get(url).status_code == 401  # no token, no anonymous reads here
    bad = httpx.get(url, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401


def test_basic_credentials_carry_the_token(live_town: LiveTown):
    url = f"{live_town.base}/ogc/collections/issues/items"
    answer = httpx.get(url, params={"limit": 1000}, auth=("qgis", live_town.tokens["vill"]))
    assert answer.status_code == 200
    villages = {f["properties"]["village"] for f in answer.json()["features"]}
    assert villages == {live_town.village}
    assert httpx.get(url, auth=("qgis", "wrong")).status_code == 401


def test_other_layers_page_and_fetch_one(live_town: LiveTown):
    api = _client(live_town)
    villages = api.collection_items("villages", limit=10)
    assert villages["numberMatched"] == 44 and villages["numberReturned"] == 10
    code = villages["features"][0]["id"]
    one = api.collection_item("villages", code)
    assert one["id"] == code and one["geometry"]["type"] == "MultiPolygon"
    grids = api.collection_items("grids", village=live_town.village, limit=1000)
    assert grids["numberMatched"] >= 1
    assert {f["properties"]["village_code"] for f in grids["features"]} == {live_town.village}
    communities = api.collection_items("communities", limit=1000)
    assert communities["numberMatched"] >= 1
    roads = api.collection_items("roads", limit=5)
    assert roads["numberMatched"] >= 0
    sites = api.collection_items("sites", limit=5)
    assert sites["numberMatched"] >= 0 and sites["type"] == "FeatureCollection"
    # a village user's grids are its own village's
    mine = _client(live_town, "vill").collection_items("grids", limit=1000)
    assert {f["properties"]["village_code"] for f in mine["features"]} == {live_town.village}
