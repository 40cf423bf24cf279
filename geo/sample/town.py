"""The sample town's map of villages, communities and grids (大张庄镇, synthetic)."""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.sample.frame import to_degrees
from geo.sample.names import NameBook, community_name, grid_name
from geo.sample.plan import CommunityPlan, GridPlan, Town, VillagePlan
from geo.sample.tiling import (
    cut_coverage,
    faces_of,
    noded,
    spread_seeds,
    town_outline,
    voronoi_cells,
    voronoi_edges,
    wiggle,
)

TOWN_NAME = "大张庄镇"
VILLAGE_COUNT = 44
COMMUNITY_COUNT = 7
HALF_WIDTH_M = 7_400.0
HALF_HEIGHT_M = 4_150.0
"""The town stays inside 117.12–117.30°E, 39.25–39.33°N around the frame's centre."""

_DIRECTIONS = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")


def build_town(rng: np.random.Generator, names: NameBook) -> Town:
    """Outline, 44 villages tiling it, 7 communities and 2–5 grids tiling each village."""
    outline_m = town_outline(rng, half_width=HALF_WIDTH_M, half_height=HALF_HEIGHT_M)
    spacing = 0.8 * np.sqrt(outline_m.area / VILLAGE_COUNT)
    seeds = _reading_order(spread_seeds(rng, outline_m, VILLAGE_COUNT, spacing))
    edges = [
        wiggle(rng, edge, share=0.07, most=70.0, step=90.0)
        for edge in voronoi_edges(seeds, outline_m)
    ]
    edges = [part for e in edges for part in shapely.get_parts(e.intersection(outline_m))]
    # Noded once here (to the millimetre) so grid edges can end exactly on these pieces.
    village_lines = noded([outline_m.exterior, *edges], grid_size=0.001)
    regions = _regions_by_seed(village_lines, seeds)

    households = np.clip(np.round(rng.lognormal(np.log(520), 0.42, VILLAGE_COUNT)), 160, 1600)
    badness = rng.lognormal(0.0, 0.28, VILLAGE_COUNT)
    order = rng.permutation(VILLAGE_COUNT)
    badness[order[:3]] *= 2.1  # a few villages clearly worse: the ranking has a story
    badness[order[3:6]] *= 0.55

    grid_lines: list[BaseGeometry] = []
    grid_regions: list[BaseGeometry] = []
    grid_parent: list[int] = []
    cores = []
    for index, (seed, region) in enumerate(zip(seeds, regions, strict=True)):
        centre = Point(seed)
        heading = float(rng.normal(0.0, 0.15))
        radius = float(np.sqrt(households[index] * 260.0 / np.pi))
        core = _blob(rng, centre, radius, region.buffer(-60.0))
        old_core = _blob(rng, _nudge(rng, centre, 0.2 * radius), 0.5 * radius, core.buffer(-10.0))
        cores.append((centre, core, old_core, heading))
        count = int(np.clip(round(households[index] / 320) + 1, 2, 5))
        grid_seeds = _grid_seeds(rng, centre, radius, count, heading)
        grid_lines.extend(voronoi_edges(grid_seeds, region))
        grid_regions.extend(voronoi_cells(grid_seeds, region))
        grid_parent.extend([index] * count)

    village_shapes, grid_shapes = cut_coverage(
        [to_degrees(line) for line in (*village_lines, *grid_lines)],
        [to_degrees(region) for region in grid_regions],
        np.array(grid_parent),
    )
    communities, membership = _communities(rng, names, seeds)
    villages = []
    for index in range(VILLAGE_COUNT):
        centre, core, old_core, heading = cores[index]
        villages.append(
            VillagePlan(
                code=f"DZZ{index + 1:02d}",
                name=names.village(),
                community=communities[membership[index]].code,
                party_secretary=names.person(),
                households=int(households[index]),
                population=int(np.rint(households[index] * rng.uniform(2.3, 2.9))),
                boundary=village_shapes[index],
                region_m=regions[index],
                centre_m=centre,
                core_m=core,
                old_core_m=old_core,
                heading=heading,
                badness=float(badness[index]),
            )
        )
    grids = []
    numbers: dict[int, int] = {}
    for shape, parent in zip(grid_shapes, grid_parent, strict=True):
        numbers[parent] = numbers.get(parent, 0) + 1
        village = villages[parent]
        grids.append(
            GridPlan(
                code=f"{village.code}-G{numbers[parent]}",
                village=village.code,
                name=grid_name(numbers[parent]),
                leader=names.person(),
                boundary=shape,
            )
        )
    return Town(
        name=TOWN_NAME,
        outline=shapely.coverage_union_all([v.boundary for v in villages]),
        communities=communities,
        villages=villages,
        grids=grids,
    )


def _reading_order(seeds: NDArray) -> NDArray:
    """Seeds sorted in rows from north to south, west to east (so DZZ01 is in the north-west)."""
    rows = np.floor((seeds[:, 1].max() - seeds[:, 1]) / 1_400.0)
    return seeds[np.lexsort((seeds[:, 0], rows))]


def _regions_by_seed(
    village_lines: list[LineString], seeds: NDArray
) -> list[Polygon | MultiPolygon]:
    """The faces cut by the wiggled edges, grouped by the seed they hold."""
    faces = faces_of(village_lines)
    groups: list[list[Polygon]] = [[] for _ in seeds]
    centres = shapely.points(seeds)
    for face in faces:
        inside = np.flatnonzero(shapely.contains(face, centres))
        if inside.size:
            groups[int(inside[0])].append(face)
        else:
            rep = face.point_on_surface()
            groups[int(np.argmin(shapely.distance(centres, rep)))].append(face)
    return [shapely.union_all(group) for group in groups]


def _blob(rng: np.random.Generator, centre: Point, radius: float, within: BaseGeometry) -> Polygon:
    """A round-ish, irregular patch (a settlement) clipped to `within`."""
    theta = np.linspace(0.0, 2.0 * np.pi, 28, endpoint=False)
    r = radius * (1.0 + 0.12 * np.cos(2 * theta + rng.uniform(0, 7)))
    r *= 1.0 + 0.08 * np.cos(3 * theta + rng.uniform(0, 7))
    patch = Polygon(np.column_stack([centre.x + r * np.cos(theta), centre.y + r * np.sin(theta)]))
    clipped = patch.intersection(within)
    if clipped.is_empty:
        return patch
    return max(shapely.get_parts(clipped), key=lambda part: part.area)


def _nudge(rng: np.random.Generator, point: Point, distance: float) -> Point:
    angle = rng.uniform(0, 2 * np.pi)
    return Point(point.x + distance * np.cos(angle), point.y + distance * np.sin(angle))


def _grid_seeds(
    rng: np.random.Generator, centre: Point, radius: float, count: int, heading: float
) -> NDArray:
    """Seeds of a village's grids: one in the centre and the rest around it (sectors)."""
    ring = count if count == 2 else count - 1
    start = heading + rng.uniform(0, 2 * np.pi)
    angles = start + 2 * np.pi * np.arange(ring) / ring + rng.normal(0, 0.15, ring)
    distance = 0.6 * radius if count > 2 else 0.4 * radius
    points = np.column_stack(
        [centre.x + distance * np.cos(angles), centre.y + distance * np.sin(angles)]
    )
    if count > 2:
        points = np.vstack([[centre.x, centre.y], points])
    return points


def _communities(
    rng: np.random.Generator, names: NameBook, seeds: NDArray
) -> tuple[list[CommunityPlan], NDArray]:
    """Villages grouped by neighbourhood (k-means) into 党建共同体 named by where they lie."""
    centres = seeds[np.argsort(np.hypot(seeds[:, 0], seeds[:, 1]))[:1]]
    while len(centres) < COMMUNITY_COUNT:
        distance = np.min(
            np.hypot(*(seeds[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)), 1
        )
        centres = np.vstack([centres, seeds[int(np.argmax(distance))]])
    for _ in range(30):
        member = np.argmin(
            np.hypot(*(seeds[:, None, :] - centres[None, :, :]).transpose(2, 0, 1)), axis=1
        )
        centres = np.array(
            [
                seeds[member == k].mean(axis=0) if np.any(member == k) else centres[k]
                for k in range(COMMUNITY_COUNT)
            ]
        )
    order = np.argsort(np.arctan2(centres[:, 1], centres[:, 0]))
    rank = np.empty_like(order)
    rank[order] = np.arange(COMMUNITY_COUNT)
    used: set[str] = set()
    communities: list[CommunityPlan] = []
    for k in order:
        area = _area_name(centres[k], used)
        communities.append(
            CommunityPlan(
                code=f"GT{len(communities) + 1:02d}",
                name=community_name(area),
                secretary=names.person(),
                deputy_secretary=names.person(),
            )
        )
    return communities, rank[member]


def _area_name(centre: NDArray, used: set[str]) -> str:
    """镇中片 for the middle, else the compass direction (东片, 西北片, …), made unique."""
    x, y = float(centre[0]), float(centre[1])
    if np.hypot(x / HALF_WIDTH_M, y / HALF_HEIGHT_M) < 0.3:
        name = "镇中片"
    else:
        octant = int(np.round(np.arctan2(y / HALF_HEIGHT_M, x / HALF_WIDTH_M) / (np.pi / 4))) % 8
        name = f"{_DIRECTIONS[octant]}片"
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name[:-1]}{'一二三四五'[n - 1]}片"
    used.add(candidate)
    return candidate
