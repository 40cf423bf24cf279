"""GET /rankings/year/{year}/what-if and unscored months over HTTP, on a real PostGIS.

The town is tests/scoring/test_whatif.py's twelve villages (its docstring works every
number by hand), entered through the API; V03 is then left out of May to show 未评分.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.app import create_app
from service.settings import ServiceSettings
from tests.scoring.test_whatif import SCORES, THIRD_PARTY


def _square(i: int) -> str:
    x = 117.10 + i * 0.01
    return f"MULTIPOLYGON((({x} 39.28,{x + 0.01} 39.28,{x + 0.01} 39.29,{x} 39.29,{x} 39.28)))"


@pytest.fixture
def town_url(fresh_url: str) -> str:
    """Twelve villages V01…V12 side by side, one community, and an admin user."""
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO community (code, name) VALUES ('C1', '一号共同体')"))
        for i, code in enumerate(SCORES):
            conn.execute(
                text(
                    "INSERT INTO village (code, name, community_id, geom) VALUES"
                    " (:c, :n, (SELECT id FROM community), ST_GeomFromText(:w, 4326))"
                ),
                {"c": code, "n": f"{code}村", "w": _square(i)},
            )
    engine.dispose()
    return fresh_url


def _client(url: str, tmp_path: Path, rules_file: Path | None = None) -> TestClient:
    settings = ServiceSettings(database_url=url, data_dir=tmp_path, rules_file=rules_file)
    return TestClient(create_app(settings))


@pytest.fixture
def admin(town_url: str) -> dict[str, str]:
    from geo.users import create_user

    engine = create_engine(town_url)
    with engine.begin() as conn:
        _, token = create_user(conn, name="admin", role="admin", village_code=None)
    engine.dispose()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(town_url: str, admin: dict[str, str], tmp_path: Path) -> Iterator[TestClient]:
    with _client(town_url, tmp_path) as test_client:
        scores = [
            {"month": month, "village": code, "group": "第一组", "score": score}
            for month in ("2024-03", "2024-04")
            for code, score in SCORES.items()
        ]
        assert test_client.post("/scores", json=scores, headers=admin).status_code == 201
        third = [
            {"village": v, "evaluated": e, "problems_found": f, "problems_unrectified": u}
            for v, e, f, u in THIRD_PARTY
        ]
        assert test_client.post("/third-party/2024", json=third, headers=admin).status_code == 201
        yield test_client


def test_year_what_if(client: TestClient) -> None:
    response = client.get("/rankings/year/2024/what-if", params={"village": "V06"})
    assert response.status_code == 200, response.text
    answer = response.json()
    # V06 70: the others' 5th highest is 72 (V05) → 2 points, and ties are in.
    # 20 problems fewer > 8 found: not possible; one month out of the bottom ten saves 5.
    top = answer["enter_top"]
    assert (top["threshold"], top["points"], top["reached"]) == (72, 2, False)
    assert top["problems_fewer"]["possible"] is False and top["problems_fewer"]["found"] == 8
    assert (top["months_out"]["count"], top["months_out"]["months"]) == (1, ["2024-03"])
    assert (answer["leave_bottom"]["reached"], answer["leave_bottom"]["points"]) == (True, 0)

    v08 = client.get("/rankings/year/2024/what-if", params={"village": "V08"}).json()
    # V08 67, tied with V07 at the others' 5th lowest (67): more than 0 → 0.0001, 1 problem.
    assert (v08["leave_bottom"]["points"], v08["leave_bottom"]["problems_fewer"]["count"]) == (
        0.0001,
        1,
    )


def test_month_what_if(client: TestClient) -> None:
    params = {"village": "V03", "month": "2024-03"}
    answer = client.get("/rankings/year/2024/what-if", params=params).json()
    # V03 85 (tied with V04): the others' 10th lowest is 88 → 88.0001, 3.0001 short.
    assert (answer["kind"], answer["bottom_ten"], answer["needed_score"], answer["points"]) == (
        "month",
        True,
        88.0001,
        3.0001,
    )


def test_what_if_refusals(client: TestClient) -> None:
    unknown = client.get("/rankings/year/2024/what-if", params={"village": "X99"})
    assert unknown.status_code == 404 and unknown.json()["field"] == "village"
    other_year = client.get(
        "/rankings/year/2024/what-if", params={"village": "V01", "month": "2025-03"}
    )
    assert other_year.status_code == 422 and other_year.json()["field"] == "month"
    no_scores = client.get(
        "/rankings/year/2024/what-if", params={"village": "V01", "month": "2024-07"}
    )
    assert no_scores.status_code == 404
    assert client.get("/rankings/year/2024/what-if").status_code == 422  # village required
    assert client.get("/rankings/year/2025/what-if", params={"village": "V01"}).status_code == 404


def test_unscored_month_over_http(
    client: TestClient, admin: dict[str, str], town_url: str, tmp_path: Path
) -> None:
    may = [
        {"month": "2024-05", "village": code, "group": "第一组", "score": score}
        for code, score in SCORES.items()
        if code != "V03"
    ]
    assert client.post("/scores", json=may, headers=admin).status_code == 201
    month = client.get("/rankings/month/2024-05").json()
    last = month["ranking"][-1]
    assert (last["village"], last["score"], last["rank"], last["reason"]) == (
        "V03",
        None,
        None,
        "未评分",
    )
    assert "V03 V03村" in month["warnings"][0]
    year = client.get("/rankings/year/2024").json()
    assert year["warnings"] == month["warnings"]
    # V03: 85, 85, and May skipped → base 85 (two months), "5月未评分，不计入".
    v03 = next(v for v in year["villages"] if v["village"] == "V03")
    assert v03["base"] == 85 and "5月未评分，不计入" in v03["items"][0]["reason"]
    # missing_score = "error": the same request is a 422 naming V03 and the month.
    source = resources.files("scoring").joinpath("rules.toml").read_text(encoding="utf-8")
    strict = tmp_path / "strict.toml"
    strict.write_text(source.replace('missing_score = "skip"', 'missing_score = "error"'))
    with _client(town_url, tmp_path, strict) as strict_client:
        refused = strict_client.get("/rankings/year/2024")
        assert refused.status_code == 422
        assert "2024-05: village V03 (V03村) has no observation score" in refused.json()["message"]
        assert strict_client.get("/rankings/month/2024-04").status_code == 200
