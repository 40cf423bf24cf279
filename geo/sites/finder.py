"""Where could a village put its 卡口花场, 小微景点 and 美学微巷? The candidate finder.

Reads the villages' roads, entrances, water and issues (`inputs`), draws the candidate
shapes of each kind (`gates`, `spots`, `lanes`) off the roads, water and open issues
(`zones`), scores them with reasons (`scoring`), keeps them apart (`selection`) and ranks
them per village. Planners' decisions (`notes`) are kept across runs by candidate key.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, text

from geo.errors import InvalidInput
from geo.sites.candidate import Candidate
from geo.sites.config import SiteConfig, load_site_config
from geo.sites.decisions import decisions_for
from geo.sites.frame import candidates_frame
from geo.sites.gates import flower_gates
from geo.sites.inputs import SiteInputs, load_site_inputs
from geo.sites.lanes import lane_parts, lane_village, tidy_lanes
from geo.sites.place import village_code_of
from geo.sites.scoring import Surroundings, score_candidate, village_core
from geo.sites.selection import keep_spaced, rank_in_village
from geo.sites.spots import cleared_parcels, road_corners
from geo.sites.zones import CLOSED, zones_around
from geo.towns import in_session_town

REACH_M = 100.0
"""Roads, water and issues this far outside a village still shape its candidates."""


def _within(frame: gpd.GeoDataFrame, area: BaseGeometry) -> gpd.GeoDataFrame:
    if frame.empty:
        return frame
    return frame.iloc[sorted(frame.sindex.query(area, predicate="intersects"))]


def _single_lines(roads: gpd.GeoDataFrame) -> np.ndarray:
    """Every road as single lines (a lane row may hold many lanes)."""
    if roads.empty:
        return np.array([], dtype=object)
    return shapely.get_parts(shapely.line_merge(roads.geometry.values))


def village_candidates(
    village: dict,
    inputs: SiteInputs,
    config: SiteConfig,
    *,
    lanes: gpd.GeoDataFrame,
    all_main_roads: BaseGeometry,
) -> list[Candidate]:
    """Every candidate of one village, scored, before spacing."""
    area = village["geometry"].buffer(REACH_M)
    roads = _within(inputs.roads, area)
    issues = _within(inputs.issues, area)
    zones = zones_around(area, roads=roads, water=inputs.water, issues=issues, config=config)
    main = roads[roads["kind"] == "main"]
    secondary = roads[roads["kind"] == "secondary"]
    main_union = shapely.union_all(main.geometry.values)
    secondary_union = shapely.union_all(secondary.geometry.values)
    own_lanes = lanes[lanes["village_of_lane"] == village["id"]]
    entrances = inputs.entrances[inputs.entrances["village_id"] == village["id"]]
    found = [
        *flower_gates(
            village=village, entrances=entrances, main_roads=main, zones=zones, config=config
        ),
        *cleared_parcels(
            village=village,
            issues=issues,
            through_roads=shapely.union(main_union, secondary_union),
            zones=zones,
            config=config,
        ),
        *road_corners(
            village=village,
            main_roads=main,
            secondary_roads=secondary,
            zones=zones,
            config=config,
        ),
        *tidy_lanes(
            village=village,
            lanes=own_lanes,
            network=_single_lines(roads),
            main_roads=main_union,
            secondary_roads=secondary_union,
            zones=zones,
            config=config,
        ),
    ]
    closed = issues[issues["status"] == CLOSED]
    around = Surroundings(
        main_roads=all_main_roads,
        entrances=shapely.union_all(entrances.geometry.values),
        core=village_core(village["geometry"]),
        closed_codes=closed["code"].to_numpy(dtype=object),
        closed_points=closed.geometry.to_numpy(dtype=object),
    )
    return [score_candidate(c, around, config) for c in found]


def generate_candidates(inputs: SiteInputs, config: SiteConfig) -> list[Candidate]:
    """Every candidate of the loaded villages, scored, before spacing and ranking."""
    lanes = lane_parts(inputs.roads[inputs.roads["kind"] == "lane"])
    lanes["village_of_lane"] = lane_village(lanes, inputs.villages) if not lanes.empty else []
    mains = shapely.union_all(inputs.roads.loc[inputs.roads["kind"] == "main"].geometry.values)
    out: list[Candidate] = []
    for village in inputs.villages.to_dict("records"):
        out.extend(village_candidates(village, inputs, config, lanes=lanes, all_main_roads=mains))
    return out


_NEIGHBOURS = text(
    "SELECT DISTINCT n.code FROM village v JOIN village n"
    " ON n.town_id = v.town_id AND ST_DWithin(v.geom::geography, n.geom::geography, :d)"
    " WHERE v.code = ANY(CAST(:codes AS text[])) ORDER BY n.code"
)
_BY_TOWN = text(
    "SELECT v.town_id, array_agg(v.code ORDER BY v.code) FROM village v"
    " WHERE cardinality(CAST(:codes AS text[])) = 0 OR v.code = ANY(CAST(:codes AS text[]))"
    " GROUP BY v.town_id ORDER BY v.town_id"
)


def find_candidates(
    conn: Connection,
    *,
    villages: Sequence[str] = (),
    config: SiteConfig | None = None,
    include_rejected: bool = False,
    srid: int | None = None,
) -> gpd.GeoDataFrame:
    """Ranked candidate sites of the villages (codes; all when empty), in EPSG:4326.

    One row per site, best first within each village (`rank`), with its kind, area or
    length, distance to the main road, the closed issue it comes from, score and reasons.
    Rejected candidates are left out unless `include_rejected` (they then have no rank).

    Town by town: each town's villages are weighed among themselves, in the town's own
    metric CRS (`town.metric_srid`) unless `srid` forces one.
    """
    config = config or load_site_config()
    codes = [str(c) for c in villages]
    by_town = conn.execute(_BY_TOWN, {"codes": codes}).all()
    if len(by_town) > 1:
        wanted = set(codes)
        missing = sorted(wanted - {c for _, town_codes in by_town for c in town_codes})
        if missing:
            raise InvalidInput(f"unknown village code(s): {', '.join(missing)}", field="village")
        frames = [
            find_candidates(
                conn,
                villages=[c for c in town_codes if not wanted or c in wanted],
                config=config,
                include_rejected=include_rejected,
                srid=srid,
            )
            for _, town_codes in by_town
        ]
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    if codes:
        # Neighbours take part in the spacing, so a site by the boundary is weighed against
        # the one across it in the same way as in a run over the whole town.
        wider = list(
            conn.execute(_NEIGHBOURS, {"codes": codes, "d": config.avoid.min_spacing_m}).scalars()
        )
        inputs = load_site_inputs(conn, villages=sorted(set(wider) | set(codes)), srid=srid)
    else:
        inputs = load_site_inputs(conn, srid=srid)
    found = generate_candidates(inputs, config)
    decisions = decisions_for(conn, village_ids=[int(i) for i in inputs.villages["id"]])
    choice = {k: d.decision for k, d in decisions.items()}
    kept = keep_spaced(found, decisions=choice, config=config)
    if include_rejected:
        kept += [c for c in found if choice.get(c.key) == "rejected"]
    if codes:
        wanted = set(inputs.villages.loc[inputs.villages["code"].isin(codes), "id"])
        kept = [c for c in kept if c.village_id in wanted]
    ranks = rank_in_village([c for c in kept if choice.get(c.key) != "rejected"])
    return candidates_frame(
        kept, villages=inputs.villages, ranks=ranks, decisions=decisions, srid=inputs.srid
    )


def candidate_by_key(
    conn: Connection, key: str, *, config: SiteConfig | None = None, srid: int | None = None
) -> tuple[Candidate, SiteInputs] | None:
    """The candidate with this key (spaced out or not), found by re-running its village."""
    code = village_code_of(key)
    if code is None:
        return None
    exists = conn.execute(
        text(f"SELECT 1 FROM village v WHERE code = :c AND {in_session_town('v')}"), {"c": code}
    ).first()
    if exists is None:
        return None
    inputs = load_site_inputs(conn, villages=[code], srid=srid)
    for c in generate_candidates(inputs, config or load_site_config()):
        if c.key == key:
            return c, inputs
    return None
