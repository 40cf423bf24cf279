"""Scores, third party, honors and rankings over HTTP; expected numbers worked by hand."""

from __future__ import annotations

import pytest

SCORES = [
    {"month": "2024-03", "village": "W01", "group": "第一组", "score": 80},
    {"month": "2024-03", "village": "W01", "group": "第二组", "score": 90},
    {"month": "2024-03", "village": "E01", "group": "第一组", "score": 70},
]


def test_scores_to_year_end_ranking(client, tokens):
    admin = tokens["admin"]
    assert client.post("/scores", json=SCORES, headers=admin).json() == {"saved": 3}
    third = [{"village": "W01", "evaluated": True, "problems_found": 6, "problems_unrectified": 1}]
    assert client.post("/third-party/2024", json=third, headers=admin).status_code == 201
    honor = {"village": "E01", "awarded_on": "2024-06-01", "kind": "county_site_visit"}
    assert client.post("/honors", json=honor, headers=admin).status_code == 201

    month = client.get("/rankings/month/2024-03").json()
    # M1: W01 (80 + 90) / 2 = 85, E01 70. M3: two villages scored, both are in the bottom ten.
    assert [(r["village"], r["score"], r["rank"], r["bottom_ten"]) for r in month["ranking"]] == [
        ("W01", 85, 1, True),
        ("E01", 70, 2, True),
    ]
    assert all("分管领导" in r["interview"] for r in month["ranking"])

    year = {v["village"]: v for v in client.get("/rankings/year/2024").json()["villages"]}
    # T1 W01: 0.1 × (8 − 6) − 0.5 × 1 = −0.3; T2 E01 (not evaluated): mean of T1 = −0.3.
    # Y2 W01: 85 − 0.3 − 3 = 81.7; E01: 70 − 0.3 + 5 − 3 = 71.7.
    assert (year["W01"]["total"], year["W01"]["rank"]) == (81.7, 1)
    assert (year["E01"]["total"], year["E01"]["rank"]) == (71.7, 2)
    # Y3: two ranked villages are both in the top 5 and the bottom 5.
    assert year["E01"]["reward_yuan"] == 1500 and year["E01"]["pay_deduction"] is True
    rules = {item["rule"] for item in year["E01"]["items"]}
    assert {"Y1", "T2", "M5", "M4"} <= rules


def test_rescoring_replaces_instead_of_adding(client, tokens):
    client.post("/scores", json=SCORES, headers=tokens["admin"])
    fix = [{"month": "2024-03", "village": "E01", "group": "第一组", "score": 72}]
    client.post("/scores", json=fix, headers=tokens["admin"])
    ranking = client.get("/rankings/month/2024-03").json()["ranking"]
    assert [r["score"] for r in ranking] == [85, 72]


def test_upload_with_a_bad_row_changes_nothing(client, tokens):
    csv = "month,village,group,score\n2024-04,W01,第一组,88\n2024-04,E01,第一组,105\n"
    response = client.post(
        "/scores/upload",
        files={"file": ("scores.csv", csv.encode(), "text/csv")},
        headers=tokens["admin"],
    )
    assert response.status_code == 422
    assert response.json()["field"] == "score" and "row 3" in response.json()["message"]
    assert client.get("/rankings/month/2024-04").status_code == 404
    good = csv.replace("105", "77")
    ok = client.post(
        "/scores/upload",
        files={"file": ("scores.csv", good.encode(), "text/csv")},
        headers=tokens["admin"],
    )
    assert ok.json() == {"saved": 2}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([{"month": "2024-13", "village": "W01", "group": "一", "score": 80}], "month"),
        ([{"month": "2024-03", "village": "X99", "group": "一", "score": 80}], "village"),
        ([{"month": "2024-03", "village": "W01", "group": "一", "score": 101}], "0.score"),
    ],
)
def test_bad_scores_are_422_naming_the_field(client, tokens, body, field):
    response = client.post("/scores", json=body, headers=tokens["admin"])
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_only_admin_enters_scores_and_rankings_need_scores(client, tokens):
    for who in ("inspector", "leader", "west"):
        assert client.post("/scores", json=SCORES, headers=tokens[who]).status_code == 403
    assert client.get("/rankings/month/2024-05").status_code == 404
    assert client.get("/rankings/month/May").status_code == 422


def test_round_and_recheck_list(client, tokens):
    opened = client.post("/rounds", json={"month": "2024-04"}, headers=tokens["inspector"])
    assert opened.status_code == 201
    assert client.get("/rounds").json()[0]["villages"] == 2
    again = client.post("/rounds", json={"month": "2024-04"}, headers=tokens["inspector"])
    assert again.status_code == 422 and again.json()["field"] == "month"
    recheck = client.get("/recheck?month=2024-04").json()
    # due before April: W01 I1 (open); E01 I3 (open), I4 (submitted). I2 is closed.
    assert {v["village"]: [s["code"] for s in v["stops"]] for v in recheck} == {
        "E01": ["I3", "I4"],
        "W01": ["I1"],
    }
    own = client.get("/recheck?month=2024-04", headers=tokens["west"]).json()
    assert [v["village"] for v in own] == ["W01"]


def test_indicators_endpoint(client):
    rows = {r["village"]: r for r in client.get("/indicators?as_of=2024-12-31").json()}
    assert rows["W01"]["issues"] == 2 and rows["W01"]["rectification_rate"] == 0.5


def test_third_party_and_honor_uploads(client, tokens):
    third = "village,evaluated,problems_found,problems_unrectified\nW01,true,6,1\nE01,false,,\n"
    response = client.post(
        "/third-party/2024/upload",
        files={"file": ("third_party.csv", third.encode(), "text/csv")},
        headers=tokens["admin"],
    )
    assert response.json() == {"saved": 2}
    honors = "village,date,kind\nE01,2024-06-01,model_village\nX99,2024-06-01,model_village\n"
    bad = client.post(
        "/honors/upload",
        files={"file": ("honors.csv", honors.encode(), "text/csv")},
        headers=tokens["admin"],
    )
    assert bad.status_code == 422 and bad.json()["field"] == "village"
    good = client.post(
        "/honors/upload",
        files={
            "file": (
                "honors.csv",
                honors.splitlines(True)[0].encode() + honors.splitlines(True)[1].encode(),
                "text/csv",
            )
        },
        headers=tokens["admin"],
    )
    assert good.json() == {"saved": 1}
    client.post("/scores", json=SCORES, headers=tokens["admin"])
    year = {v["village"]: v for v in client.get("/rankings/year/2024").json()["villages"]}
    # E01: 70 − 0.3 (T2 = W01's T1 0.1 × (8 − 6) − 0.5 × 1) + 5 (M5) − 3 (M4) = 71.7
    assert year["E01"]["total"] == 71.7
