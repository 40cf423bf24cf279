"""卡口花场: flower beds on both sides of the main road just inside a village entrance."""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import LineString, MultiLineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from geo.sites.candidate import Candidate
from geo.sites.config import SiteConfig
from geo.sites.place import candidate_key, position_ref
from geo.sites.zones import Zones


def _nearest_line(geom: BaseGeometry, point: Point) -> LineString | None:
    merged = shapely.line_merge(geom) if isinstance(geom, MultiLineString) else geom
    parts = list(merged.geoms) if isinstance(merged, MultiLineString) else [merged]
    parts = [p for p in parts if isinstance(p, LineString) and not p.is_empty]
    return min(parts, key=point.distance) if parts else None


def _entrance_road(
    entrance: dict, main_roads: gpd.GeoDataFrame, snap_m: float
) -> LineString | None:
    """The main road through the entrance: its own road_id when that is a main road, else
    the nearest main road within `snap_m`."""
    point = entrance["geometry"]
    own = main_roads[main_roads["id"] == entrance.get("road_id")]
    pool = own if not own.empty else main_roads
    if pool.empty:
        return None
    distances = pool.geometry.distance(point)
    best = distances.idxmin()
    if distances[best] > snap_m:
        return None
    return _nearest_line(pool.geometry[best], point)


def _inward_stretch(
    road: LineString, point: Point, village: BaseGeometry, length: float
) -> BaseGeometry:
    """The stretch of road from the entrance `length` metres into the village."""
    at = road.project(point)
    ahead = substring(road, at, min(road.length, at + length))
    behind = substring(road, max(0.0, at - length), at)
    inside_ahead = shapely.intersection(ahead, village)
    inside_behind = shapely.intersection(behind, village)
    # Ties (an entrance inside the village) go forward along the road's drawing direction.
    return inside_ahead if inside_ahead.length >= inside_behind.length else inside_behind


def flower_gates(
    *,
    village: dict,
    entrances: gpd.GeoDataFrame,
    main_roads: gpd.GeoDataFrame,
    zones: Zones,
    config: SiteConfig,
) -> list[Candidate]:
    """One candidate per entrance of the village: both roadsides of its first metres inside."""
    rules = config.flower_gate
    reach = config.roads.half_width_m["main"] + rules.depth_m
    out: list[Candidate] = []
    for entrance in entrances.to_dict("records"):
        road = _entrance_road(entrance, main_roads, rules.entrance_snap_m)
        if road is None:
            continue
        stretch = _inward_stretch(road, entrance["geometry"], village["geometry"], rules.length_m)
        if stretch.is_empty or stretch.length < 1.0:
            continue
        beds = shapely.buffer(stretch, reach, cap_style="flat")
        beds = zones.cut(shapely.intersection(beds, village["geometry"]))
        if beds.is_empty or beds.area < rules.min_area_m2:
            continue
        name = entrance.get("name") or ""
        out.append(
            Candidate(
                key=candidate_key(
                    village["code"], "flower_gate", "entrance", position_ref(entrance["geometry"])
                ),
                kind="flower_gate",
                source="entrance",
                village_id=int(village["id"]),
                geometry=beds,
                origin_zh=f"卡口花场：村口卡口{('「' + name + '」') if name else ''}"
                f"入村{rules.length_m:.0f} m内主干道两侧",
                origin_en=f"Flower beds along the first {rules.length_m:.0f} m of the main road "
                f"inside entrance{(' ' + name) if name else ''}",
            )
        )
    return out
