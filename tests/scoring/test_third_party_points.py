"""T1 from the points (issue 12.1): a held-out style town scored through `cunrong score year`.

Five square villages W01…W05 (0.01° each, side by side from 117.19 E). The city's
evaluation of 2024-09-20 comes as the evaluator's file of points, imported as a batch;
the loops then run through the autumn; T1 is judged on the rules' cut-off (12-31).

Worked by hand from the notice, T1 = 0.1 × (8 − found) − 0.5 × unrectified:

- W01, 3 points: 0001 closed 10-20 (rectified); 0002 recheck 未整改 10-20 (counts);
  0003 never touched, deadline the next-round fallback 2024-10-31 (no October round) and
  still open on 12-31 (counts). T1 = 0.1 × (8 − 3) − 0.5 × 2 = 0.5 − 1.0 = −0.5
- W02, 10 points: 0001–0007 imported as closed 10-15; 0008 submitted 10-10 then 整改不到位
  11-05 (counts); 0009 submitted 12-20, awaiting recheck on 12-31 (does not count); 0010
  open on 12-31, past its deadline, closed only in January 2025 (counts: judged on the
  cut-off). T1 = 0.1 × (8 − 10) − 0.5 × 2 = −0.2 − 1.0 = −1.2
- W03, typed counts only (a town that receives counts): 5 found, 1 unrectified.
  T1 = 0.1 × (8 − 5) − 0.5 × 1 = 0.3 − 0.5 = −0.2
- W04, evaluated, nothing found (--clean W04): T1 = 0.1 × 8 = 0.8
- W05, not evaluated: T2 = mean of the four T1 = (−0.5 − 1.2 − 0.2 + 0.8) / 4 = −0.275
"""

from __future__ import annotations

import csv
import json
import uuid
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text

from geo.assessment import ScoreRecord, ThirdPartyRecord, save_scores, save_third_party
from geo.errors import Conflict
from geo.loop import transition
from service.app import create_app
from service.cli import app as cli
from service.settings import ServiceSettings
from tests.cli import runner_for
from tests.town import add_square_village

BATCH = "2024年市第三方测评"
VILLAGES = ["W01", "W02", "W03", "W04", "W05"]


def _west(code: str) -> float:
    return 117.19 + 0.01 * VILLAGES.index(code)


def _point(code: str, n: int) -> tuple[float, float]:
    return round(_west(code) + 0.0008 * n, 6), 39.285


@pytest.fixture
def town(fresh_url: str) -> Engine:
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        for code in VILLAGES:
            add_square_village(conn, code, f"{code}村", west=_west(code), east=_west(code) + 0.01)
        save_scores(
            conn,
            [ScoreRecord("2024-05", v, "第1组", 90 - i) for i, v in enumerate(VILLAGES)],
            actor="test",
        )
        save_third_party(conn, 2024, [ThirdPartyRecord("W03", True, 5, 1)])
    yield engine
    engine.dispose()


def _evaluator_file(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ["类别", "发现日期", "经度", "纬度", "照片", "状态", "销号日期"])
        writer.writeheader()
        writer.writerows(rows)
    return path


def _row(code: str, n: int, *, status: str = "", closed: str = "") -> dict[str, str]:
    lon, lat = _point(code, n)
    return {
        "类别": "clutter",
        "发现日期": "2024-09-20",
        "经度": str(lon),
        "纬度": str(lat),
        "照片": f"IMG_{code}_{n:02d}.jpg",
        "状态": status,
        "销号日期": closed,
    }


def _step(conn: Connection, code: str, action: str, on: str) -> None:
    issue_id, version = conn.execute(
        text("SELECT id, version FROM issue WHERE code = :c"), {"c": code}
    ).one()
    photos = []
    if action == "submit":
        photo = uuid.uuid4()
        conn.execute(
            text(
                "INSERT INTO photo (id, issue_id, kind, sha256, path, mime, bytes)"
                " VALUES (:p, :i, 'after', :s, 'x.jpg', 'image/jpeg', 1)"
            ),
            {"p": photo, "i": issue_id, "s": "c" * 64},
        )
        photos = [photo]
    transition(
        conn,
        issue_id=issue_id,
        action=action,
        version=version,
        actor="test",
        photo_ids=photos,
        on=date.fromisoformat(on),
    )


def _import_batch(url: str, path: Path, *extra: str):
    return runner_for(url).invoke(
        cli,
        [
            "import",
            "third-party",
            str(path),
            "--year",
            "2024",
            "--name",
            BATCH,
            "--date",
            "2024-09-20",
            *extra,
        ],
    )


def test_t1_counted_from_the_points_with_the_issues_named(
    town: Engine, fresh_url: str, tmp_path: Path
) -> None:
    rows = [_row("W01", n) for n in range(1, 4)]
    rows += [_row("W02", n, status="已销号", closed="2024-10-15") for n in range(1, 8)]
    rows += [_row("W02", n) for n in range(8, 11)]
    result = _import_batch(
        fresh_url, _evaluator_file(tmp_path / "测评.csv", rows), "--clean", "W04"
    )
    assert result.exit_code == 0, result.output

    with town.begin() as conn:
        batch = conn.execute(
            text(
                "SELECT count(*) AS n, bool_and(i.source = 'third_party') AS third_party,"
                " min(i.photo_names) AS first_photo FROM issue i JOIN third_party_batch b"
                " ON b.id = i.third_party_batch_id WHERE b.name = :n AND b.year = 2024"
            ),
            {"n": BATCH},
        ).one()
        assert (batch.n, batch.third_party, batch.first_photo) == (13, True, "IMG_W01_01.jpg")
        # next_round rule, no October round yet: the end of October, provisional
        deadline = conn.execute(
            text("SELECT deadline, deadline_provisional FROM issue WHERE code = 'W01-202409-0003'")
        ).one()
        assert tuple(deadline) == (date(2024, 10, 31), True)
        _step(conn, "W01-202409-0001", "submit", "2024-10-08")
        _step(conn, "W01-202409-0001", "close", "2024-10-20")
        _step(conn, "W01-202409-0002", "submit", "2024-10-08")
        _step(conn, "W01-202409-0002", "unrectified", "2024-10-20")
        _step(conn, "W02-202409-0008", "submit", "2024-10-10")
        _step(conn, "W02-202409-0008", "inadequate", "2024-11-05")
        _step(conn, "W02-202409-0009", "submit", "2024-12-20")
        _step(conn, "W02-202409-0010", "submit", "2025-01-05")
        _step(conn, "W02-202409-0010", "close", "2025-01-10")

    scored = runner_for(fresh_url).invoke(cli, ["score", "year", "2024", "--format", "json"])
    assert scored.exit_code == 0, scored.output
    villages = {v["village"]: v for v in json.loads(scored.output)["villages"]}
    assert {code: villages[code]["third_party"] for code in VILLAGES} == {
        "W01": -0.5,
        "W02": -1.2,
        "W03": -0.2,
        "W04": 0.8,
        "W05": -0.275,
    }
    t1 = {
        code: next(i for i in villages[code]["items"] if i["rule"] in ("T1", "T2"))
        for code in VILLAGES
    }
    assert [t1[c]["rule"] for c in VILLAGES] == ["T1", "T1", "T1", "T1", "T2"]
    w01 = t1["W01"]["reason"]
    assert "发现问题3个" in w01 and "不整改或整改不到位2个" in w01
    assert "W01-202409-0001、W01-202409-0002、W01-202409-0003" in w01
    assert "不整改或整改不到位各扣0.5分：W01-202409-0002、W01-202409-0003" in w01
    w02 = t1["W02"]["reason"]
    # more than the baseline: the 9th and 10th problems each cost 0.1
    assert "超出基数各扣0.1分：W02-202409-0009、W02-202409-0010" in w02
    assert "不整改或整改不到位各扣0.5分：W02-202409-0008、W02-202409-0010" in w02
    assert "W02-202409-0009" not in w02.split("各扣0.5分")[1]
    # typed counts name no issue
    assert "问题：" not in t1["W03"]["reason"]

    # a cut-off of 11-30 judges W02-0009 and -0010 as open, past their deadline
    rules = tmp_path / "rules.toml"
    default = (Path(__file__).parents[2] / "scoring" / "rules.toml").read_text(encoding="utf-8")
    rules.write_text(default.replace('cutoff = "12-31"', 'cutoff = "11-30"'), encoding="utf-8")
    early = runner_for(fresh_url).invoke(
        cli, ["score", "year", "2024", "--format", "json", "--rules", str(rules)]
    )
    assert early.exit_code == 0, early.output
    by_code = {v["village"]: v for v in json.loads(early.output)["villages"]}
    # W02: 0.1 × (8 − 10) − 0.5 × 3 (0008, 0009, 0010) = −0.2 − 1.5 = −1.7
    assert by_code["W02"]["third_party"] == -1.7


def test_points_and_typed_counts_of_one_village_are_refused_both_ways(
    town: Engine, fresh_url: str, tmp_path: Path
) -> None:
    # points where counts were typed (W03): refused naming the village, nothing written
    refused = _import_batch(
        fresh_url, _evaluator_file(tmp_path / "a.csv", [_row("W01", 1), _row("W03", 1)])
    )
    assert refused.exit_code == 1
    assert "W03" in refused.output and "typed" in refused.output
    with town.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM third_party_batch")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM issue")).scalar_one() == 0

    # a clean village whose counts were typed: refused too
    clean = _import_batch(
        fresh_url, _evaluator_file(tmp_path / "b.csv", [_row("W01", 1)]), "--clean", "W03"
    )
    assert clean.exit_code == 1 and "W03" in clean.output

    ok = _import_batch(fresh_url, _evaluator_file(tmp_path / "c.csv", [_row("W01", 1)]))
    assert ok.exit_code == 0, ok.output

    # counts where points exist (W01): refused by the geo writer and by the API, naming it
    with town.begin() as conn, pytest.raises(Conflict, match="W01"):
        save_third_party(conn, 2024, [ThirdPartyRecord("W01", True, 4, 0)])
    app = create_app(ServiceSettings(database_url=fresh_url, data_dir=tmp_path))
    from geo.users import create_user

    with town.begin() as conn:
        _, token = create_user(conn, name="admin", role="admin", village_code=None)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        typed = client.post(
            "/third-party/2024",
            json=[{"village": "W02", "problems_found": 3}, {"village": "W01", "problems_found": 4}],
            headers=headers,
        )
        assert typed.status_code == 409, typed.text
        assert "W01" in typed.text
        # a point entered on the map into the batch, in W03 (typed): refused, naming W03
        batches = client.get("/third-party/2024/batches", headers=headers).json()
        assert [(b["name"], b["issues"], b["villages"]) for b in batches] == [(BATCH, 1, 1)]
        lon, lat = _point("W03", 2)
        point = client.post(
            "/issues",
            json={
                "category": "clutter",
                "lon": lon,
                "lat": lat,
                "found_on": "2024-09-20",
                "batch_id": batches[0]["id"],
            },
            headers=headers,
        )
        assert point.status_code == 409 and "W03" in point.text
        # the same in W02 is accepted, as a third_party point of the batch
        lon, lat = _point("W02", 2)
        point = client.post(
            "/issues",
            json={
                "category": "clutter",
                "lon": lon,
                "lat": lat,
                "found_on": "2024-09-20",
                "batch_id": batches[0]["id"],
            },
            headers=headers,
        )
        assert point.status_code == 201, point.text
    with town.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM third_party_evaluation WHERE year = 2024")
            ).scalar_one()
            == 1
        )  # W03 only: the refused list wrote nothing (W02 neither)
        assert (
            conn.execute(
                text("SELECT source FROM issue WHERE code = :c"), {"c": "W02-202409-0001"}
            ).scalar_one()
            == "third_party"
        )


def test_the_evaluators_file_uploaded_through_the_api(
    town: Engine, fresh_url: str, tmp_path: Path
) -> None:
    from geo.users import create_user

    with town.begin() as conn:
        _, token = create_user(conn, name="admin", role="admin", village_code=None)
    headers = {"Authorization": f"Bearer {token}"}
    path = _evaluator_file(tmp_path / "测评.csv", [_row("W01", 1), _row("W02", 1), _row("W02", 2)])
    app = create_app(ServiceSettings(database_url=fresh_url, data_dir=tmp_path))
    form = {"name": BATCH, "evaluated_on": "2024-09-20", "clean_villages": "W04,W05"}
    with TestClient(app) as client:
        with path.open("rb") as f:
            done = client.post(
                "/third-party/2024/batches/upload",
                data=form,
                files={"file": ("测评.csv", f, "text/csv")},
                headers=headers,
            )
        assert done.status_code == 201, done.text
        assert done.json()["inserted"] == 3
        # the same name again in 2024: 409, and its rows are not written
        with path.open("rb") as f:
            again = client.post(
                "/third-party/2024/batches/upload",
                data=form,
                files={"file": ("测评.csv", f, "text/csv")},
                headers=headers,
            )
        assert again.status_code == 409 and BATCH in again.text
        # a date outside the year: 422 naming evaluated_on
        wrong = client.post(
            "/third-party/2023/batches",
            json={"name": "复测", "evaluated_on": "2024-01-05"},
            headers=headers,
        )
        assert wrong.status_code == 422 and "evaluated_on" in wrong.text
        listed = client.get("/third-party/2024/batches", headers=headers).json()
        assert [(b["issues"], b["villages"], b["clean_villages"]) for b in listed] == [
            (3, 2, ["W04", "W05"])
        ]
        ranking = client.get("/rankings/year/2024", headers=headers)
        assert ranking.status_code == 200, ranking.text
        t1 = {v["village"]: v["third_party"] for v in ranking.json()["villages"]}
    # W01: 0.1 × (8 − 1) = 0.7 (its point still open, deadline 10-31 passed on 12-31: −0.5)
    #   → 0.7 − 0.5 = 0.2; W02: 0.1 × (8 − 2) − 0.5 × 2 = −0.4; W04, W05 clean: 0.8;
    # W03 typed: −0.2.
    assert t1 == {"W01": 0.2, "W02": -0.4, "W03": -0.2, "W04": 0.8, "W05": 0.8}
    with town.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM issue")).scalar_one() == 3
