"""小微景点: land freed by closed issues, and the corners left where main and secondary
roads meet (主次干道边角)."""

from __future__ import annotations

import geopandas as gpd
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.categories import CATEGORIES
from geo.sites.candidate import Candidate
from geo.sites.config import SiteConfig
from geo.sites.place import candidate_key, position_ref, sector
from geo.sites.zones import CLOSED, Zones

_CATEGORY_LABELS = {c.code: (c.label_zh, c.label_en) for c in CATEGORIES}


def _square(point: Point, half_side: float) -> BaseGeometry:
    return shapely.box(
        point.x - half_side, point.y - half_side, point.x + half_side, point.y + half_side
    )


def _largest(geom: BaseGeometry) -> BaseGeometry:
    parts = list(shapely.get_parts(geom))
    return max(parts, key=lambda g: g.area) if parts else geom


def cleared_parcels(
    *,
    village: dict,
    issues: gpd.GeoDataFrame,
    through_roads: BaseGeometry,
    zones: Zones,
    config: SiteConfig,
) -> list[Candidate]:
    """A square parcel around each closed issue of a land-freeing category, off the roads,
    water and open issues, near a main or secondary road."""
    rules = config.micro_spot
    sizes = rules.cleared_half_side_m
    closed = issues[
        (issues["status"] == CLOSED)
        & (issues["village_id"] == village["id"])
        & issues["category_code"].isin(list(sizes))
    ]
    out: list[Candidate] = []
    for issue in closed.to_dict("records"):
        point = issue["geometry"]
        if zones.water.covers(point):
            continue  # land in a pond or on its bank is no site
        parcel = _square(point, sizes[issue["category_code"]])
        parcel = zones.cut(shapely.intersection(parcel, village["geometry"]))
        parcel = _largest(parcel)
        if parcel.is_empty or parcel.area < rules.min_area_m2:
            continue
        if through_roads.is_empty or parcel.distance(through_roads) > rules.max_road_distance_m:
            continue
        zh, en = _CATEGORY_LABELS.get(issue["category_code"], (issue["category_code"],) * 2)
        out.append(
            Candidate(
                key=candidate_key(village["code"], "micro_spot", "issue", issue["code"]),
                kind="micro_spot",
                source="closed_issue",
                village_id=int(village["id"]),
                geometry=parcel,
                origin_zh=f"小微景点：{zh}清理后腾出的空地",
                origin_en=f"Micro spot on land freed by clearing: {en}",
                issue_code=issue["code"],
                issue_category=issue["category_code"],
            )
        )
    return out


def junctions(
    main_roads: gpd.GeoDataFrame, secondary_roads: gpd.GeoDataFrame, *, snap_m: float
) -> list[Point]:
    """Where a secondary road meets or crosses a main road (to the metre, no duplicates)."""
    if main_roads.empty or secondary_roads.empty:
        return []
    mains = shapely.get_parts(shapely.line_merge(main_roads.geometry.values))
    seconds = shapely.get_parts(shapely.line_merge(secondary_roads.geometry.values))
    seen: dict[str, Point] = {}
    pairs = shapely.STRtree(mains).query(seconds, predicate="dwithin", distance=snap_m)
    for sec_i, main_i in zip(*pairs, strict=True):
        sec, main = seconds[sec_i], mains[main_i]
        crossing = shapely.intersection(main, sec)
        points = list(shapely.get_parts(shapely.extract_unique_points(crossing)))
        if not points:  # a near miss: the secondary road stops just short of the main road
            points = [shapely.get_point(shapely.shortest_line(main, sec), 0)]
        for p in points:
            seen.setdefault(position_ref(p), p)
    return [seen[k] for k in sorted(seen)]


def road_corners(
    *,
    village: dict,
    main_roads: gpd.GeoDataFrame,
    secondary_roads: gpd.GeoDataFrame,
    zones: Zones,
    config: SiteConfig,
) -> list[Candidate]:
    """The corners between the carriageways around each main/secondary junction."""
    rules = config.micro_spot
    out: list[Candidate] = []
    for point in junctions(main_roads, secondary_roads, snap_m=config.roads.junction_snap_m):
        if not village["geometry"].covers(point):
            continue
        square = shapely.intersection(_square(point, rules.corner_half_side_m), village["geometry"])
        for corner in shapely.get_parts(zones.cut(square)):
            if corner.area < rules.min_area_m2:
                continue
            where = sector(point, corner.representative_point())
            out.append(
                Candidate(
                    key=candidate_key(
                        village["code"], "micro_spot", "corner", position_ref(point), where
                    ),
                    kind="micro_spot",
                    source="junction",
                    village_id=int(village["id"]),
                    geometry=corner,
                    origin_zh="小微景点：主干道与次干道交汇处的边角地",
                    origin_en="Micro spot: leftover corner where main and secondary roads meet",
                )
            )
    return out
