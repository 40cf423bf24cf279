"""Where in a village each kind of problem turns up (metres, local frame).

Household problems sit along the lanes of the settlement, wires and ruins in the old core,
idle homesteads in a few clusters, waste along the banks of ponds and ditches, farm waste
in the fields, road problems along the streets.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.sample.frame import to_metres
from geo.sample.plan import Town, VillagePlan


@dataclass
class Spot:
    """A sampled location and what is there (for the wording)."""

    x: float
    y: float
    kind: str
    """house, old_house, public, field, water, street, main_road"""
    name: str = ""
    """The water body's or road's name when the spot is on one."""


@dataclass
class VillageGround:
    """The lines and areas of one village that problems are placed on."""

    village: VillagePlan
    inner: BaseGeometry
    lanes: MultiLineString
    old_lanes: MultiLineString
    streets: MultiLineString
    main_roads: list[tuple[str, BaseGeometry]]
    banks: list[tuple[str, BaseGeometry]]
    fields: BaseGeometry
    homestead_clusters: list[Point]
    public_spots: list[Point]

    @property
    def bank_length(self) -> float:
        """Metres of pond and ditch bank in the village."""
        return sum(line.length for _, line in self.banks)


def survey(rng: np.random.Generator, town: Town) -> dict[str, VillageGround]:
    """The placing grounds of every village."""
    grounds = {}
    for village in town.villages:
        shape = to_metres(village.boundary)
        inner = shape.buffer(-1.5)
        shapely.prepare(inner)
        lanes = next(r.line_m for r in town.roads if r.village == village.code and r.kind == "lane")
        streets = next(
            r.line_m for r in town.roads if r.village == village.code and r.kind == "secondary"
        )
        old_lanes = _lines(lanes.intersection(village.old_core_m))
        if old_lanes.is_empty:
            old_lanes = lanes
        main_roads = []
        for road in town.roads:
            if road.kind == "main":
                part = road.line_m.intersection(inner)
                if part.length > 50:
                    main_roads.append((road.name, part))
        banks = []
        for water in town.waters:
            if water.area_m.intersects(inner):
                bank = water.area_m.boundary.intersection(inner)
                if bank.length > 20:
                    banks.append((water.name, bank))
        fields = inner.difference(village.core_m.buffer(60.0))
        clusters = [
            _inside(rng, village.old_core_m, village.old_core_m.centroid, 60.0)
            for _ in range(int(rng.integers(1, 4)))
        ]
        public = [
            _inside(rng, village.core_m, village.centre_m, 0.5 * _radius(village.core_m))
            for _ in range(4)
        ]
        grounds[village.code] = VillageGround(
            village=village,
            inner=inner,
            lanes=lanes,
            old_lanes=old_lanes,
            streets=streets,
            main_roads=main_roads,
            banks=banks,
            fields=fields,
            homestead_clusters=clusters,
            public_spots=public,
        )
    return grounds


def _radius(area: Polygon) -> float:
    return float(np.sqrt(area.area / np.pi))


def _lines(geom: BaseGeometry) -> MultiLineString:
    return MultiLineString([p for p in shapely.get_parts(geom) if isinstance(p, LineString)])


def _inside(rng: np.random.Generator, area: BaseGeometry, centre: Point, spread: float) -> Point:
    """A point of `area` near `centre` (the centre itself when none is found)."""
    for _ in range(50):
        x, y = centre.x + rng.normal(0, spread), centre.y + rng.normal(0, spread)
        if shapely.contains_xy(area, x, y):
            return Point(x, y)
    return centre


def place(rng: np.random.Generator, ground: VillageGround, category: str) -> Spot:
    """A location in the village for a new issue of `category`."""
    for _ in range(40):
        spot = _candidate(rng, ground, category)
        if shapely.contains_xy(ground.inner, spot.x, spot.y):
            return spot
    centre = ground.village.centre_m
    return Spot(centre.x, centre.y, "house")


def _candidate(rng: np.random.Generator, ground: VillageGround, category: str) -> Spot:
    if category == "waterbody_waste" and ground.banks:
        weights = np.array([line.length for _, line in ground.banks])
        name, line = ground.banks[int(rng.choice(len(weights), p=weights / weights.sum()))]
        x, y = _along(rng, line, 0.0, 4.0)
        return Spot(x, y, "water", name)
    if category == "agri_waste" and not ground.fields.is_empty:
        return _in_area(rng, ground.fields, "field")
    if category == "idle_homestead":
        centre = ground.homestead_clusters[int(rng.integers(len(ground.homestead_clusters)))]
        return Spot(centre.x + rng.normal(0, 22), centre.y + rng.normal(0, 22), "old_house")
    if category == "tangled_wires":
        x, y = _along(rng, ground.old_lanes, 3.0, 7.0)
        return Spot(x, y, "old_house")
    if category in ("road_obstruction", "weeds", "standing_water") and rng.random() < 0.5:
        if ground.main_roads and rng.random() < 0.3:
            name, line = ground.main_roads[int(rng.integers(len(ground.main_roads)))]
            x, y = _along(rng, line, 4.0, 9.0)
            return Spot(x, y, "main_road", name)
        x, y = _along(rng, ground.streets, 3.0, 8.0)
        return Spot(x, y, "street")
    if category in ("zombie_facility", "public_space_clutter"):
        centre = ground.public_spots[int(rng.integers(len(ground.public_spots)))]
        return Spot(centre.x + rng.normal(0, 30), centre.y + rng.normal(0, 30), "public")
    lanes = ground.old_lanes if rng.random() < 0.35 else ground.lanes
    x, y = _along(rng, lanes, 3.0, 9.0)
    return Spot(x, y, "house")


def _along(rng: np.random.Generator, lines: BaseGeometry, low: float, high: float) -> tuple:
    """A point beside a random stretch of `lines`, `low`–`high` metres off to either side."""
    parts = [p for p in shapely.get_parts(lines) if isinstance(p, LineString) and p.length > 0]
    lengths = np.array([p.length for p in parts])
    line = parts[int(rng.choice(len(parts), p=lengths / lengths.sum()))]
    at = rng.uniform(0.0, line.length)
    a = line.interpolate(max(0.0, at - 1.0))
    b = line.interpolate(min(line.length, at + 1.0))
    here = line.interpolate(at)
    dx, dy = b.x - a.x, b.y - a.y
    norm = float(np.hypot(dx, dy)) or 1.0
    offset = rng.uniform(low, high) * (1 if rng.random() < 0.5 else -1)
    return here.x - dy / norm * offset, here.y + dx / norm * offset


def _in_area(rng: np.random.Generator, area: BaseGeometry, kind: str) -> Spot:
    minx, miny, maxx, maxy = area.bounds
    for _ in range(100):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(area, x, y):
            return Spot(x, y, kind)
    point = area.representative_point()
    return Spot(point.x, point.y, kind)
