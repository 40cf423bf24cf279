"""Recording an issue uses the service's configured numbers, not constants."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import ServiceSettings


@pytest.fixture
def wide_radius(two_villages_url: str, tmp_path):
    settings = ServiceSettings(
        database_url=two_villages_url, duplicate_radius_m=60.0, gps_tolerance_m=5.0
    )
    app = create_app(settings)
    app.state.photo_root = tmp_path / "photos"
    with TestClient(app) as client:
        yield client


def _post(client, headers, lon, lat):
    body = {
        "category": "clutter",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "found_on": "2024-05-06",
    }
    return client.post("/issues", json=body, headers=headers)


def test_duplicate_radius_and_gps_tolerance_come_from_the_settings(wide_radius, tokens):
    # I1 (clutter, open) is at 117.195, 39.285; 0.0005° of longitude ≈ 43 m from it
    near = _post(wide_radius, tokens["inspector"], 117.1955, 39.285)
    assert near.status_code == 201, near.text
    body = near.json()
    assert [d["code"] for d in body["possible_duplicates"]] == ["I1"]
    assert any("60 m" in w for w in body["warnings"]), body["warnings"]
    assert not any("10 m" in w for w in body["warnings"])
    # 17 m west of W01: inside the default 30 m tolerance, outside the configured 5 m
    outside = _post(wide_radius, tokens["inspector"], 117.1898, 39.285)
    assert outside.status_code == 422, outside.text
    assert "GPS tolerance 5 m" in outside.json()["message"]
