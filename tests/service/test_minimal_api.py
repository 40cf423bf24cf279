"""The read API: health, villages and issues as GeoJSON, filters answered by PostGIS."""

from __future__ import annotations

import pytest


def test_health_reports_postgis_and_counts(client):
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["villages"] == 2
    assert body["issues"] == 4


def test_villages_are_a_geojson_feature_collection(client):
    response = client.get("/villages")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == ["E01", "W01"]
    assert all(f["geometry"]["type"] == "MultiPolygon" for f in body["features"])
    # 0.01° × 0.01° at 39.285°N ≈ 1.113 km × 0.862 km ≈ 0.96 km²
    assert body["features"][0]["properties"]["area_km2"] == pytest.approx(0.96, abs=0.01)


def codes(response):
    assert response.status_code == 200, response.text
    return sorted(f["properties"]["code"] for f in response.json()["features"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["I1", "I2", "I3", "I4"]),
        ("?village=W01", ["I1", "I2"]),
        ("?village=W01&status=open", ["I1"]),
        ("?status=open,submitted", ["I1", "I3", "I4"]),
        ("?category=clutter", ["I1", "I3"]),
        ("?month=2024-03", ["I1", "I3", "I4"]),
        ("?bbox=117.204,39.284,117.21,39.29", ["I3", "I4"]),
        ("?community=C1&category=weeds", ["I2"]),
        ("?overdue=true&as_of=2024-12-31", ["I1", "I3"]),
    ],
)
def test_issue_filters(client, query, expected):
    assert codes(client.get(f"/issues{query}")) == expected


def test_issue_properties_carry_village_and_overdue(client):
    feature = client.get("/issues?village=E01&category=clutter&as_of=2024-12-31").json()[
        "features"
    ][0]
    assert feature["properties"]["village"] == "E01"
    assert feature["properties"]["village_name"] == "东村"
    assert feature["properties"]["overdue"] is True
    assert feature["geometry"] == {"type": "Point", "coordinates": [117.205, 39.285]}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?month=2024-13", "month"),
        ("?month=March", "month"),
        ("?bbox=1,2,3", "bbox"),
        ("?bbox=39.28,117.19,39.29,117.21", "bbox"),
        ("?status=done", "status"),
        ("?category=litter", "category"),
        ("?village=NOPE", "village"),
        ("?limit=0", "limit"),
        ("?overdue=maybe", "overdue"),
    ],
)
def test_bad_filters_are_4xx_naming_the_field(client, query, field):
    response = client.get(f"/issues{query}")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_input"
    assert body["field"] == field
    assert field in body["message"]


def test_nul_characters_are_refused_not_a_server_error(client, tokens):
    response = client.get("/issues?community=%00")
    assert response.status_code == 422 and response.json()["error"] == "invalid_input"
    body = {"category": "clutter", "lon": 117.195, "lat": 39.285, "description": "堆\u0000放"}
    created = client.post("/issues", json=body, headers=tokens["inspector"])
    assert created.status_code == 422
    assert client.get("/health").json()["issues"] == 4


def test_paging_with_total_count(client):
    first = client.get("/issues?limit=3")
    second = client.get("/issues?limit=3&offset=3")
    assert first.headers["x-total-count"] == second.headers["x-total-count"] == "4"
    codes = [f["properties"]["code"] for f in first.json()["features"]]
    codes += [f["properties"]["code"] for f in second.json()["features"]]
    assert sorted(codes) == ["I1", "I2", "I3", "I4"]  # newest first, nothing twice
    assert codes[0] == "I2"  # found 2024-04-02, the newest
