"""The OGC API rides on the sign-in session cookie too, with the village user's scope."""

from __future__ import annotations

from tests.service.signin import PASSWORDS, login


def test_a_signed_in_village_user_reads_its_own_issues(client, people):
    items = "/ogc/collections/issues/items"
    everyone = client.get(items).json()  # development: anonymous reads are open
    assert everyone["numberMatched"] == 4
    assert login(client, "west", PASSWORDS["west"]).status_code == 303
    mine = client.get(items)
    assert mine.status_code == 200
    assert mine.json()["numberMatched"] == 2
    assert {f["properties"]["village"] for f in mine.json()["features"]} == {"W01"}
    villages = client.get("/ogc/collections/villages/items").json()
    assert villages["numberMatched"] == 2  # every reader sees the town's villages
    refused = client.get(items, params={"village": "E01"})
    assert refused.status_code == 403 and refused.json()["field"] == "village"
