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
