"""Planner's notes: decisions are stored by candidate key and survive a re-run of the finder."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from geo.errors import InvalidInput, NotFound
from geo.sites import chosen_sites, find_candidates, mark_site, site_choices
from tests.sites.village import HOMESTEAD, SRID

HOMESTEAD_KEY = f"W01:micro_spot:issue:{HOMESTEAD}"
LANE_KEY = "W01:aesthetic_lane:lane:W01-L1@39516500,4349860"
NORTH_WEST_CORNER = "W01:micro_spot:corner:39516650,4349800:NW"


def test_decisions_survive_a_rerun(village_engine):
    with village_engine.begin() as conn:
        chosen = mark_site(
            conn,
            candidate_key=HOMESTEAD_KEY,
            decision="chosen",
            note="  改造为口袋公园 <script>x</script> ",
            decided_by="规划张工",
        )
        mark_site(conn, candidate_key=LANE_KEY, decision="rejected", note="村民反对")
    assert chosen.decision == "chosen" and chosen.village_code == "W01"
    assert chosen.note == "改造为口袋公园 <script>x</script>"
    assert chosen.score == pytest.approx(8.2841, abs=1e-3)

    with village_engine.connect() as conn:
        again = find_candidates(conn, srid=SRID)
        with_rejected = find_candidates(conn, srid=SRID, include_rejected=True)
    assert again["kind"].tolist() == ["flower_gate", "micro_spot", "micro_spot"]
    home = again.set_index("candidate_key").loc[HOMESTEAD_KEY]
    assert (home["decision"], home["decided_by"]) == ("chosen", "规划张工")
    assert home["rank"] == 2
    last = with_rejected.iloc[-1]
    assert (last["candidate_key"], last["decision"], last["note"]) == (
        LANE_KEY,
        "rejected",
        "村民反对",
    )
    assert pd.isna(last["rank"])


def test_deciding_again_replaces_and_keeps_the_shape(village_engine):
    with village_engine.begin() as conn:
        mark_site(conn, candidate_key=HOMESTEAD_KEY, decision="chosen")
        mark_site(conn, candidate_key=HOMESTEAD_KEY, decision="rejected", note="改为停车")
        rows = conn.execute(text("SELECT decision, note FROM site_choice")).all()
    assert rows == [("rejected", "改为停车")]


def test_a_chosen_site_is_kept_even_when_close_to_a_better_one(village_engine):
    with village_engine.begin() as conn:
        mark_site(conn, candidate_key=NORTH_WEST_CORNER, decision="chosen")
    with village_engine.connect() as conn:
        found = find_candidates(conn, srid=SRID)
    keys = found["candidate_key"].tolist()
    assert NORTH_WEST_CORNER in keys
    assert "W01:micro_spot:corner:39516650,4349800:S" not in keys  # 8 m from the chosen one


def test_chosen_sites_for_other_maps(village_engine):
    with village_engine.begin() as conn:
        mark_site(conn, candidate_key=HOMESTEAD_KEY, decision="chosen", note="口袋公园")
        mark_site(conn, candidate_key=LANE_KEY, decision="rejected")
    with village_engine.connect() as conn:
        chosen = chosen_sites(conn)
        everything = site_choices(conn, villages=["W01"])
        none = chosen_sites(conn, villages=["X99"])
    assert chosen["candidate_key"].tolist() == [HOMESTEAD_KEY]
    assert chosen.crs.to_epsg() == 4326 and chosen.geometry.iloc[0].geom_type == "Polygon"
    assert chosen["kind_label"].tolist() == ["小微景点"]
    assert chosen["reasons_zh"].iloc[0].startswith("小微景点：")
    assert sorted(everything["decision"]) == ["chosen", "rejected"]
    assert none.empty


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"candidate_key": HOMESTEAD_KEY, "decision": "maybe"}, InvalidInput, "decision"),
        (
            {"candidate_key": HOMESTEAD_KEY, "decision": "chosen", "note": "长" * 2001},
            InvalidInput,
            "note",
        ),
        (
            {"candidate_key": "W01:micro_spot:issue:NOPE", "decision": "chosen"},
            NotFound,
            "candidate_key",
        ),
        ({"candidate_key": "nonsense", "decision": "chosen"}, NotFound, "candidate_key"),
        (
            {"candidate_key": "X99:flower_gate:entrance:1,2", "decision": "chosen"},
            NotFound,
            "candidate_key",
        ),
    ],
)
def test_bad_decisions_are_refused(village_engine, kwargs, error, field):
    with village_engine.begin() as conn, pytest.raises(error) as err:
        mark_site(conn, **kwargs)
    assert err.value.field == field
    with village_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM site_choice")).scalar_one() == 0
