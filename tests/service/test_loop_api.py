"""The closed loop over HTTP, with roles: record, photo, submit, recheck, rebound."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta

import pytest
from PIL import Image


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def new_issue(client, headers, **extra):
    body = {
        "category": "clutter",
        "geometry": {"type": "Point", "coordinates": [117.195, 39.2855]},
        "found_on": "2024-05-06",
        "description": "门口堆放建材",
    }
    body.update(extra)
    return client.post("/issues", json=body, headers=headers)


def test_inspector_records_village_submits_inspector_closes(client, tokens):
    created = new_issue(client, tokens["inspector"])
    assert created.status_code == 201, created.text
    issue = created.json()
    assert issue["village"] == "W01" and issue["code"] == "W01-202405-0001"
    photo = client.post(
        f"/issues/{issue['id']}/photos",
        files={"file": ("after.jpg", jpeg(), "image/jpeg")},
        data={"kind": "after"},
        headers=tokens["west"],
    )
    assert photo.status_code == 201, photo.text
    submitted = client.post(
        f"/issues/{issue['id']}/transitions",
        json={
            "action": "submit",
            "version": 1,
            "photo_ids": [photo.json()["id"]],
            "note": "已清理",
        },
        headers=tokens["west"],
    )
    assert submitted.json()["status"] == "submitted"
    closed = client.post(
        f"/issues/{issue['id']}/transitions",
        json={"action": "close", "version": 2, "on": "2024-06-03"},
        headers=tokens["inspector"],
    )
    assert closed.json() == {**closed.json(), "status": "closed", "version": 3}
    detail = client.get(f"/issues/{issue['id']}").json()
    history = detail["properties"]["history"]
    assert [e["kind"] for e in history] == ["created", "submitted", "closed"]
    assert history[1]["photo_ids"] == [photo.json()["id"]]
    assert history[1]["actor"] == "west (village)"
    assert [e["on"] for e in (history[0], history[2])] == ["2024-05-06", "2024-06-03"]
    assert all(e["recorded_at"] for e in history)
    assert client.get(detail["properties"]["photos"][0]["thumbnail_url"]).status_code == 200
    # a new pile 11 m away three weeks later is a rebound of the closed one
    again = new_issue(
        client,
        tokens["inspector"],
        found_on="2024-06-24",
        geometry={"type": "Point", "coordinates": [117.195, 39.2856]},
    )
    assert again.json()["rebound_of"]["code"] == issue["code"]


def test_an_action_day_in_the_future_or_before_the_find_is_422_on_on(client, tokens):
    issue = new_issue(client, tokens["inspector"]).json()
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    for on in (tomorrow, "2024-05-05"):
        refused = client.post(
            f"/issues/{issue['id']}/transitions",
            json={"action": "unrectified", "version": 1, "on": on},
            headers=tokens["inspector"],
        )
        assert refused.status_code == 422 and refused.json()["field"] == "on", refused.text
    detail = client.get(f"/issues/{issue['id']}").json()["properties"]
    assert (detail["status"], detail["version"], len(detail["history"])) == ("open", 1, 1)


def test_stale_version_is_409_and_illegal_step_is_409(client, tokens):
    issue = new_issue(client, tokens["inspector"]).json()
    stale = client.post(
        f"/issues/{issue['id']}/transitions",
        json={"action": "unrectified", "version": 5},
        headers=tokens["inspector"],
    )
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    illegal = client.post(
        f"/issues/{issue['id']}/transitions",
        json={"action": "close", "version": 1},
        headers=tokens["inspector"],
    )
    assert illegal.status_code == 409 and illegal.json()["error"] == "conflict"


def test_client_uuid_makes_retries_idempotent(client, tokens):
    client_id = str(uuid.uuid4())
    first = new_issue(client, tokens["inspector"], id=client_id)
    retry = new_issue(client, tokens["inspector"], id=client_id)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["code"] == first.json()["code"]
    assert len(client.get("/issues?month=2024-05").json()["features"]) == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("leader", 403),
        ("planner", 403),
        ("west", 403),
        ("inspector", 201),
        ("admin", 201),
    ],
)
def test_who_may_record_an_issue(client, tokens, who, status):
    response = new_issue(client, tokens.get(who, {}))
    assert response.status_code == status, response.text


def test_village_users_act_on_their_own_village_only(client, tokens):
    issue = new_issue(client, tokens["inspector"]).json()  # in W01
    other = client.post(
        f"/issues/{issue['id']}/photos",
        files={"file": ("a.jpg", jpeg(), "image/jpeg")},
        data={"kind": "after"},
        headers=tokens["east"],
    )
    assert other.status_code == 403
    assert client.get(f"/issues/{issue['id']}", headers=tokens["east"]).status_code == 403
    assert client.get("/issues?village=W01", headers=tokens["east"]).status_code == 403
    own = client.get("/issues", headers=tokens["east"]).json()["features"]
    assert {f["properties"]["village"] for f in own} == {"E01"}
    recheck = client.post(
        f"/issues/{issue['id']}/transitions",
        json={"action": "close", "version": 1},
        headers=tokens["west"],
    )
    assert recheck.status_code == 403


def test_bad_token_is_401_and_bad_bodies_are_422(client, tokens):
    bad = client.get("/issues", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.headers["www-authenticate"] == "Bearer"
    for body, field in [
        ({"category": "clutter"}, None),
        (
            {
                "category": "clutter",
                "geometry": {"type": "Point", "coordinates": [39.2855, 117.195]},
            },
            "geometry",
        ),
        ({"category": "clutter", "lon": 117.25, "lat": 39.2855}, "geometry"),
        ({"category": "litter", "lon": 117.195, "lat": 39.2855}, "category"),
        (
            {"category": "clutter", "geometry": {"type": "Polygon", "coordinates": []}},
            "geometry.type",
        ),
    ]:
        response = client.post("/issues", json=body, headers=tokens["inspector"])
        assert response.status_code == 422, (body, response.text)
        if field:
            assert response.json()["field"] == field
    not_image = client.post(
        f"/issues/{new_issue(client, tokens['inspector']).json()['id']}/photos",
        files={"file": ("x.jpg", b"<script>alert(1)</script>", "image/jpeg")},
        headers=tokens["inspector"],
    )
    assert not_image.status_code == 422 and not_image.json()["field"] == "file"


def test_every_successful_write_is_audited_with_its_user(client, tokens, two_villages_url):
    from sqlalchemy import create_engine, text

    client_id = str(uuid.uuid4())
    assert new_issue(client, tokens["inspector"], id=client_id).status_code == 201
    new_issue(client, tokens["leader"])  # refused: not audited
    # A retry is a write that succeeded too (200): audited once more, the create not twice.
    assert new_issue(client, tokens["inspector"], id=client_id).status_code == 200
    engine = create_engine(two_villages_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT actor, role, method, path, status FROM audit_log ORDER BY id")
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("inspector", "inspector", "POST", "/issues", 201),
        ("inspector", "inspector", "POST", "/issues", 200),
    ]
