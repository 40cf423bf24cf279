"""What a GIS client (OWSLib, GDAL, a script) meets outside the browser: unknown codes in
filters are named, exports carry nulls and types a GIS reads, tiles open with a token."""

from __future__ import annotations

import pytest

UNKNOWN_FILTERS = [
    ("/issues?community=C9", "community"),
    ("/issues?community=一号共同体&village=W01", None),
    ("/ogc/collections/issues/items?community=C9", "community"),
    ("/exports/issues.csv?community=C9", "community"),
    ("/exports/ledger.xlsx?community=C9", "community"),
    ("/tiles/issues/14/13525/6244.mvt?community=C9", "community"),
    ("/tiles/villages/14/13525/6244.mvt?community=C9", "community"),
    ("/tiles/villages/14/13525/6244.mvt?village=X01", "village"),
    ("/grids?village=X01", "village"),
    ("/indicators/grids?village=X01", "village"),
    ("/recheck?month=2024-04&village=X01", "village"),
]


@pytest.mark.parametrize(("path", "field"), UNKNOWN_FILTERS)
def test_an_unknown_village_or_community_in_a_filter_is_named(client, tokens, path, field):
    """An unknown code is a 422 naming the parameter, not an empty answer that looks like
    "no issues there" (a community may be given by code or by name)."""
    response = client.get(path, headers=tokens["planner"])
    if field is None:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["field"] == field
    assert "unknown " + field in body["message"]


def test_known_codes_still_filter(client, tokens):
    """The check does not refuse what exists: the community by code and by name, a village."""
    by_code = client.get("/issues?community=C1", headers=tokens["planner"]).json()
    by_name = client.get("/issues?community=一号共同体", headers=tokens["planner"]).json()
    assert len(by_code["features"]) == len(by_name["features"]) == 4
    grids = client.get("/grids?village=W01", headers=tokens["planner"])
    assert grids.status_code == 200
    tile = client.get("/tiles/villages/14/13525/6244.mvt?village=W01", headers=tokens["planner"])
    assert tile.status_code == 200


def test_exports_carry_nulls_the_same_fields_and_chinese_in_every_format(client, tokens, tmp_path):
    """GeoJSON, GeoPackage and CSV of the same selection: one set of fields, EPSG:4326,
    Chinese intact, and a missing date or link is null (not "") so `IS NULL` finds it."""
    import geopandas as gpd
    import pandas as pd

    frames = {}
    for fmt in ("geojson", "gpkg", "csv"):
        response = client.get(f"/exports/issues.{fmt}", headers=tokens["planner"])
        assert response.status_code == 200, response.text
        path = tmp_path / f"issues.{fmt}"
        path.write_bytes(response.content)
        if fmt == "csv":
            frames[fmt] = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)
        else:
            frames[fmt] = gpd.read_file(path)
            assert frames[fmt].crs.to_epsg() == 4326
    names = [c for c in frames["csv"].columns]
    for fmt in ("geojson", "gpkg"):
        assert [c for c in frames[fmt].columns if c != "geometry"] == names
    for fmt in ("geojson", "gpkg"):
        frame = frames[fmt].set_index("code")
        assert frame.loc["I1", "closed_on"] is None or pd.isna(frame.loc["I1", "closed_on"])
        assert frame["rebound_of"].isna().all()
        assert frame.loc["I2", "closed_on"] in ("2024-04-20", pd.Timestamp("2024-04-20"))
        assert frame.loc["I1", "found_on"] in ("2024-03-05", pd.Timestamp("2024-03-05"))
        assert set(frame["category_zh"]) >= {"乱堆乱放(杂物、废弃物、柴草、建材)"}
        assert set(frame["village_name"]) == {"西村", "东村"}
        texts = frame.drop(columns="geometry").select_dtypes(exclude="number")
        assert not (texts == "").any().any(), "an empty string stands for a missing value"
    csv = frames["csv"].set_index("code")
    assert csv.loc["I1", "closed_on"] == "" and csv.loc["I2", "closed_on"] == "2024-04-20"


# --- a map page fetched with a bearer token only ---------------------------------------


@pytest.fixture
def closed_client(two_villages_url: str, tmp_path):
    """The service outside development: nothing is readable without a token or a session;
    the issue map draws from tiles past 2 issues."""
    from fastapi.testclient import TestClient

    from tests.server import deployed_app

    app = deployed_app(two_villages_url, data_dir=tmp_path, map_tiles_over=2)
    with TestClient(app) as test_client:
        yield test_client


def _map_key(html: str) -> str:
    import re

    found = re.findall(r"map_key=([0-9]+\.[0-9]+\.[0-9a-f]+)", html)
    assert found, "the page served on a bearer token carries no map key"
    assert len(set(found)) == 1
    return found[0]


def test_a_bearer_map_page_gives_its_tiles_a_key_that_opens_only_them(
    closed_client, tokens, two_villages_url
):
    """The tiles and popups a bearer-only page loads carry no header and no cookie: the page
    hands them a signed `map_key`. It opens tiles, one issue and thumbnails — not the issue
    list — is refused when tampered with, and dies with the user's token."""
    from sqlalchemy import create_engine

    from geo.users import deactivate_user

    page = closed_client.get("/maps/issues", headers=tokens["planner"])
    assert page.status_code == 200
    key = _map_key(page.text)
    assert "/tiles/issues/{z}/{x}/{y}.mvt?map_key=" in page.text

    tile = "/tiles/issues/14/13525/6244.mvt"
    assert closed_client.get(tile).status_code == 401  # what the page's scripts met before
    keyed = closed_client.get(tile, params={"map_key": key})
    assert keyed.status_code == 200 and keyed.content
    villages_tile = closed_client.get("/tiles/villages/14/13525/6244.mvt?map_key=" + key)
    assert villages_tile.status_code == 200
    issue_id = closed_client.get("/issues?limit=1", headers=tokens["planner"]).json()
    issue_id = issue_id["features"][0]["properties"]["id"]
    one = closed_client.get(f"/issues/{issue_id}", params={"map_key": key})
    assert one.status_code == 200 and one.json()["properties"]["id"] == issue_id

    listed = closed_client.get("/issues", params={"map_key": key})
    assert listed.status_code == 401  # a map key is no general read credential
    assert closed_client.get("/exports/issues.csv", params={"map_key": key}).status_code == 401
    tampered = key[:-1] + ("0" if key[-1] != "0" else "1")
    refused = closed_client.get(tile, params={"map_key": tampered})
    assert refused.status_code == 401 and refused.json()["field"] == "map_key"
    user_id, expires, mac = key.split(".")
    longer = f"{user_id}.{int(expires) + 3600}.{mac}"
    assert closed_client.get(tile, params={"map_key": longer}).status_code == 401

    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        deactivate_user(conn, "planner")
    engine.dispose()
    assert closed_client.get(tile, params={"map_key": key}).status_code == 401


def test_an_embedded_bearer_map_keys_its_photo_thumbnails(closed_client, tokens):
    """Below the tile limit the issues are embedded; their thumbnails carry the key too."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (48, 32), (40, 120, 200)).save(out, "JPEG")
    issue = closed_client.get("/issues?limit=1&village=W01", headers=tokens["admin"]).json()
    issue_id = issue["features"][0]["properties"]["id"]
    stored = closed_client.post(
        f"/issues/{issue_id}/photos",
        headers=tokens["admin"],
        files={"file": ("p.jpg", out.getvalue(), "image/jpeg")},
        data={"kind": "before"},
    )
    assert stored.status_code in (200, 201), stored.text
    photo_id = stored.json()["id"]
    page = closed_client.get("/maps/issues?village=W01", headers=tokens["planner"])
    key = _map_key(page.text)
    assert f"/photos/{photo_id}/thumbnail?map_key={key}" in page.text
    thumb = closed_client.get(f"/photos/{photo_id}/thumbnail", params={"map_key": key})
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    original = closed_client.get(f"/photos/{photo_id}", params={"map_key": key})
    assert original.status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/indicators",
        "/indicators/grids",
        "/indicators/communities",
        "/exports/indicators/village.csv",
        "/exports/indicators/grid.xlsx",
    ],
)
def test_an_empty_period_for_indicators_is_named(client, tokens, path):
    """end before start: a 422 naming `end` (as the district view answers), not zeros."""
    response = client.get(path + "?start=2024-05-01&end=2024-04-01", headers=tokens["planner"])
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "end"
    fine = client.get(path + "?start=2024-03-01&end=2024-05-01", headers=tokens["planner"])
    assert fine.status_code == 200
