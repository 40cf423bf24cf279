"""Roads, village entrances (卡口) and water (河塘沟渠) of the sample town."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiLineString, Point, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, substring

from geo.sample.frame import round_geometry, snap_polygonal, to_degrees, to_metres
from geo.sample.names import CANAL_NAMES, MAIN_ROAD_NAMES, RIVER_NAME
from geo.sample.plan import EntrancePlan, RoadPlan, Town, VillagePlan, WaterPlan

_MAIN_ROUTES = (
    ((-9000.0, 0.0), (9000.0, 0.0), (-700.0, 700.0)),
    ((0.0, -5200.0), (0.0, 5200.0), (-1800.0, 1800.0)),
    ((-9000.0, 3000.0), (9000.0, -3200.0), (-600.0, 600.0)),
    ((-9000.0, 2500.0), (9000.0, 2300.0), (-250.0, 250.0)),
)
"""Start, end and the range of a sideways shift of each town-level main road (metres)."""

_DIRECTION_WORDS = ("东", "北", "西", "南")


def add_landscape(rng: np.random.Generator, town: Town) -> None:
    """Fill in the town's roads, entrances and water bodies."""
    outline_m = to_metres(town.outline)
    cores = shapely.union_all([v.core_m for v in town.villages])
    mains = _main_roads(rng, outline_m, cores)
    town.roads.extend(mains)
    for village in town.villages:
        town.roads.extend(_village_roads(rng, village, mains))
    town.entrances.extend(_entrances(town.villages, mains))
    town.waters.extend(_waters(rng, town.villages, outline_m, cores))


def _main_roads(rng: np.random.Generator, outline: Polygon, cores: BaseGeometry) -> list[RoadPlan]:
    roads = []
    for index, ((x0, y0), (x1, y1), (low, high)) in enumerate(_MAIN_ROUTES):
        line = _winding(rng, (x0, y0), (x1, y1), sway=160.0, low=low, high=high)
        inside = _as_multiline(line.intersection(outline))
        roads.append(
            RoadPlan(
                code=f"R{index + 1:02d}",
                kind="main",
                name=MAIN_ROAD_NAMES[index],
                village=None,
                line=round_geometry(to_degrees(inside)),
                line_m=inside,
            )
        )
    return roads


def _winding(
    rng: np.random.Generator,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    sway: float,
    low: float,
    high: float,
) -> LineString:
    """A gently winding line from start to end, shifted sideways by a random amount."""
    start_xy, end_xy = np.array(start), np.array(end)
    direction = end_xy - start_xy
    normal = np.array([-direction[1], direction[0]]) / np.hypot(*direction)
    t = np.linspace(0.0, 1.0, 10)
    offset = rng.uniform(low, high) + rng.normal(0.0, sway, t.size)
    points = start_xy + t[:, None] * direction + offset[:, None] * normal
    for _ in range(3):
        points = _chaikin(points)
    return LineString(points)


def _chaikin(points: NDArray) -> NDArray:
    """One round of corner cutting (smooths a polyline, keeps its ends)."""
    q = 0.75 * points[:-1] + 0.25 * points[1:]
    r = 0.25 * points[:-1] + 0.75 * points[1:]
    inner = np.empty((2 * len(q), 2))
    inner[0::2], inner[1::2] = q, r
    return np.vstack([points[:1], inner, points[-1:]])


def _as_multiline(geom: BaseGeometry) -> MultiLineString:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, LineString) and p.length > 1.0]
    return MultiLineString(parts)


def _village_roads(
    rng: np.random.Generator, village: VillagePlan, mains: list[RoadPlan]
) -> list[RoadPlan]:
    """The main street(s) of a village (次干道) and the lanes of its settlement (巷道)."""
    centre, core = village.centre_m, village.core_m
    radius = np.sqrt(core.area / np.pi)
    along = np.array([np.cos(village.heading), np.sin(village.heading)])
    across = np.array([-along[1], along[0]])
    inner = village.region_m.buffer(-3.0)
    c = np.array([centre.x, centre.y])
    streets: list[BaseGeometry] = [
        LineString([c - (radius + 160) * along, c + (radius + 160) * along]),
        LineString([c - (radius + 120) * across, c + (radius + 120) * across]),
    ]
    nearest_main = min(mains, key=lambda road: road.line_m.distance(centre))
    if 0 < nearest_main.line_m.distance(centre) < 2_000:
        target = nearest_points(centre, nearest_main.line_m)[1]
        streets.append(LineString([c, (target.x, target.y)]))
    secondary = _as_multiline(shapely.union_all([s.intersection(inner) for s in streets]))

    lanes: list[BaseGeometry] = []
    spacing = rng.uniform(42.0, 55.0)
    for k in np.arange(-radius, radius, spacing) + rng.uniform(0, spacing):
        mid = c + k * across
        lanes.append(LineString([mid - 1.5 * radius * along, mid + 1.5 * radius * along]))
    for k in np.arange(-radius, radius, 2.4 * spacing) + rng.uniform(0, spacing):
        mid = c + k * along
        lanes.append(LineString([mid - 1.5 * radius * across, mid + 1.5 * radius * across]))
    lane_lines = [
        part
        for lane in lanes
        for part in shapely.get_parts(lane.intersection(core))
        if isinstance(part, LineString) and part.length >= 25.0
    ]
    lane_geom = MultiLineString(lane_lines)
    return [
        RoadPlan(
            code=f"{village.code}-S",
            kind="secondary",
            name=f"{village.name}主街",
            village=village.code,
            line=round_geometry(to_degrees(secondary)),
            line_m=secondary,
        ),
        RoadPlan(
            code=f"{village.code}-L",
            kind="lane",
            name=f"{village.name}巷道",
            village=village.code,
            line=round_geometry(to_degrees(lane_geom)),
            line_m=lane_geom,
        ),
    ]


def _entrances(villages: list[VillagePlan], mains: list[RoadPlan]) -> list[EntrancePlan]:
    """卡口: 25 m inside a village where a main road crosses its boundary."""
    entrances = []
    shapes = [to_metres(v.boundary) for v in villages]
    for village, shape in zip(villages, shapes, strict=True):
        found: list[tuple[Point, str]] = []
        for road in mains:
            for line in road.line_m.geoms:
                crossing = line.intersection(shape.boundary)
                for point in shapely.get_parts(crossing):
                    if not isinstance(point, Point):
                        continue
                    at = line.project(point)
                    for step in (25.0, -25.0):
                        if not 0.0 <= at + step <= line.length:
                            continue
                        candidate = line.interpolate(at + step)
                        if shape.contains(candidate) and all(
                            candidate.distance(p) > 60 for p, _ in found
                        ):
                            found.append((candidate, road.code))
        for number, (point, road_code) in enumerate(found, start=1):
            word = _direction_word(village.centre_m, point)
            road_name = next(r.name for r in mains if r.code == road_code)
            entrances.append(
                EntrancePlan(
                    code=f"{village.code}-K{number}",
                    village=village.code,
                    road=road_code,
                    name=f"{village.name}{word}卡口（{road_name}）",
                    point=round_geometry(to_degrees(point)),
                )
            )
    return entrances


def _direction_word(origin: Point, point: Point) -> str:
    angle = np.arctan2(point.y - origin.y, point.x - origin.x)
    return _DIRECTION_WORDS[int(np.round(angle / (np.pi / 2))) % 4]


def _waters(
    rng: np.random.Generator,
    villages: list[VillagePlan],
    outline: Polygon,
    cores: BaseGeometry,
) -> list[WaterPlan]:
    """A river across the town, canals, ditches around settlements and ponds at their edges."""
    waters: list[WaterPlan] = []

    def add(kind: str, name: str, area_m: BaseGeometry) -> None:
        area_m = area_m.intersection(outline)
        if area_m.is_empty or area_m.area < 50.0:
            return
        area = snap_polygonal(to_degrees(area_m))
        waters.append(WaterPlan(f"W{len(waters) + 1:03d}", kind, name, area, area_m))

    river = _least_crossing(
        [
            _meander(rng, (-9000.0, y), (9000.0, y + rng.uniform(-900, 900)), 260.0)
            for y in np.linspace(-2600.0, -400.0, 8)
        ],
        cores,
        outline,
    )
    add("river", RIVER_NAME, river.buffer(20.0, cap_style="flat"))
    for name, x in zip(CANAL_NAMES[:3], (-4300.0, 1200.0, 4800.0), strict=True):
        canal = _least_crossing(
            [
                _meander(rng, (x + dx, -5200.0), (x + dx + rng.uniform(-600, 600), 5200.0), 90.0)
                for dx in np.linspace(-700.0, 700.0, 8)
            ],
            cores,
            outline,
        )
        add("ditch", name, canal.buffer(5.0, cap_style="flat"))
    for village in villages:
        region = village.region_m
        if rng.random() < 0.8:
            ring = village.core_m.buffer(22.0).exterior
            start = rng.uniform(0, ring.length)
            span = rng.uniform(0.25, 0.5) * ring.length
            arc = substring(ring, start, min(ring.length, start + span))
            ditch = arc.buffer(2.0, cap_style="flat").intersection(region.buffer(-2.0))
            add("ditch", f"{village.name}环村沟", ditch)
        for _ in range(int(rng.integers(0, 3))):
            angle = rng.uniform(0, 2 * np.pi)
            radius = np.sqrt(village.core_m.area / np.pi) * rng.uniform(1.0, 1.35) + 30
            centre = Point(
                village.centre_m.x + radius * np.cos(angle),
                village.centre_m.y + radius * np.sin(angle),
            )
            pond = _pond(rng, centre, rng.uniform(15.0, 40.0))
            if region.buffer(-5.0).contains(pond) and not pond.intersects(village.core_m):
                word = _direction_word(village.centre_m, centre)
                add("pond", f"{village.name}{word}坑塘", pond)
    return waters


def _meander(
    rng: np.random.Generator, start: tuple[float, float], end: tuple[float, float], amplitude: float
) -> LineString:
    """A meandering water course from start to end."""
    start_xy, end_xy = np.array(start), np.array(end)
    direction = end_xy - start_xy
    length = float(np.hypot(*direction))
    normal = np.array([-direction[1], direction[0]]) / length
    t = np.linspace(0.0, 1.0, int(length / 60.0))
    phase, wave = rng.uniform(0, 7), rng.uniform(2200.0, 3200.0)
    offset = amplitude * np.sin(2 * np.pi * t * length / wave + phase)
    offset += 0.3 * amplitude * np.sin(2 * np.pi * t * length / (wave / 2.7) + 2 * phase)
    return LineString(start_xy + t[:, None] * direction + offset[:, None] * normal)


def _least_crossing(
    candidates: list[LineString], cores: BaseGeometry, outline: Polygon
) -> LineString:
    """The candidate course that runs long through the town but little through settlements."""
    return min(
        candidates,
        key=lambda line: 20 * line.intersection(cores).length - line.intersection(outline).length,
    )


def _pond(rng: np.random.Generator, centre: Point, radius: float) -> Polygon:
    theta = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
    r = radius * (1.0 + 0.2 * np.cos(2 * theta + rng.uniform(0, 7)))
    return Polygon(np.column_stack([centre.x + r * np.cos(theta), centre.y + r * np.sin(theta)]))
