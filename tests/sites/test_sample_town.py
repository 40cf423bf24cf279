"""The finder on the sample town: every village gets ranked candidates of each kind its data
allow, none on water, near an open issue, or too close to another; the map draws them all."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import shapely
from sqlalchemy import create_engine

from geo.maps.sites import sites_map
from geo.sites import find_candidates, load_site_config
from geo.sites.finder import generate_candidates
from geo.sites.inputs import load_site_inputs
from geo.sites.layers import site_map_layers


@pytest.fixture(scope="module")
def town(pg_server, sample_template):
    """The sample town's candidates and inputs (read-only: one database for the module)."""
    name = pg_server.create(template=sample_template)
    engine = create_engine(pg_server.url_of(name))
    try:
        with engine.connect() as conn:
            found = find_candidates(conn)
            inputs = load_site_inputs(conn)
            layers = site_map_layers(conn, villages=["DZZ05"])
            one = find_candidates(conn, villages=["DZZ05"])
        yield found, inputs, layers, one
    finally:
        engine.dispose()
        pg_server.drop(name)


def test_every_village_gets_each_kind_its_data_allow(town):
    found, inputs, _, _ = town
    config = load_site_config()
    possible = {(c.village_id, c.kind) for c in generate_candidates(inputs, config)}
    got = set(zip(found["village_id"], found["kind"], strict=True))
    assert possible - got == set()
    per_village = Counter(found["village_code"])
    assert set(per_village) == set(inputs.villages["code"])
    assert min(per_village.values()) >= 3  # a few plausible candidates everywhere
    # Each village with an entrance has a flower gate; each has spots and lanes.
    with_entrance = set(inputs.entrances["village_id"])
    gates = set(found.loc[found["kind"] == "flower_gate", "village_id"])
    assert with_entrance == gates
    for kind in ("micro_spot", "aesthetic_lane"):
        assert set(found.loc[found["kind"] == kind, "village_id"]) == set(inputs.villages["id"])
    assert (found.groupby(["village_id", "kind"]).size() <= config.output.max_per_kind).all()


def test_ranks_and_reasons_a_planner_can_read(town):
    found, *_ = town
    for _, group in found.groupby("village_code"):
        assert group["rank"].tolist() == list(range(1, len(group) + 1))
        assert group["score"].is_monotonic_decreasing
    assert found["reasons_zh"].str.contains("主干道可见|直通主干道").any()
    assert found["reasons_zh"].str.contains("已清理（问题 DZZ").any()
    cleared = found[found["from_closed_issue"]]
    assert not cleared.empty and cleared["issue_code"].notna().all()
    lanes = found[found["kind"] == "aesthetic_lane"]
    assert (lanes["length_m"] >= load_site_config().aesthetic_lane.min_length_m).all()


def test_no_candidate_on_water_near_open_issues_or_too_close(town):
    found, inputs, _, _ = town
    avoid = load_site_config().avoid
    sites = found.to_crs(inputs.srid).geometry.to_numpy()
    water = inputs.water.geometry.to_numpy()
    open_points = inputs.issues.loc[inputs.issues["status"] != "closed"].geometry.to_numpy()
    tree = shapely.STRtree(sites)
    too_wet = tree.query(water, predicate="dwithin", distance=avoid.water_clearance_m - 0.01)
    assert too_wet.size == 0
    too_open = tree.query(
        open_points, predicate="dwithin", distance=avoid.open_issue_buffer_m - 0.01
    )
    assert too_open.size == 0
    pairs = tree.query(sites, predicate="dwithin", distance=avoid.min_spacing_m - 0.01)
    assert [(a, b) for a, b in zip(*pairs, strict=True) if a < b] == []


@pytest.mark.browser
def test_one_village_map_in_the_browser(town, browser, tmp_path: Path):
    _, _, layers, one = town
    m = sites_map(
        one,
        villages=layers.villages,
        roads=layers.roads,
        entrances=layers.entrances,
        water=layers.water,
        basemap="plain",
    )
    path = tmp_path / "DZZ05.html"
    m.save(str(path))
    page = browser.open(path)
    browser.wait_for_map(page)
    assert page.locator("path.cr-site").count() == len(one) > 0
    assert page.locator(".cr-site-rank").count() == len(one)
    shot = browser.screenshot(page, tmp_path / "sites.png")
    assert shot.stat().st_size > 20_000
    assert browser.log(page).refused == []
