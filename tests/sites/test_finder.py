"""The site finder on the hand-built village (tests/sites/village.py): exactly the expected
candidates, in the expected order, with scores worked out by hand from sites.toml."""

from __future__ import annotations

import pytest
import shapely
from sqlalchemy import text

from geo.errors import InvalidInput
from geo.sites import find_candidates, load_site_config
from geo.sites.config import parse_site_config
from geo.sites.lanes import stretches
from tests.sites.village import HOMESTEAD, IN_POND, OPEN_NEAR_L2, SRID, X0, Y0

# Hand scores, from sites.toml (score = base + visibility·fade(d_main, 100) + size·min(1, size/
# ideal) + cleared·[closed issue within 10 m] + entrance·fade(d_entrance, 200)
# + core·fade(d_core, 500); the entrance is at (0, 200), the village centre at (200, 200)).
#
# 1. flower_gate at 西口: the first 30 m of M1 inside the village, 10 m (half width 4 + depth 6)
#    each side, less the carriageway: two strips 30 × 6 → 360 m².
#    2 + 3·(1 − 4/100) + 2·(360/400) + 0 + 1·(1 − 4/200) + 1·(1 − √(170² + 4²)/500)
#    = 2 + 2.88 + 1.8 + 0.98 + 0.659906 = 8.319906
# 2. micro_spot on the closed idle homestead at (150, 240): square of half side 10 → 400 m²,
#    30 m from M1 ("主干道可见", visible within 30 m); entrance √(140² + 30²) = 143.178 m away;
#    centre 50 m away (to the corner (160, 230)).
#    1 + 3·0.7 + 2·1 + 2 + 1·(1 − 143.178/200) + 1·(1 − 50/500)
#    = 1 + 2.1 + 2 + 2 + 0.284110 + 0.9 = 8.284110
# 3. aesthetic_lane L1: 120 m, opens onto M1; 100 m from the entrance and from the centre.
#    1 + 3·1 + 2·(120/120) + 0 + 1·0.5 + 1·0.8 = 7.3
# 4. micro_spot on the south corner of the M1 × S1 junction at (250, 200): the square of half
#    side 15 less M1 (y 196…204) and S1 (x 247…253, north only): 30 × 11 = 330 m² south,
#    12 × 11 = 132 m² north-west and north-east. The two north corners are 8 m from the south
#    one (closer than 30 m) and score less (size 2·132/150 = 1.76), so only the south one stays.
#    1 + 3·0.96 + 2·1 + 0 + 0 (235 m > 200 m) + 1·(1 − √(35² + 4²)/500)
#    = 1 + 2.88 + 2 + 0.929544 = 6.809544
# Not candidates: L2 (the open issue lies 10 m from it, within 15 m), the closed clutter in
# the pond (no site on water), anything around the open issue.
EXPECTED = [
    ("flower_gate", 8.319906, 360.0, None, 4.0, None),
    ("micro_spot", 8.284110, 400.0, None, 30.0, HOMESTEAD),
    ("aesthetic_lane", 7.3, None, 120.0, 0.0, None),
    ("micro_spot", 6.809544, 330.0, None, 4.0, None),
]


@pytest.fixture
def candidates(village_engine):
    with village_engine.connect() as conn:
        return find_candidates(conn, srid=SRID)


def test_exactly_the_expected_candidates_in_order(candidates):
    got = [
        (r.kind, r.area_m2, r.length_m, r.distance_to_main_m, r.issue_code)
        for r in candidates.itertuples()
    ]
    want = [(k, a, ln, d, i) for k, _, a, ln, d, i in EXPECTED]
    clean = [tuple(None if v != v else v for v in row) for row in got]  # NaN → None
    assert clean == want
    assert candidates["rank"].tolist() == [1, 2, 3, 4]
    assert candidates["score"].tolist() == pytest.approx([s for _, s, *_ in EXPECTED], abs=0.006)
    assert candidates["village_code"].unique().tolist() == ["W01"]
    assert candidates.crs.to_epsg() == 4326


def test_keys_reasons_and_sources(candidates):
    gate, homestead, lane, corner = candidates.to_dict("records")
    assert gate["candidate_key"] == f"W01:flower_gate:entrance:{X0:.0f},{Y0 + 200:.0f}"
    assert homestead["candidate_key"] == f"W01:micro_spot:issue:{HOMESTEAD}"
    assert lane["candidate_key"] == f"W01:aesthetic_lane:lane:W01-L1@{X0 + 100:.0f},{Y0 + 260:.0f}"
    assert corner["candidate_key"] == f"W01:micro_spot:corner:{X0 + 250:.0f},{Y0 + 200:.0f}:S"
    assert homestead["from_closed_issue"] and not gate["from_closed_issue"]
    assert homestead["issue_category"] == "idle_homestead"
    assert f"已清理（问题 {HOMESTEAD} 已销号）" in homestead["reasons_zh"]
    assert "主干道可见（距主干道30 m）" in homestead["reasons_zh"]
    assert "主干道可见（距主干道4 m）" in gate["reasons_zh"]
    assert gate["reasons_zh"].startswith("卡口花场：村口卡口「西口」")
    assert "直通主干道" in lane["reasons_zh"] and lane["connects_to"] == "main"
    assert "交汇" in corner["reasons_zh"]
    assert [r["key"] for r in homestead["reasons"]] == [
        "base",
        "visibility",
        "size",
        "cleared",
        "core",
        "entrance",
    ]
    assert sum(r["points"] for r in gate["reasons"]) == pytest.approx(gate["score"], abs=0.02)
    assert "Cleared (issue" in homestead["reasons_en"]
    assert gate["rank_in_kind"] == 1 and corner["rank_in_kind"] == 2


def _metric(frame):
    return frame.to_crs(SRID)


def test_candidates_avoid_water_open_issues_and_each_other(village_engine, candidates):
    config = load_site_config()
    with village_engine.connect() as conn:
        water = conn.execute(
            text(f"SELECT ST_AsText(ST_Transform(geom, {SRID})) FROM waterbody")
        ).scalars()
        water = shapely.union_all([shapely.from_wkt(w) for w in water])
        open_issues = conn.execute(
            text(
                f"SELECT ST_AsText(ST_Transform(geom, {SRID})) FROM issue WHERE status <> 'closed'"
            )
        ).scalars()
        open_issues = [shapely.from_wkt(p) for p in open_issues]
    geoms = list(_metric(candidates).geometry)
    for g in geoms:
        assert g.distance(water) >= config.avoid.water_clearance_m - 1e-6
        for p in open_issues:
            assert g.distance(p) >= config.avoid.open_issue_buffer_m - 1e-6
    for i, a in enumerate(geoms):
        for b in geoms[i + 1 :]:
            assert a.distance(b) >= config.avoid.min_spacing_m - 1e-6


def test_one_village_by_code_and_unknown_code(village_engine):
    with village_engine.connect() as conn:
        one = find_candidates(conn, villages=["W01"], srid=SRID)
        assert len(one) == 4
        with pytest.raises(InvalidInput) as err:
            find_candidates(conn, villages=["W01", "NOPE"])
    assert err.value.field == "village" and "NOPE" in err.value.message


def test_a_new_open_issue_removes_the_lane_and_the_closed_pond_issue_stays_out(village_engine):
    with village_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO issue (code, category_code, geom, village_id, found_on, status)"
                f" SELECT 'W01-202405-0009', 'weeds', ST_Transform(ST_SetSRID("
                f"ST_MakePoint({X0 + 110}, {Y0 + 260}), {SRID}), 4326), id, '2024-05-01', 'open'"
                " FROM village WHERE code = 'W01'"
            )
        )
    with village_engine.connect() as conn:
        found = find_candidates(conn, srid=SRID)
    assert "aesthetic_lane" not in set(found["kind"])
    assert IN_POND not in set(found["issue_code"].dropna())
    assert OPEN_NEAR_L2 not in set(found["issue_code"].dropna())


def test_weights_come_from_the_config(village_engine):
    data = _config_table()
    data["flower_gate"]["base"] = 0.0  # the gate drops to 6.319906, below the lane and corner
    with village_engine.connect() as conn:
        found = find_candidates(conn, srid=SRID, config=parse_site_config(data))
    assert found["kind"].tolist() == ["micro_spot", "aesthetic_lane", "micro_spot", "flower_gate"]
    assert found["score"].iloc[-1] == pytest.approx(6.32, abs=0.006)


def test_max_per_kind_keeps_the_best(village_engine):
    data = _config_table()
    data["output"]["max_per_kind"] = 1
    with village_engine.connect() as conn:
        found = find_candidates(conn, srid=SRID, config=parse_site_config(data))
    assert found["kind"].tolist() == ["flower_gate", "micro_spot", "aesthetic_lane"]


def _config_table() -> dict:
    import tomllib

    from geo.sites.config import DEFAULT_CONFIG

    return tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("section", "key", "value", "field"),
    [
        ("score", "visibility", -1, "score.visibility"),
        ("score", "visibility_range_m", 0, "score.visibility_range_m"),
        ("avoid", "min_spacing", 30, "avoid"),
        ("output", "max_per_kind", 2.5, "output.max_per_kind"),
        ("micro_spot", "cleared_half_side_m", {"ruins": 4}, "micro_spot.cleared_half_side_m"),
        ("roads", "half_width_m", {"main": 4, "lane": 1}, "roads.half_width_m"),
    ],
)
def test_bad_config_names_section_and_key(section, key, value, field):
    data = _config_table()
    data[section][key] = value
    with pytest.raises(InvalidInput) as err:
        parse_site_config(data, source="my.toml")
    assert err.value.field == field
    assert err.value.message.startswith("my.toml: ")


def test_missing_config_file(tmp_path):
    with pytest.raises(InvalidInput, match="no such file"):
        load_site_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[score\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not valid TOML"):
        load_site_config(bad)


def test_a_lane_is_cut_where_another_road_crosses_it():
    lane = shapely.LineString([(0, 0), (0, 100)])
    crossing = shapely.MultiLineString([[(-20, 40), (20, 40)], [(-5, 100.5), (5, 100.5)]])
    parts = stretches(lane, crossing, min_gap_m=1.0)
    assert [round(p.length, 6) for p in parts] == [40.0, 60.0]
    assert stretches(lane, shapely.LineString([(5, 0), (5, 100)]), min_gap_m=1.0) == [lane]
    # A crossing within a metre of the lane's end does not leave a sliver.
    near_end = shapely.LineString([(-5, 99.5), (5, 99.5)])
    assert [round(p.length, 6) for p in stretches(lane, near_end, min_gap_m=1.0)] == [100.0]


def test_an_empty_town_has_no_candidates(fresh_url):
    from sqlalchemy import create_engine

    from geo.maps.sites import sites_map
    from geo.sites import site_map_layers

    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            found = find_candidates(conn)
            layers = site_map_layers(conn)
    finally:
        engine.dispose()
    assert found.empty and "reasons_zh" in found.columns and found.crs.to_epsg() == 4326
    html = sites_map(found, villages=layers.villages, basemap="plain").get_root().render()
    assert "cunrong.sites(" in html


def test_junctions_cross_touch_and_near_miss():
    import geopandas as gpd

    from geo.sites.spots import junctions

    main = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (300, 0)])])
    secondary = gpd.GeoDataFrame(
        geometry=[
            shapely.MultiLineString(
                [[(50, -40), (50, 40)], [(150, 0), (150, 60)], [(250, 1.5), (250, 80)]]
            ),
            shapely.LineString([(0, 50), (300, 50)]),  # parallel, never meets
        ]
    )
    points = junctions(main, secondary, snap_m=2.0)
    assert sorted((round(p.x, 6), round(p.y, 6)) for p in points) == [
        (50.0, 0.0),  # crossing
        (150.0, 0.0),  # T
        (250.0, 0.0),  # stops 1.5 m short: the nearest point on the main road
    ]
