"""Communities and grids as GeoJSON; admin re-imports through HTTP, all or nothing."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
from shapely.geometry import Polygon


def _villages_geojson(*, bowtie: bool = False) -> bytes:
    west = Polygon([(117.19, 39.28), (117.195, 39.28), (117.195, 39.29), (117.19, 39.29)])
    east = Polygon([(117.195, 39.28), (117.21, 39.28), (117.21, 39.29), (117.195, 39.29)])
    if bowtie:
        east = Polygon([(117.195, 39.28), (117.21, 39.29), (117.21, 39.28), (117.195, 39.29)])
    frame = gpd.GeoDataFrame(
        {"code": ["W01", "E01"], "name": ["西村", "东村"], "community": ["C1", "C1"]},
        geometry=[west, east],
        crs=4326,
    )
    return frame.to_json().encode()


def test_communities_and_grids(client):
    communities = client.get("/communities").json()["features"]
    assert [(c["properties"]["code"], c["properties"]["villages"]) for c in communities] == [
        ("C1", 2)
    ]
    assert communities[0]["geometry"]["type"] == "MultiPolygon"
    assert client.get("/grids").json()["features"] == []


def test_admin_reimports_villages_and_issues_move(client, tokens):
    # W01 shrinks to 117.19–117.195: I2 at 117.196 now lies in E01
    response = client.post(
        "/import/villages",
        files={"file": ("villages.geojson", _villages_geojson(), "application/geo+json")},
        headers=tokens["admin"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["updated"] == 2
    moved = client.get("/issues?village=E01").json()["features"]
    assert sorted(f["properties"]["code"] for f in moved) == ["I2", "I3", "I4"]


def test_bad_import_changes_nothing_and_names_the_row(client, tokens):
    before = client.get("/villages").json()
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr(
            "villages.geojson",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "properties": {"code": "W01", "name": "西村"},
                            "geometry": {"type": "Point", "coordinates": [117.19, 39.28]},
                        }
                    ],
                }
            ),
        )
    response = client.post(
        "/import/villages",
        files={"file": ("v.zip", zipped.getvalue(), "application/zip")},
        headers=tokens["admin"],
    )
    assert response.status_code == 422
    assert response.json()["error"] == "import_failed" and response.json()["problems"]
    assert client.get("/villages").json() == before
    assert (
        client.post(
            "/import/villages", files={"file": ("v.shp", b"x", "x")}, headers=tokens["admin"]
        ).status_code
        == 422
    )
    assert (
        client.post(
            "/import/villages",
            files={"file": ("v.geojson", _villages_geojson(), "x")},
            headers=tokens["inspector"],
        ).status_code
        == 403
    )


def test_self_intersecting_village_is_repaired_and_reported(client, tokens):
    response = client.post(
        "/import/villages",
        files={
            "file": ("villages.geojson", _villages_geojson(bowtie=True), "application/geo+json")
        },
        data={"dry_run": "true"},
        headers=tokens["admin"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True
    assert any(
        "make_valid" in w["message"] or "repair" in w["message"].lower()
        for w in response.json()["warnings"]
    )


def test_admin_adds_a_category_synonym_that_imports_then_understand(client, tokens):
    assert {"synonym": "蜘蛛网", "category": "tangled_wires", "added_by": "seed"} in client.get(
        "/categories/synonyms?category=tangled_wires"
    ).json()
    body = {"synonym": "电线乱拉", "category": "tangled_wires"}
    assert (
        client.post("/categories/synonyms", json=body, headers=tokens["inspector"]).status_code
        == 403
    )
    added = client.post("/categories/synonyms", json=body, headers=tokens["admin"])
    assert added.status_code == 201, added.text
    bad = client.post(
        "/categories/synonyms", json={**body, "category": "wires"}, headers=tokens["admin"]
    )
    assert bad.status_code == 422 and bad.json()["field"] == "category"
    csv = "类别,经度,纬度,发现日期\n电线乱拉,117.205,39.285,2024-03-05\n"
    imported = client.post(
        "/import/issues",
        files={"file": ("issues.csv", csv.encode(), "text/csv")},
        headers=tokens["admin"],
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["inserted"] == 1
    gone = client.delete("/categories/synonyms/电线乱拉", headers=tokens["admin"])
    assert gone.status_code == 204
    assert (
        client.delete("/categories/synonyms/电线乱拉", headers=tokens["admin"]).status_code == 404
    )
