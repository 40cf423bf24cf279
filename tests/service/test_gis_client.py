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
