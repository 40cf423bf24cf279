"""美学微巷: stretches of lane with no open issue near them that open onto a main or secondary
road. A lane row may hold many lanes (a MultiLineString); each lane is cut where another road
crosses it, and every stretch between crossings is a candidate of its own."""

from __future__ import annotations

from itertools import pairwise

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from geo.sites.candidate import Candidate
from geo.sites.config import SiteConfig
from geo.sites.place import candidate_key, position_ref
from geo.sites.zones import Zones

_ROAD_ZH = {"main": "主干道", "secondary": "次干道"}
_ROAD_EN = {"main": "main road", "secondary": "secondary road"}


def lane_parts(lanes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per single lane (the parts of each lane row), with the row's code and name."""
    if lanes.empty:
        return lanes.assign(part=[])
    exploded = lanes.explode(index_parts=True)
    exploded["part"] = [int(i[1]) for i in exploded.index]
    exploded = exploded[~exploded.geometry.is_empty & (exploded.geometry.length > 0)]
    return exploded.reset_index(drop=True)


def lane_village(lanes: gpd.GeoDataFrame, villages: gpd.GeoDataFrame) -> list[int | None]:
    """The village of each lane: the one covering the lane's middle point."""
    middles = shapely.line_interpolate_point(lanes.geometry.values, 0.5, normalized=True)
    hits = villages.sindex.query(middles, predicate="within")
    found: dict[int, int] = {}
    for lane_i, village_i in zip(*hits, strict=True):
        found.setdefault(int(lane_i), int(villages["id"].iloc[village_i]))
    return [found.get(i) for i in range(len(lanes))]


def stretches(lane: LineString, crossing: BaseGeometry, *, min_gap_m: float) -> list[LineString]:
    """The lane cut at the points where `crossing` (the other roads) crosses it."""
    if crossing.is_empty or not lane.intersects(crossing):
        return [lane]
    points = shapely.get_parts(shapely.extract_unique_points(shapely.intersection(lane, crossing)))
    cuts = sorted({0.0, lane.length, *(lane.project(p) for p in points)})
    if lane.length < 2 * min_gap_m:
        return [lane]
    kept = [cuts[0]]
    for at in cuts[1:]:
        if at - kept[-1] >= min_gap_m:
            kept.append(at)
    kept[-1] = lane.length
    return [substring(lane, a, b) for a, b in pairwise(kept)]


def tidy_lanes(
    *,
    village: dict,
    lanes: gpd.GeoDataFrame,
    network: np.ndarray,
    main_roads: BaseGeometry,
    secondary_roads: BaseGeometry,
    zones: Zones,
    config: SiteConfig,
) -> list[Candidate]:
    """The village's stretches of lane that connect to a main or secondary road, are long
    enough, and come nowhere near water or an open issue (`lanes`: one row per lane;
    `network`: every road line around, lanes included, that may cut a lane)."""
    tree = shapely.STRtree(network)
    rules = config.aesthetic_lane
    snap = config.roads.junction_snap_m
    blocked = zones.blocked
    out: list[Candidate] = []
    for lane in lanes.to_dict("records"):
        line = shapely.line_merge(lane["geometry"])
        if not isinstance(line, LineString):
            continue
        near = network[tree.query(line, predicate="intersects")]
        others = shapely.union_all(near[~shapely.equals(near, line)])
        for stretch in stretches(line, others, min_gap_m=1.0):
            if stretch.length < rules.min_length_m or stretch.intersects(blocked):
                continue
            if not main_roads.is_empty and stretch.distance(main_roads) <= snap:
                connects = "main"
            elif not secondary_roads.is_empty and stretch.distance(secondary_roads) <= snap:
                connects = "secondary"
            else:
                continue
            middle = shapely.line_interpolate_point(stretch, 0.5, normalized=True)
            ref = f"{lane.get('code') or 'lane'}@{position_ref(middle)}"
            name = lane.get("name") or ""
            out.append(
                Candidate(
                    key=candidate_key(village["code"], "aesthetic_lane", "lane", ref),
                    kind="aesthetic_lane",
                    source="lane",
                    village_id=int(village["id"]),
                    geometry=stretch,
                    origin_zh=f"美学微巷：{('「' + name + '」') if name else '巷道'}"
                    f"连通{_ROAD_ZH[connects]}，无未销号问题",
                    origin_en=f"Aesthetic lane{(' ' + name) if name else ''} opening onto the "
                    f"{_ROAD_EN[connects]}, no open issue near it",
                    connects_to=connects,
                )
            )
    return out
