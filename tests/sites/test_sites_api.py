"""The sites routes: planners list, map and decide; other roles are kept out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from geo.users import create_user
from service.app import create_app
from service.settings import ServiceSettings
from tests.sites.village import build_village


@pytest.fixture
def site_client(fresh_url: str) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    engine = create_engine(fresh_url)
    headers = {}
    with engine.begin() as conn:
        build_village(conn)
        for role in ("planner", "leader", "inspector"):
            _, token = create_user(conn, name=role, role=role)
            headers[role] = {"Authorization": f"Bearer {token}"}
    engine.dispose()
    with TestClient(create_app(ServiceSettings(database_url=fresh_url))) as client:
        yield client, headers


def test_planner_lists_maps_and_decides(site_client):
    client, headers = site_client
    assert "已选定景观点位" not in client.get("/maps/issues?village=W01").text
    found = client.get("/sites?village=W01", headers=headers["planner"])
    assert found.status_code == 200, found.text
    features = found.json()["features"]
    # the hand-built village's four candidates, best first (see test_finder.py)
    assert [f["properties"]["kind"] for f in features] == [
        "flower_gate",
        "micro_spot",
        "aesthetic_lane",
        "micro_spot",
    ]
    key = features[1]["properties"]["candidate_key"]
    decided = client.put(
        f"/sites/{key}/decision",
        json={"decision": "chosen", "note": "<b>花坛</b>"},
        headers=headers["planner"],
    )
    assert decided.json()["decision"] == "chosen"
    chosen = client.get("/sites/chosen").json()["features"]
    assert [f["properties"]["candidate_key"] for f in chosen] == [key]
    # the chosen site now shows on the inspectors' issue map as its own layer
    issue_map = client.get("/maps/issues?village=W01").text
    assert "已选定景观点位" in issue_map
    page = client.get("/sites/map?village=W01", headers=headers["leader"])
    assert page.status_code == 200 and "leaflet" in page.text.lower()
    book = client.get("/sites?format=xlsx", headers=headers["planner"])
    assert book.content[:2] == b"PK"


def test_roles_and_bad_input(site_client):
    client, headers = site_client
    assert client.get("/sites").status_code == 401
    assert client.get("/sites", headers=headers["inspector"]).status_code == 403
    assert (
        client.put(
            "/sites/x/decision", json={"decision": "chosen"}, headers=headers["leader"]
        ).status_code
        == 403
    )
    bad = client.put("/sites/x/decision", json={"decision": "maybe"}, headers=headers["planner"])
    assert bad.status_code == 422 and bad.json()["field"] == "decision"
    missing = client.put(
        "/sites/W01:nothing/decision", json={"decision": "chosen"}, headers=headers["planner"]
    )
    assert missing.status_code == 404
    assert client.get("/sites?village=X9", headers=headers["planner"]).status_code == 422
