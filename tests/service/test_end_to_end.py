"""The whole closed loop through HTTP against PostGIS, on a hand-made town of 12 villages.

April 2024: an inspector records issues in 一村 (V01) with before-photos; the village
submits rectifications with after-photos. May: the recheck list of the next round, the
inspector's outcomes, a rebound. Then the month's observation scores, third-party results
and honors, the month and year rankings (numbers worked out by hand from the notice's
rules, docs/rules.md), the ledger and the GeoJSON export.

The town: squares of 0.01° (tests/town.py), four columns from 117.19 E.

    39.30 +-----+-----+-----+-----+
          | V09 | V10 | V11 | V12 |      V01 一村 holds the loop; its entrance (卡口) is
    39.29 +-----+-----+-----+-----+      at (117.19, 39.285) on its west edge.
          | V01 | V02 | V03 | V04 |      V01–V06 belong to 一号共同体, V07–V12 to 二号.
    39.28 +-----+-----+-----+-----+
          | V05 | V06 | V07 | V08 |      At 39.285° N: 0.001° of longitude ≈ 86.2 m,
    39.27 +-----+-----+-----+-----+      0.0001° of latitude ≈ 11.1 m.
       117.19                  117.23
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from PIL import ExifTags, Image
from sqlalchemy import create_engine, text

from geo.coords import wgs84_to_gcj02
from geo.users import create_user
from service.app import create_app
from service.settings import ServiceSettings
from tests.town import add_square_village

NAMES = ["一村", "二村", "三村", "四村", "五村", "六村", "七村", "八村", "九村", "十村"]
NAMES += ["十一村", "十二村"]
ROW_SOUTH = {0: 39.28, 1: 39.27, 2: 39.29}  # V01–V04, V05–V08, V09–V12

USERS = {
    "admin": ("整治办小李", "admin", None),
    "inspector": ("检查员老王", "inspector", None),
    "west": ("一村书记", "village", "V01"),
    "east": ("二村书记", "village", "V02"),
    "leader": ("镇长", "leader", None),
}


def label(who: str) -> str:
    """How a user appears in an issue's history: `name (role)`."""
    name, role, _ = USERS[who]
    return f"{name} ({role})"


@pytest.fixture
def town(fresh_url: str, tmp_path) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """The 12-village town with one user per role, and a client on it."""
    engine = create_engine(fresh_url)
    headers = {}
    with engine.begin() as conn:
        for code, name in (("C1", "一号共同体"), ("C2", "二号共同体")):
            conn.execute(
                text("INSERT INTO community (code, name) VALUES (:c, :n)"), {"c": code, "n": name}
            )
        for n, name in enumerate(NAMES):
            west = round(117.19 + 0.01 * (n % 4), 2)
            south = ROW_SOUTH[n // 4]
            village_id = add_square_village(
                conn,
                f"V{n + 1:02d}",
                name,
                west=west,
                east=round(west + 0.01, 2),
                south=south,
                north=round(south + 0.01, 2),
            )
            conn.execute(
                text(
                    "UPDATE village SET community_id = (SELECT id FROM community WHERE code = :c)"
                    " WHERE id = :v"
                ),
                {"c": "C1" if n < 6 else "C2", "v": village_id},
            )
        conn.execute(
            text(
                "INSERT INTO entrance (village_id, name, geom) SELECT id, '西卡口',"
                " ST_SetSRID(ST_MakePoint(117.19, 39.285), 4326) FROM village WHERE code = 'V01'"
            )
        )
        for who, (name, role, village) in USERS.items():
            _, token = create_user(conn, name=name, role=role, village_code=village)
            headers[who] = {"Authorization": f"Bearer {token}"}
    engine.dispose()
    # This town's rules file sets a 15-day deadline instead of the default next round.
    rules = tmp_path / "rules.toml"
    default = (Path(__file__).parents[2] / "scoring" / "rules.toml").read_text(encoding="utf-8")
    rules.write_text(default.replace('deadline = "next_round"', "deadline = 15"), encoding="utf-8")
    app = create_app(ServiceSettings(database_url=fresh_url, data_dir=tmp_path, rules_file=rules))
    with TestClient(app) as client:
        yield client, headers


def jpeg(colour: tuple[int, int, int], *, gps: tuple[float, float] | None = None) -> bytes:
    """A real JPEG; with `gps` (lon, lat) it carries EXIF GPS and a capture time."""
    image = Image.new("RGB", (640, 480), colour)
    exif = Image.Exif()
    if gps is not None:
        exif[ExifTags.Base.DateTime] = "2024:04:03 09:30:00"

        def dms(value: float) -> tuple[float, float, float]:
            d = int(value)
            m = int((value - d) * 60)
            return float(d), float(m), round(((value - d) * 60 - m) * 60, 4)

        lon, lat = gps
        exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@dataclass
class Loop:
    """The client and one user per role, with the few requests every step makes."""

    client: TestClient
    headers: dict[str, dict[str, str]]

    def record(self, body: dict, expected: int = 201) -> dict:
        response = self.client.post("/issues", json=body, headers=self.headers["inspector"])
        assert response.status_code == expected, response.text
        return response.json()

    def photo(self, issue: dict, kind: str, data: bytes, who: str) -> dict:
        response = self.client.post(
            f"/issues/{issue['id']}/photos",
            files={"file": (f"{kind}.jpg", data, "image/jpeg")},
            data={"kind": kind},
            headers=self.headers[who],
        )
        assert response.status_code == 201, response.text
        return response.json()

    def post_move(self, issue: dict, who: str, **body) -> Any:
        return self.client.post(
            f"/issues/{issue['id']}/transitions", json=body, headers=self.headers[who]
        )

    def move(self, issue: dict, who: str, **body) -> dict:
        response = self.post_move(issue, who, **body)
        assert response.status_code == 200, response.text
        return response.json()

    def detail(self, issue: dict) -> dict:
        response = self.client.get(f"/issues/{issue['id']}", headers=self.headers["inspector"])
        assert response.status_code == 200, response.text
        return response.json()

    def open_round(self, body: dict) -> int:
        response = self.client.post("/rounds", json=body, headers=self.headers["inspector"])
        assert response.status_code == 201, response.text
        return response.json()["id"]


def test_the_closed_loop_from_first_record_to_year_end(town):
    loop = Loop(*town)
    issues = april_records(loop)
    april_before_photos(loop, issues)
    after = april_submissions(loop, issues)
    may_round = may_recheck_list(loop, issues)
    may_refusals(loop, issues)
    may_outcomes(loop, issues, after, may_round)
    issues.update(may_rebound(loop, issues))
    enter_scores(loop)
    leader = loop.headers["leader"]
    check_april_ranking(loop.client.get("/rankings/month/2024-04", headers=leader))
    check_may_ranking(loop.client.get("/rankings/month/2024-05", headers=leader))
    check_year_ranking(loop.client.get("/rankings/year/2024", headers=leader))
    check_exports(loop, issues)


def april_records(loop: Loop) -> dict[str, dict]:
    """April: the round is opened and the inspector records A–F (retries, lon/lat, 高德)."""
    april_round = loop.open_round({"month": "2024-04"})
    a_body = {
        "id": str(uuid.uuid4()),
        "category": "clutter",
        "geometry": {"type": "Point", "coordinates": [117.192, 39.285]},
        "found_on": "2024-04-03",
        "description": "门前堆放建材",
        "address": "一村东街3号",
        "responsible": "张三",
        "round_id": april_round,
    }
    a = loop.record(a_body)
    assert (a["code"], a["village"], a["created"]) == ("V01-202404-0001", "V01", True)
    assert a["possible_duplicates"] == [] and a["rebound_of"] is None
    # a retried create with the same client id gives the same issue, and nothing new
    retry = loop.record(a_body, expected=200)
    assert (retry["id"], retry["code"], retry["created"]) == (a["id"], a["code"], False)
    reused = loop.client.post(
        "/issues", json={**a_body, "category": "weeds"}, headers=loop.headers["inspector"]
    )
    assert reused.status_code == 409 and reused.json()["field"] == "id"
    # lon/lat instead of a GeoJSON Point
    b = loop.record(
        {"category": "household_garbage", "lon": 117.195, "lat": 39.2855, "found_on": "2024-04-03"}
    )
    c = record_from_gaode(loop)
    # 0.00005° north of A (≈ 5.6 m), same category, A still open: a possible duplicate
    d = loop.record(
        {
            "category": "clutter",
            "geometry": {"type": "Point", "coordinates": [117.192, 39.28505]},
            "found_on": "2024-04-03",
        }
    )
    assert [(x["code"], x["status"]) for x in d["possible_duplicates"]] == [(a["code"], "open")]
    assert d["possible_duplicates"][0]["distance_m"] == pytest.approx(5.55, abs=0.3)
    assert d["warnings"] and a["code"] in d["warnings"][-1]
    e = loop.record(
        {"category": "tangled_wires", "lon": 117.198, "lat": 39.2845, "found_on": "2024-04-10"}
    )
    f = loop.record(
        {"category": "clutter", "lon": 117.205, "lat": 39.285, "found_on": "2024-04-05"}
    )
    assert [x["code"] for x in (b, c, d, e)] == [f"V01-202404-000{n}" for n in (2, 3, 4, 5)]
    assert (f["code"], f["village"]) == ("V02-202404-0001", "V02")
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def record_from_gaode(loop: Loop) -> dict:
    """C: a point read off a 高德 map (GCJ-02) is stored in WGS-84."""
    gcj_lon, gcj_lat = (float(v) for v in wgs84_to_gcj02(117.197, 39.286))
    assert abs(gcj_lon - 117.197) + abs(gcj_lat - 39.286) > 0.003  # a shift of hundreds of m
    c = loop.record(
        {
            "category": "weeds",
            "geometry": {"type": "Point", "coordinates": [gcj_lon, gcj_lat]},
            "coords": "gcj02",
            "found_on": "2024-04-08",
        }
    )
    assert loop.detail(c)["geometry"]["coordinates"] == [
        pytest.approx(117.197, abs=1e-6),
        pytest.approx(39.286, abs=1e-6),
    ]
    return c


def april_before_photos(loop: Loop, issues: dict[str, dict]) -> None:
    """Before-photos; A's carries EXIF GPS 0.0001° east of A (≈ 8.6 m) and a capture time."""
    before_a = loop.photo(
        issues["a"], "before", jpeg((200, 120, 40), gps=(117.1921, 39.285)), "inspector"
    )
    assert before_a["distance_m"] == pytest.approx(8.6, abs=0.5) and before_a["warnings"] == []
    assert before_a["taken_at"].startswith("2024-04-03T09:30:00")
    for n, key in enumerate("bcdef"):
        loop.photo(issues[key], "before", jpeg((180, 60 + 20 * n, 40)), "inspector")


def april_submissions(loop: Loop, issues: dict[str, dict]) -> dict[str, dict]:
    """April 20: the village uploads after-photos and submits A–D; returns the photos."""
    refused = loop.post_move(issues["a"], "west", action="submit", version=1, on="2024-04-20")
    assert refused.json()["field"] == "photo_ids"  # no after-photo, no rectification
    after = {
        "a": loop.photo(issues["a"], "after", jpeg((90, 160, 90), gps=(117.192, 39.28502)), "west"),
        "b": loop.photo(issues["b"], "after", jpeg((90, 170, 90)), "west"),
        # taken 0.001° north of C: ≈ 111 m away, more than the 50 m allowed without a warning
        "c": loop.photo(issues["c"], "after", jpeg((90, 180, 90), gps=(117.197, 39.287)), "west"),
        "d": loop.photo(issues["d"], "after", jpeg((90, 190, 90)), "west"),
    }
    assert after["a"]["warnings"] == [] and after["a"]["distance_m"] < 5
    assert after["c"]["distance_m"] == pytest.approx(111.1, abs=1.0)
    assert len(after["c"]["warnings"]) == 1 and "111 m" in after["c"]["warnings"][0]
    for key in "abcd":
        done = loop.move(
            issues[key],
            "west",
            action="submit",
            version=1,
            photo_ids=[after[key]["id"]],
            note="已清理",
            on="2024-04-20",
        )
        assert (done["status"], done["version"]) == ("submitted", 2)
    # the secretary of another village cannot touch V01's issues
    assert loop.post_move(issues["e"], "east", action="submit", version=1).status_code == 403
    return after


def may_recheck_list(loop: Loop, issues: dict[str, dict]) -> int:
    """May: the recheck list of the next round, in walking order; returns the round's id."""
    may_round = loop.open_round({"month": "2024-05", "started_on": "2024-05-06"})
    recheck = loop.client.get(
        "/recheck", params={"month": "2024-05"}, headers=loop.headers["inspector"]
    )
    assert recheck.status_code == 200, recheck.text
    by_village = {v["village"]: v for v in recheck.json()}
    assert sorted(by_village) == ["V01", "V02"]
    stops = by_village["V01"]["stops"]
    # Everything found before May and not closed is due: A, B, C, D submitted, E still open.
    # Nearest neighbour from the entrance (117.19, 39.285): A at 0.002° east (172 m) beats
    # D (172.4 m); D is 5.6 m north of A; then B (0.003° east, 0.00045° north: 263 m) before
    # C (444 m) and E (521 m); from B, C (0.002°/0.0005°: 181 m) before E (281 m); then E
    # (0.001° east, 0.0015° south: 188 m).
    assert [s["code"] for s in stops] == [issues[k]["code"] for k in "adbce"]
    assert [s["walk_m"] for s in stops] == [
        pytest.approx(172, abs=3),
        pytest.approx(6, abs=1),
        pytest.approx(263, abs=4),
        pytest.approx(181, abs=3),
        pytest.approx(188, abs=3),
    ]
    assert [s["status"] for s in stops] == ["submitted"] * 4 + ["open"]
    # E was due 2024-04-25 (found 04-10 + 15 days): 6 days late on 2024-05-01
    assert [s["days_overdue"] for s in stops] == [0, 0, 0, 0, 6]
    assert [s["code"] for s in by_village["V02"]["stops"]] == [issues["f"]["code"]]
    # the village secretary sees their own village's list only
    own = loop.client.get("/recheck", params={"month": "2024-05"}, headers=loop.headers["west"])
    assert [v["village"] for v in own.json()] == ["V01"]
    return may_round


def may_refusals(loop: Loop, issues: dict[str, dict]) -> None:
    """A stale version gives 409 and changes nothing; an open issue cannot be closed."""
    b, e = issues["b"], issues["e"]
    stale = loop.post_move(b, "inspector", action="close", version=1, on="2024-05-06")
    assert stale.status_code == 409 and stale.json()["field"] == "version"
    unchanged = loop.detail(b)["properties"]
    assert (unchanged["status"], unchanged["version"]) == ("submitted", 2)
    assert [h["kind"] for h in unchanged["history"]] == ["created", "submitted"]
    closing = loop.post_move(e, "inspector", action="close", version=1, on="2024-05-06")
    assert closing.status_code == 409


def may_outcomes(
    loop: Loop, issues: dict[str, dict], after: dict[str, dict], may_round: int
) -> None:
    """The inspector's outcomes: A and D closed, B inadequate, C unrectified; each history."""
    outcome = {"version": 2, "on": "2024-05-06", "round_id": may_round}
    loop.move(issues["a"], "inspector", action="close", **outcome)
    loop.move(issues["d"], "inspector", action="close", **outcome)
    loop.move(issues["b"], "inspector", action="inadequate", note="仍有残留", **outcome)
    loop.move(issues["c"], "inspector", action="unrectified", note="照片不在现场", **outcome)
    expected = {
        "a": ("closed", "2024-05-06", ["created", "submitted", "closed"]),
        "b": ("inadequate", None, ["created", "submitted", "inadequate"]),
        "c": ("unrectified", None, ["created", "submitted", "unrectified"]),
        "d": ("closed", "2024-05-06", ["created", "submitted", "closed"]),
        "e": ("open", None, ["created"]),
    }
    for key, (status, closed_on, kinds) in expected.items():
        props = loop.detail(issues[key])["properties"]
        assert (props["status"], props["closed_on"]) == (status, closed_on), key
        history = props["history"]
        assert [h["kind"] for h in history] == kinds, key
        assert props["version"] == len(kinds), key
        assert history[0]["actor"] == label("inspector")
        if len(history) > 1:
            assert history[1]["actor"] == label("west")
            assert history[1]["photo_ids"] == [after[key]["id"]]
            assert (history[2]["actor"], history[2]["from_status"]) == (
                label("inspector"),
                "submitted",
            )
    assert loop.detail(issues["b"])["properties"]["history"][2]["note"] == "仍有残留"
    assert {p["kind"] for p in loop.detail(issues["a"])["properties"]["photos"]} == {
        "before",
        "after",
    }
    # B and C went back to the village: June's recheck list has them again, with E
    june = loop.client.get("/recheck", params={"month": "2024-06", "village": "V01"}).json()
    assert {s["code"]: s["status"] for s in june[0]["stops"]} == {
        issues["b"]["code"]: "inadequate",
        issues["c"]["code"]: "unrectified",
        issues["e"]["code"]: "open",
    }


def may_rebound(loop: Loop, issues: dict[str, dict]) -> dict[str, dict]:
    """May 20: the same pile again, 0.00015° south of A (16.7 m; 22.2 m from D): G is a
    rebound of A; H, another category at the same spot, is not."""
    a = issues["a"]
    g = loop.record(
        {
            "category": "clutter",
            "geometry": {"type": "Point", "coordinates": [117.192, 39.28485]},
            "found_on": "2024-05-20",
        }
    )
    assert g["rebound_of"]["code"] == a["code"]
    assert g["rebound_of"]["distance_m"] == pytest.approx(16.7, abs=0.5)
    assert g["possible_duplicates"] == []  # A and D are closed
    g_detail = loop.detail(g)["properties"]
    assert [h["kind"] for h in g_detail["history"]] == ["created", "rebound_linked"]
    assert g_detail["rebound_of"] == a["id"]
    h = loop.record(
        {"category": "weeds", "lon": 117.192, "lat": 39.28485, "found_on": "2024-05-20"}
    )
    assert h["rebound_of"] is None
    return {"g": g, "h": h}


def enter_scores(loop: Loop) -> None:
    """Observation scores (JSON for April, a CSV upload for May), third party, honors."""
    client, admin = loop.client, loop.headers["admin"]
    april_scores = {code: [score] for code, score in zip(CODES, APRIL, strict=True)}
    april_scores["V01"] = [90, 86]  # M1: (90 + 86) / 2 = 88
    april_scores["V04"] = [91, 93]  # M1: 92, the same as V03
    body = [
        {"month": "2024-04", "village": code, "group": f"第{n + 1}组", "score": score}
        for code, scores in april_scores.items()
        for n, score in enumerate(scores)
    ]
    saved = client.post("/scores", json=body, headers=admin)
    assert saved.status_code == 201 and saved.json() == {"saved": 14}, saved.text
    lines = ["month,village,group,score", "2024-05,V01,第1组,97", "2024-05,V01,第2组,95"]
    lines += [f"2024-05,{code},第1组,{s}" for code, s in zip(CODES[1:11], MAY[1:11], strict=True)]
    upload = client.post(
        "/scores/upload",
        files={"file": ("2024-05.csv", "\n".join(lines).encode(), "text/csv")},
        headers=admin,
    )
    assert upload.status_code == 201 and upload.json() == {"saved": 12}, upload.text
    enter_third_party(loop)
    for day, kind in (("2024-06-01", "model_village"), ("2024-09-01", "county_site_visit")):
        honor = {"village": "V05", "awarded_on": day, "kind": kind}
        assert client.post("/honors", json=honor, headers=admin).status_code == 201


def enter_third_party(loop: Loop) -> None:
    """Third-party results: V01 and V02 as JSON, V03 (not evaluated) from a workbook."""
    client, admin = loop.client, loop.headers["admin"]
    third = [
        {"village": "V01", "evaluated": True, "problems_found": 5, "problems_unrectified": 1},
        {"village": "V02", "evaluated": True, "problems_found": 4, "problems_unrectified": 0},
    ]
    assert client.post("/third-party/2024", json=third, headers=admin).json() == {"saved": 2}
    sheet = Workbook()
    sheet.active.title = "third_party"
    sheet.active.append(["village", "evaluated", "problems_found", "problems_unrectified"])
    sheet.active.append(["V03", "否", 0, 0])
    book = io.BytesIO()
    sheet.save(book)
    xlsx = client.post(
        "/third-party/2024/upload",
        files={"file": ("third_party.xlsx", book.getvalue(), "application/octet-stream")},
        headers=admin,
    )
    assert xlsx.status_code == 201 and xlsx.json() == {"saved": 1}, xlsx.text


def check_exports(loop: Loop, issues: dict[str, dict]) -> None:
    """The ledger and the exports reflect all of it."""
    client, headers = loop.client, loop.headers
    codes = {k: issues[k]["code"] for k in "abcdefgh"}
    check_ledger(
        client.get("/exports/ledger.xlsx?as_of=2024-05-31", headers=headers["admin"]), codes
    )
    scoped = ledger_rows(
        client.get("/exports/ledger.xlsx?as_of=2024-05-31", headers=headers["west"])
    )
    assert sorted(scoped) == sorted(v for k, v in codes.items() if k != "f")
    exported = client.get("/exports/issues.geojson", headers=headers["leader"])
    assert exported.status_code == 200, exported.text
    features = {x["properties"]["code"]: x for x in exported.json()["features"]}
    assert {code: features[code]["properties"]["status"] for code in codes.values()} == {
        codes["a"]: "closed",
        codes["b"]: "inadequate",
        codes["c"]: "unrectified",
        codes["d"]: "closed",
        codes["e"]: "open",
        codes["f"]: "open",
        codes["g"]: "open",
        codes["h"]: "open",
    }
    assert features[codes["g"]]["properties"]["rebound_of"] == issues["a"]["id"]
    assert features[codes["c"]]["geometry"]["coordinates"] == [
        pytest.approx(117.197, abs=1e-6),
        pytest.approx(39.286, abs=1e-6),
    ]
    # open and past the deadline on 2024-05-31: B (due 04-18), C (04-23), E (04-25), F (04-20)
    overdue = client.get("/issues", params={"overdue": "true", "as_of": "2024-05-31"}).json()
    assert sorted(x["properties"]["code"] for x in overdue["features"]) == sorted(
        codes[k] for k in "bcef"
    )


CODES = [f"V{n:02d}" for n in range(1, 13)]
APRIL = [88, 95, 92, 92, 85, 84, 83, 80, 78, 75, 70, 65]
"""M1 of April, V01…V12 (V01 and V04 from two groups each)."""
MAY = [96, 90, 91, 89, 88, 87, 86, 85, 84, 83, 82, None]
"""M1 of May, V01…V12 (V01 from 97 and 95; V12 was not scored)."""


def check_april_ranking(response) -> None:
    """April: the first scored month, so nobody is on a streak."""
    assert response.status_code == 200, response.text
    month = response.json()
    ranking = [(r["village"], r["score"], r["rank"], r["bottom_ten"]) for r in month["ranking"]]
    # M2: 95, 92, 92, 88, … — V03 and V04 share rank 2, so V01 (88) is 4th.
    # M3: 12 villages were scored; a village is in the bottom ten when fewer than 10 scored
    # strictly lower. V02 has 11 below it: out. V03 and V04 have 9 below them (88 and the
    # eight lower): in, the tie at the edge makes the bottom "ten" eleven villages.
    assert ranking == [
        ("V02", 95, 1, False),
        ("V03", 92, 2, True),
        ("V04", 92, 2, True),
        ("V01", 88, 4, True),
        ("V05", 85, 5, True),
        ("V06", 84, 6, True),
        ("V07", 83, 7, True),
        ("V08", 80, 8, True),
        ("V09", 78, 9, True),
        ("V10", 75, 10, True),
        ("V11", 70, 11, True),
        ("V12", 65, 12, True),
    ]
    assert len(month["bottom_ten"]) == 11 and "V02" not in month["bottom_ten"]
    # M4: one month in the bottom ten → 分管领导 interviews the secretary, −3 at year end
    for line in month["ranking"][1:]:
        assert (line["streak"], line["points"]) == (False, -3)
        assert line["interview"] == "分管领导约谈提醒村支部书记"
    assert month["ranking"][0]["points"] == 0 and month["ranking"][0]["interview"] is None
    assert [r["groups"] for r in month["ranking"][:4]] == [1, 1, 2, 2]


def check_may_ranking(response) -> None:
    """May: V12 was not scored; most of April's bottom ten are there again."""
    assert response.status_code == 200, response.text
    month = response.json()
    # M1 V01: (97 + 95) / 2 = 96, first. 11 villages scored: V01 has 10 below it (out of the
    # bottom ten); every other one has at most 9 below it (in).
    assert [(r["village"], r["score"], r["rank"]) for r in month["ranking"]] == [
        ("V01", 96, 1),
        ("V03", 91, 2),
        ("V02", 90, 3),
        ("V04", 89, 4),
        ("V05", 88, 5),
        ("V06", 87, 6),
        ("V07", 86, 7),
        ("V08", 85, 8),
        ("V09", 84, 9),
        ("V10", 83, 10),
        ("V11", 82, 11),
        ("V12", None, None),  # M1a: listed, score null, 未评分 (missing_score = "skip")
    ]
    assert month["ranking"][-1]["reason"] == "未评分"
    assert month["not_scored"] == [
        {"village": "V12", "name": "十二村", "reason": "未评分", "ranked": False}
    ]
    assert len(month["warnings"]) == 1 and "V12 十二村" in month["warnings"][0]
    lines = {r["village"]: r for r in month["ranking"]}
    assert (lines["V01"]["bottom_ten"], lines["V01"]["points"]) == (False, 0)
    # V02 was not in April's bottom ten: a first month, −3
    assert (lines["V02"]["streak"], lines["V02"]["points"]) == (False, -3)
    # V03…V11 were in April's bottom ten too: 连续两个月, 镇主要领导 and the community's
    # 副书记, −5 instead of −3 (streak_mode "replace")
    for code in CODES[2:11]:
        assert (lines[code]["bottom_ten"], lines[code]["streak"]) == (True, True), code
        assert lines[code]["points"] == -5, code
    assert lines["V04"]["interview"] == "镇主要领导约谈村支部书记及所属共同体（一号共同体）副书记"
    assert "二号共同体" in lines["V08"]["interview"]


def check_year_ranking(response) -> None:
    """2024: base (Y1) + third party (T1/T2) + honors (M5) − penalties (M4)."""
    assert response.status_code == 200, response.text
    year = response.json()
    # T1 = 0.1 × (8 − found) − 0.5 × not rectified:
    #   V01: 0.1 × 3 − 0.5 × 1 = −0.2;  V02: 0.1 × 4 − 0 = +0.4
    # T2 (V03 was not evaluated, the others have no record): mean of T1 = (−0.2 + 0.4) / 2 = 0.1
    assert year["third_party_mean"] == pytest.approx(0.1)
    villages = {v["village"]: v for v in year["villages"]}
    # Penalties: V01 April −3; V02 May −3; V03…V11 April −3 and May −5; V12 April −3.
    # Honors: V05 +5 for its model village; the county site visit is the second honor of the
    # year and counts 0 (at most one per village and year).
    #            base (Y1)          T      M5  M4   total
    # V01  (88 + 96) / 2 = 92      −0.2    0   3    88.8
    # V02  (95 + 90) / 2 = 92.5    +0.4    0   3    89.9
    # V03  (92 + 91) / 2 = 91.5    +0.1    0   8    83.6
    # V04  (92 + 89) / 2 = 90.5    +0.1    0   8    82.6
    # V05  (85 + 88) / 2 = 86.5    +0.1    5   8    83.6   (ties V03)
    # V06  (84 + 87) / 2 = 85.5    +0.1    0   8    77.6
    # V07  (83 + 86) / 2 = 84.5    +0.1    0   8    76.6
    # V08  (80 + 85) / 2 = 82.5    +0.1    0   8    74.6
    # V09  (78 + 84) / 2 = 81      +0.1    0   8    73.1
    # V10  (75 + 83) / 2 = 79      +0.1    0   8    71.1
    # V11  (70 + 82) / 2 = 76      +0.1    0   8    68.1
    # V12  65 (April only)         +0.1    0   3    62.1
    expected = {
        "V01": (92, -0.2, 0, 3, 88.8, 2),
        "V02": (92.5, 0.4, 0, 3, 89.9, 1),
        "V03": (91.5, 0.1, 0, 8, 83.6, 3),
        "V04": (90.5, 0.1, 0, 8, 82.6, 5),
        "V05": (86.5, 0.1, 5, 8, 83.6, 3),
        "V06": (85.5, 0.1, 0, 8, 77.6, 6),
        "V07": (84.5, 0.1, 0, 8, 76.6, 7),
        "V08": (82.5, 0.1, 0, 8, 74.6, 8),
        "V09": (81, 0.1, 0, 8, 73.1, 9),
        "V10": (79, 0.1, 0, 8, 71.1, 10),
        "V11": (76, 0.1, 0, 8, 68.1, 11),
        "V12": (65, 0.1, 0, 3, 62.1, 12),
    }
    got = {
        code: (
            v["base"],
            v["third_party"],
            v["honors"],
            v["penalties"],
            v["total"],
            v["rank"],
        )
        for code, v in villages.items()
    }
    assert got == {
        code: tuple(pytest.approx(x) for x in values) for code, values in expected.items()
    }
    # Y3: the top 5 by rank (V02, V01, V03 = V05, V04) get 1500 yuan; the bottom 5 (fewer
    # than 5 lower: V12, V11, V10, V09, V08) are flagged for the pay deduction.
    assert {c for c, v in villages.items() if v["reward_yuan"] == 1500} == {
        "V01",
        "V02",
        "V03",
        "V04",
        "V05",
    }
    assert {c for c, v in villages.items() if v["pay_deduction"]} == set(CODES[7:])
    assert [v["village"] for v in year["villages"]][:5] == ["V02", "V01", "V03", "V05", "V04"]
    assert [(i["rule"], i["points"]) for i in villages["V01"]["items"]] == [
        ("Y1", 92),
        ("T1", pytest.approx(-0.2)),
        ("M4", -3),
    ]
    assert [(i["rule"], i["points"]) for i in villages["V05"]["items"]] == [
        ("Y1", 86.5),
        ("T2", pytest.approx(0.1)),
        ("M5", 5),
        ("M5", 0),
        ("M4", -3),
        ("M4", -5),
    ]


LEDGER_HEADERS = [
    "问题编号",
    "村",
    "网格",
    "位置",
    "经纬度",
    "类别",
    "描述",
    "来源",
    "发现日期",
    "整改时限",
    "责任人",
    "整改情况",
    "复核结论",
    "销号日期",
    "是否反弹",
]


def ledger_rows(response) -> dict[str, dict[str, object]]:
    """The ledger's rows by 问题编号 (row 1 is the title, row 2 the headers)."""
    assert response.status_code == 200, response.text
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    headers = list(rows[1])
    assert headers[: len(LEDGER_HEADERS)] == LEDGER_HEADERS
    return {r[0]: dict(zip(headers, r, strict=True)) for r in rows[2:]}


def check_ledger(response, codes: dict[str, str]) -> None:
    """Each issue with the right 整改情况 / 复核结论 / 是否反弹."""
    rows = ledger_rows(response)
    assert sorted(rows) == sorted(codes.values())

    def day(value: object) -> date | None:
        return value.date() if isinstance(value, datetime) else value  # type: ignore[return-value]

    got = {
        key: (
            rows[code]["整改情况"],
            rows[code]["复核结论"] or "",
            day(rows[code]["销号日期"]),
            rows[code]["是否反弹"],
        )
        for key, code in codes.items()
    }
    assert got == {
        "a": ("已销号", "复核通过，销号", date(2024, 5, 6), "否"),
        "b": ("整改不到位", "整改不到位", None, "否"),
        "c": ("未整改", "未整改", None, "否"),
        "d": ("已销号", "复核通过，销号", date(2024, 5, 6), "否"),
        "e": ("整改中", "", None, "否"),
        "f": ("整改中", "", None, "否"),
        "g": ("整改中", "", None, "是"),
        "h": ("整改中", "", None, "否"),
    }
    a = rows[codes["a"]]
    assert (a["村"], a["位置"], a["责任人"], a["来源"]) == (
        "一村",
        "一村东街3号",
        "张三",
        "镇整治办检查",
    )
    assert a["经纬度"] == "117.192000, 39.285000"
    # 整改过程: the days the actions happened, in the ledger's words
    assert a["整改过程"] == (
        "2024-04-03 登记；2024-04-20 村委提交整改（已清理）；2024-05-06 检查员复核通过，销号"
    )
    assert rows[codes["c"]]["整改过程"].endswith("2024-05-06 检查员复核未整改（照片不在现场）")
    assert str(a["类别"]).startswith("乱堆乱放")
    assert (day(a["发现日期"]), day(a["整改时限"])) == (date(2024, 4, 3), date(2024, 4, 18))
    assert rows[codes["f"]]["村"] == "二村"
    assert rows[codes["g"]]["反弹自"] == codes["a"]
    # E was due 2024-04-25: 36 days late on 2024-05-31; closed issues are never late
    assert (rows[codes["e"]]["逾期天数"], rows[codes["a"]]["逾期天数"]) == (36, 0)


RECORD = '{"category": "clutter", "lon": 117.195, "lat": 39.2855, "found_on": "2024-05-06"'


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        pytest.param(RECORD + ', "round_id": 999999}', ("round_id",), id="unknown round"),
        pytest.param(RECORD.replace("117.195", "NaN") + "}", ("lon", "geometry"), id="NaN lon"),
        pytest.param(
            '{"category": "clutter", "geometry": {"type": "Point", "coordinates": [NaN, 39.2]}}',
            ("geometry", "geometry.coordinates.0"),
            id="NaN in a GeoJSON Point",
        ),
        pytest.param(
            RECORD.replace("2024-05-06", "9999-12-31") + "}",
            ("found_on", "deadline"),
            id="found on 9999-12-31",
        ),
        pytest.param(
            RECORD.replace("2024-05-06", "0001-01-01") + "}",
            ("found_on",),
            id="found in year 1",
        ),
    ],
)
def test_a_bad_record_is_a_4xx_naming_the_field(two_villages_url, tokens, tmp_path, raw, fields):
    app = create_app(ServiceSettings(database_url=two_villages_url, data_dir=tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = tokens["inspector"] | {"Content-Type": "application/json"}
        response = client.post("/issues", content=raw, headers=headers)
        assert response.status_code in (404, 422), response.text
        assert response.json()["field"] in fields, response.text
        assert client.get("/issues?village=W01&month=2024-05").json()["features"] == []


def test_a_recheck_in_an_unknown_round_is_a_4xx_and_changes_nothing(
    two_villages_url, tokens, tmp_path
):
    app = create_app(ServiceSettings(database_url=two_villages_url, data_dir=tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        body = {"category": "clutter", "lon": 117.195, "lat": 39.2855, "found_on": "2024-05-06"}
        issue = client.post("/issues", json=body, headers=tokens["inspector"]).json()
        moved = client.post(
            f"/issues/{issue['id']}/transitions",
            json={"action": "unrectified", "version": 1, "round_id": 999999},
            headers=tokens["inspector"],
        )
        assert moved.status_code in (404, 422), moved.text
        assert moved.json()["field"] == "round_id"
        props = client.get(f"/issues/{issue['id']}").json()["properties"]
        assert (props["status"], props["version"]) == ("open", 1)
