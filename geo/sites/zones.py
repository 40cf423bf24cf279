"""Where no site may go: road carriageways, water and its banks, around issues still open."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.sites.config import SiteConfig

CLOSED = "closed"
QUAD_SEGS = 8
_OUTSIDE = 1.0 / math.cos(math.pi / (4 * QUAD_SEGS))
"""A buffer's arcs are drawn as chords, which cut inside the true distance; growing the
radius by this factor keeps every chord at least the asked distance away."""


def grow(geoms: Any, distance: Any) -> Any:
    """Buffer by at least `distance` everywhere (round joins drawn outside the arc)."""
    return shapely.buffer(geoms, distance * _OUTSIDE, quad_segs=QUAD_SEGS)


@dataclass(frozen=True)
class Zones:
    """The areas a candidate is cut by, around one village (metric CRS)."""

    corridors: BaseGeometry
    """Every road's carriageway (half width each side)."""
    water: BaseGeometry
    """Waterbodies grown by the clearance."""
    open_issues: BaseGeometry
    """A disc around every issue that is not closed."""
    blocked: BaseGeometry = field(init=False)
    """Water and open issues together: nothing may touch them."""
    obstacles: BaseGeometry = field(init=False)
    """Roads, water and open issues together: what a polygon site is cut by."""

    def __post_init__(self) -> None:
        blocked = shapely.union(self.water, self.open_issues)
        obstacles = shapely.union(self.corridors, blocked)
        shapely.prepare(blocked)
        shapely.prepare(obstacles)
        object.__setattr__(self, "blocked", blocked)
        object.__setattr__(self, "obstacles", obstacles)

    def cut(self, geom: BaseGeometry) -> BaseGeometry:
        """The polygons left of `geom` off the roads, water and open issues."""
        if geom.is_empty:
            return geom
        near = shapely.clip_by_rect(self.obstacles, *geom.buffer(1.0).bounds)
        return polygonal(shapely.difference(geom, near))


def polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Only the polygons of a geometry (slivers cut down to lines or points are dropped)."""
    parts = [g for g in shapely.get_parts(geom) if g.geom_type == "Polygon" and g.area > 0]
    if len(parts) == 1:
        return shapely.normalize(parts[0])
    return shapely.normalize(shapely.MultiPolygon(parts))


def road_corridors(roads: gpd.GeoDataFrame, config: SiteConfig) -> BaseGeometry:
    """The carriageways of the roads (flat ends, so a road's end does not eat a corner)."""
    if roads.empty:
        return shapely.Polygon()
    widths = roads["kind"].map(config.roads.half_width_m).astype(float).to_numpy()
    return shapely.union_all(shapely.buffer(roads.geometry.values, widths, cap_style="flat"))


def water_zone(water: gpd.GeoDataFrame, config: SiteConfig) -> BaseGeometry:
    """Waterbodies and their banks; rivers and ditches drawn as lines get a width first."""
    if water.empty:
        return shapely.Polygon()
    geoms = water.geometry.values
    lines = shapely.get_dimensions(geoms) == 1
    reach = config.avoid.water_clearance_m + lines * config.avoid.water_line_half_width_m
    return shapely.union_all(grow(geoms, reach))


def open_issue_zone(issues: gpd.GeoDataFrame, config: SiteConfig) -> BaseGeometry:
    """A disc around each issue not yet closed (整改中, 待复核, 未整改, 整改不到位)."""
    still_open = issues[issues["status"] != CLOSED]
    if still_open.empty or config.avoid.open_issue_buffer_m == 0:
        return shapely.Polygon()
    return shapely.union_all(grow(still_open.geometry.values, config.avoid.open_issue_buffer_m))


def zones_around(
    area: BaseGeometry,
    *,
    roads: gpd.GeoDataFrame,
    water: gpd.GeoDataFrame,
    issues: gpd.GeoDataFrame,
    config: SiteConfig,
) -> Zones:
    """The zones of what lies within reach of `area` (a village grown by a margin)."""

    def near(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        if frame.empty:
            return frame
        return frame.iloc[frame.sindex.query(area, predicate="intersects")].sort_index()

    return Zones(
        corridors=road_corridors(near(roads), config),
        water=water_zone(near(water), config),
        open_issues=open_issue_zone(near(issues), config),
    )
