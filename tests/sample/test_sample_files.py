"""The generated sample town: deterministic, committed as generated, and plausible."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod

from geo.categories import CATEGORY_CODES
from geo.models import OPEN_STATUSES
from geo.sample.files import read_csv, read_geojson
from geo.sample.frame import to_metres
from geo.sample.generate import FILES, generate_sample_town
from scoring.sources import read_source

GEOD = Geod(ellps="WGS84")
YEAR_END = date(2024, 12, 31)


def test_same_seed_gives_the_same_bytes(generated: Path, tmp_path: Path) -> None:
    generate_sample_town(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (generated / name).read_bytes(), name


def test_committed_files_equal_a_fresh_generation(generated: Path, committed: Path) -> None:
    written = sorted(p.name for p in committed.iterdir())
    assert written == sorted(FILES), "data/sample holds exactly the generated files"
    for name in FILES:
        assert (committed / name).read_bytes() == (generated / name).read_bytes(), (
            f"{name} differs from a fresh generation: run `cunrong sample generate`, "
            "do not edit the sample by hand"
        )


def test_the_sample_is_well_under_5_mb(committed: Path) -> None:
    assert sum((committed / name).stat().st_size for name in FILES) < 4.2e6


def test_44_villages_tile_the_town_at_its_real_place(committed: Path) -> None:
    villages = read_geojson(committed / "villages.geojson")
    ((_, town),) = read_geojson(committed / "town.geojson")
    codes = [p["code"] for p, _ in villages]
    assert codes == [f"DZZ{i:02d}" for i in range(1, 45)]
    shapes = [g for _, g in villages]
    assert all(g.is_valid and g.geom_type == "MultiPolygon" for g in shapes)
    assert shapely.coverage_is_valid(shapes)
    union = shapely.union_all(shapes)
    assert union.geom_type == "Polygon" and not union.interiors
    assert abs(union.area - town.area) < 1e-12
    assert abs(sum(g.area for g in shapes) - town.area) < 1e-12
    minx, miny, maxx, maxy = town.bounds
    assert minx >= 117.12 and maxx <= 117.30 and miny >= 39.25 and maxy <= 39.33
    coordinates = shapely.get_coordinates(shapes)
    assert np.array_equal(coordinates, np.round(coordinates, 7)), "7 decimals"
    assert len({p["name"] for p, _ in villages}) == 44


def test_grids_tile_each_village(committed: Path) -> None:
    villages = {p["code"]: g for p, g in read_geojson(committed / "villages.geojson")}
    grids = defaultdict(list)
    for properties, shape in read_geojson(committed / "grids.geojson"):
        grids[properties["village"]].append(shape)
        assert properties["leader"] and properties["name"].endswith("网格")
    assert set(grids) == set(villages)
    for code, shapes in grids.items():
        assert 2 <= len(shapes) <= 5, code
        assert shapely.coverage_is_valid(shapes), code
        assert abs(sum(g.area for g in shapes) - villages[code].area) < 1e-13, code
        assert shapely.union_all(shapes).equals(villages[code]), code


def test_communities_and_village_attributes(committed: Path) -> None:
    communities = read_csv(committed / "communities.csv")
    assert 6 <= len(communities) <= 8
    assert all(c["name"].endswith("党建共同体") and c["secretary"] for c in communities)
    assert all(c["deputy_secretary"] for c in communities)
    names = {c["code"]: c["name"] for c in communities}
    rows = read_csv(committed / "villages.csv")
    assert list(rows[0]) == ["code", "name", "community"]
    for properties, _ in read_geojson(committed / "villages.geojson"):
        assert names[properties["community_code"]] == properties["community"]
        assert properties["party_secretary"]
        assert 100 <= properties["households"] <= 2000
        assert properties["population"] > properties["households"]
    assert {r["community"] for r in rows} == set(names.values())


def test_roads_entrances_and_water(committed: Path) -> None:
    roads = read_geojson(committed / "roads.geojson")
    kinds = Counter(p["kind"] for p, _ in roads)
    assert 3 <= kinds["main"] <= 6 and kinds["secondary"] == 44 and kinds["lane"] == 44
    assert all(g.geom_type == "MultiLineString" and not g.is_empty for _, g in roads)
    mains = {p["code"]: g for p, g in roads if p["kind"] == "main"}
    villages = {p["code"]: g for p, g in read_geojson(committed / "villages.geojson")}
    entrances = read_geojson(committed / "entrances.geojson")
    assert len({p["village"] for p, _ in entrances}) >= 15
    for properties, point in entrances:
        assert villages[properties["village"]].contains(point)
        assert mains[properties["road"]].distance(point) < 1e-5
    water = Counter(p["kind"] for p, _ in read_geojson(committed / "waterbodies.geojson"))
    assert water["river"] >= 1 and water["ditch"] >= 10 and water["pond"] >= 10


def _issues(folder: Path) -> list[dict[str, str]]:
    return read_csv(folder / "issues.csv")


def _events(folder: Path) -> dict[str, list[dict[str, str]]]:
    events = defaultdict(list)
    for event in read_csv(folder / "issue_events.csv"):
        events[event["issue"]].append(event)
    return events


def test_statuses_and_histories_are_consistent(committed: Path) -> None:
    issues = _issues(committed)
    events = _events(committed)
    assert len({i["id"] for i in issues}) == len({i["code"] for i in issues}) == len(issues)
    assert set(events) == {i["code"] for i in issues}
    for issue in issues:
        history = events[issue["code"]]
        assert [int(e["seq"]) for e in history] == list(range(1, len(history) + 1))
        assert history[0]["kind"] == "created" and history[0]["to_status"] == "open"
        assert history[-1]["to_status"] == issue["status"], issue["code"]
        for before, after in pairwise(history):
            assert after["from_status"] == before["to_status"], issue["code"]
            assert datetime.fromisoformat(after["at"]) > datetime.fromisoformat(before["at"])
        closed = [e for e in history if e["kind"] == "closed"]
        if issue["status"] == "closed":
            assert issue["closed_on"] == closed[-1]["at"][:10]
        else:
            assert issue["closed_on"] == "" and not closed
        found = date.fromisoformat(issue["found_on"])
        assert history[0]["at"][:10] == issue["found_on"]
        assert 7 <= (date.fromisoformat(issue["deadline"]) - found).days <= 15, issue["code"]
        for event in history:
            if event["kind"] in ("closed", "unrectified", "inadequate"):
                assert event["round"] and event["actor"]


def test_every_loop_outcome_occurs(committed: Path) -> None:
    issues = _issues(committed)
    statuses = Counter(i["status"] for i in issues)
    assert set(statuses) == {"open", "submitted", "closed", "unrectified", "inadequate"}
    assert 0.75 < statuses["closed"] / len(issues) < 0.97
    kinds = Counter(e["kind"] for history in _events(committed).values() for e in history)
    assert kinds["inadequate"] > 100 and kinds["unrectified"] > 100
    overdue = [
        i
        for i in issues
        if i["status"] in OPEN_STATUSES and date.fromisoformat(i["deadline"]) < YEAR_END
    ]
    assert 30 <= len(overdue) <= 600


def test_about_5000_issues_with_a_realistic_mix(committed: Path) -> None:
    issues = _issues(committed)
    assert 4500 <= len(issues) <= 5500
    categories = Counter(i["category"] for i in issues)
    assert set(categories) == set(CATEGORY_CODES)
    assert categories.most_common(2)[0][0] in ("clutter", "household_garbage")
    assert all(0.004 < n / len(issues) < 0.25 for n in categories.values())
    months = Counter(i["found_on"][:7] for i in issues)
    assert sorted(months) == [f"2024-{m:02d}" for m in range(3, 13)]
    assert months["2024-03"] == max(months.values()) and months["2024-03"] > 3 * months["2024-12"]
    weeds = Counter(i["found_on"][:7] for i in issues if i["category"] == "weeds")
    assert weeds["2024-07"] > weeds["2024-03"]
    sources = Counter(i["source"] for i in issues)
    assert sources["inspection"] > 0.7 * len(issues) and len(sources) >= 5
    for issue in issues:
        assert issue["description"] and issue["found_by"] and issue["responsible"]
        assert issue["category"] in CATEGORY_CODES
        assert any("\u4e00" <= ch <= "\u9fff" for ch in issue["description"])


def test_some_villages_are_clearly_worse(committed: Path) -> None:
    households = {
        p["code"]: p["households"] for p, _ in read_geojson(committed / "villages.geojson")
    }
    load = Counter(i["village"] for i in _issues(committed))
    per_100 = sorted(load[code] / households[code] * 100 for code in households)
    assert per_100[-1] > 3 * float(np.median(per_100))


def test_waste_gathers_along_water(committed: Path) -> None:
    water = to_metres(
        shapely.union_all([g for _, g in read_geojson(committed / "waterbodies.geojson")])
    )
    points = [
        to_metres(shapely.Point(float(i["lon"]), float(i["lat"])))
        for i in _issues(committed)
        if i["category"] == "waterbody_waste"
    ]
    near = sum(water.distance(p) <= 10.0 for p in points)
    assert near > 0.8 * len(points)


def test_rebounds_follow_the_rule(committed: Path) -> None:
    issues = _issues(committed)
    by_id = {i["id"]: i for i in issues}
    rebounds = [i for i in issues if i["rebound_of"]]
    assert len(rebounds) >= 50
    for issue in rebounds:
        original = by_id[issue["rebound_of"]]
        assert original["status"] == "closed" and original["category"] == issue["category"]
        gap = date.fromisoformat(issue["found_on"]) - date.fromisoformat(original["closed_on"])
        assert timedelta(0) <= gap <= timedelta(days=90)
        _, _, metres = GEOD.inv(
            float(original["lon"]), float(original["lat"]), float(issue["lon"]), float(issue["lat"])
        )
        assert metres <= 20.0
        assert issue["description"].startswith("反弹")


def test_a_few_points_lie_just_outside_the_town(committed: Path) -> None:
    ((_, town),) = read_geojson(committed / "town.geojson")
    town_m = to_metres(town)
    outside = [
        i
        for i in _issues(committed)
        if not town.covers(shapely.Point(float(i["lon"]), float(i["lat"])))
    ]
    assert 10 <= len(outside) <= 40
    for issue in outside:
        point = to_metres(shapely.Point(float(issue["lon"]), float(issue["lat"])))
        assert 0 < town_m.distance(point) <= 30.0
        assert issue["grid"] == ""


def test_scores_third_party_and_honors_read_as_a_scoring_source(committed: Path) -> None:
    source = read_source(committed)
    assert len(source.villages) == 44
    months = {s.month for s in source.observation_scores}
    assert months == {f"2024-{m:02d}" for m in range(3, 13)} - {"2024-08"}
    groups = Counter((s.month, s.village) for s in source.observation_scores)
    assert set(groups.values()) <= {1, 2, 3} and Counter(groups.values())[3] > 200
    codes = {v.code for v in source.villages}
    missed = [(m, c) for m in months for c in codes if (m, c) not in groups]
    assert 1 <= len({c for _, c in missed}) <= 3
    assert all(0 <= s.score <= 100 for s in source.observation_scores)
    evaluated = [t for t in source.third_party if t.evaluated]
    assert 10 <= len(evaluated) <= 25
    assert all(t.problems_unrectified <= t.problems_found for t in source.third_party)
    third_party_issues = Counter(
        i["village"] for i in _issues(committed) if i["source"] == "third_party"
    )
    assert {t.village: t.problems_found for t in evaluated} == dict(third_party_issues)
    honors = Counter(h.village for h in source.honors if h.date.year == 2024)
    assert 3 <= len(source.honors) <= 8 and max(honors.values()) == 2
    assert {h.kind for h in source.honors} == {"model_village", "county_site_visit"}


def test_scores_follow_the_issue_load(committed: Path) -> None:
    households = {
        p["code"]: p["households"] for p, _ in read_geojson(committed / "villages.geojson")
    }
    load = Counter(i["village"] for i in _issues(committed))
    scores = defaultdict(list)
    for row in read_csv(committed / "observation_scores.csv"):
        scores[row["village"]].append(float(row["score"]))
    codes = sorted(households)
    per_household = np.array([load[c] / households[c] for c in codes])
    mean_score = np.array([np.mean(scores[c]) for c in codes])
    ranks = np.argsort(np.argsort(per_household)), np.argsort(np.argsort(mean_score))
    assert np.corrcoef(*ranks)[0, 1] < -0.6
