"""How the sample town is cut into villages, and villages into grids, without gaps or overlaps.

The town outline, the (wiggled) Voronoi edges between village seeds and the straight edges
between grid seeds are noded together once, snap-rounded to the 7-decimal grid. Every
village and grid polygon is then rebuilt from those shared noded pieces, so two neighbours
carry exactly the same vertices along their common edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely import STRtree
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo.sample.frame import GRID_SIZE


def town_outline(rng: np.random.Generator, *, half_width: float, half_height: float) -> Polygon:
    """An irregular, star-shaped town outline in the local frame (metres)."""
    theta = np.linspace(0.0, 2.0 * np.pi, 180, endpoint=False)
    a, b = 0.86 * half_width, 0.86 * half_height
    radius = a * b / np.sqrt((b * np.cos(theta)) ** 2 + (a * np.sin(theta)) ** 2)
    wobble = np.ones_like(theta)
    for k in range(2, 9):
        wobble += rng.uniform(0.03, 0.09) / np.sqrt(k - 1) * np.cos(k * theta + rng.uniform(0, 7))
    wobble += rng.normal(0.0, 0.008, theta.size)
    x = np.clip(radius * wobble * np.cos(theta), -half_width, half_width)
    y = np.clip(radius * wobble * np.sin(theta), -half_height, half_height)
    return Polygon(np.column_stack([x, y]))


def spread_seeds(rng: np.random.Generator, area: Polygon, count: int, spacing: float) -> NDArray:
    """`count` points inside `area`, about `spacing` apart (closer if need be), relaxed once."""
    inner = area.buffer(-0.4 * spacing)
    minx, miny, maxx, maxy = inner.bounds
    points: list[tuple[float, float]] = []
    tries = 0
    while len(points) < count:
        tries += 1
        if tries > 20_000:  # crowded: start again a little closer together
            spacing, points, tries = 0.95 * spacing, [], 0
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if not shapely.contains_xy(inner, x, y):
            continue
        if points and np.min(np.hypot(*(np.array(points) - (x, y)).T)) < spacing:
            continue
        points.append((x, y))
    seeds = np.array(points)
    cells = voronoi_cells(seeds, area)
    relaxed = []
    for seed, cell in zip(seeds, cells, strict=True):
        centre = cell.centroid
        relaxed.append(
            (centre.x, centre.y) if cell.contains(centre) else (float(seed[0]), float(seed[1]))
        )
    return np.array(relaxed)


def voronoi_cells(seeds: NDArray, clip: BaseGeometry) -> list[BaseGeometry]:
    """The Voronoi cell of each seed (in seed order), clipped to `clip`."""
    diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=clip.envelope.buffer(1000))
    cells = list(shapely.get_parts(diagram))
    tree = STRtree(cells)
    ordered = []
    for x, y in seeds:
        hits = tree.query(Point(x, y), predicate="intersects")
        ordered.append(shapely.intersection(cells[int(hits[0])], clip))
    return ordered


def voronoi_edges(seeds: NDArray, clip: Polygon) -> list[LineString]:
    """The Voronoi edges between seeds inside `clip`, as straight segments in a stable order."""
    diagram = shapely.voronoi_polygons(
        MultiPoint(seeds), extend_to=clip.envelope.buffer(1000), only_edges=True
    )
    inside = shapely.intersection(shapely.get_parts(diagram), clip)
    segments = [
        part
        for geom in inside
        for part in shapely.get_parts(geom)
        if isinstance(part, LineString) and part.length > 0
    ]
    return sorted(segments, key=_segment_key)


def _segment_key(segment: LineString) -> tuple[float, ...]:
    (x0, y0), (x1, y1) = segment.coords[0], segment.coords[-1]
    a, b = sorted([(round(x0, 3), round(y0, 3)), (round(x1, 3), round(y1, 3))])
    return (*a, *b)


def wiggle(
    rng: np.random.Generator, segment: LineString, *, share: float, most: float, step: float
) -> LineString:
    """A segment bent by a smooth random offset that vanishes at both ends (field edges)."""
    (x0, y0), (x1, y1) = segment.coords[0], segment.coords[-1]
    length = float(np.hypot(x1 - x0, y1 - y0))
    pieces = max(2, int(np.ceil(length / step)))
    t = np.linspace(0.0, 1.0, pieces + 1)
    amplitude = min(share * length, most)
    offset = np.zeros_like(t)
    for j in range(1, 5):
        offset += rng.normal(0.0, amplitude / j) * np.sin(j * np.pi * t)
    normal = np.array([-(y1 - y0), x1 - x0]) / length
    x = x0 + t * (x1 - x0) + offset * normal[0]
    y = y0 + t * (y1 - y0) + offset * normal[1]
    return LineString(np.column_stack([x, y]))


def noded(lines: Sequence[BaseGeometry], *, grid_size: float) -> list[LineString]:
    """The lines cut at every crossing, snap-rounded to a grid of `grid_size` (one pass)."""
    return list(shapely.get_parts(shapely.union_all(list(lines), grid_size=grid_size)))


def faces_of(pieces: Sequence[BaseGeometry]) -> list[Polygon]:
    """The faces enclosed by noded lines; refuses loose ends (a line that does not meet)."""
    faces, cuts, dangles, invalid = shapely.polygonize_full(list(pieces))
    if not (cuts.is_empty and dangles.is_empty and invalid.is_empty):
        raise RuntimeError("the lines cutting the town do not all meet (loose ends)")
    return list(shapely.get_parts(faces))


def label_points(points: Sequence[Point], regions: Sequence[BaseGeometry]) -> NDArray:
    """Index of the region covering each point (the nearest region when none does)."""
    tree = STRtree(list(regions))
    labels = np.full(len(points), -1, dtype=np.int64)
    point_idx, region_idx = tree.query(list(points), predicate="intersects")
    for p, r in zip(point_idx[::-1], region_idx[::-1], strict=True):
        labels[p] = r
    missing = np.flatnonzero(labels < 0)
    if missing.size:
        labels[missing] = tree.query_nearest([points[int(i)] for i in missing], all_matches=False)[
            1
        ]
    return labels


def cut_coverage(
    lines: Sequence[BaseGeometry],
    regions: Sequence[BaseGeometry],
    region_parent: NDArray,
) -> tuple[list[MultiPolygon], list[MultiPolygon]]:
    """Parents and regions as two exact coverages on the 7-decimal grid (lon/lat).

    `regions` are the fine cells in floating point (grids), each belonging to
    `region_parent[i]` (its village); `lines` are the outline and every edge between them.
    """
    pieces: NDArray[Any] = np.array(noded(lines, grid_size=GRID_SIZE), dtype=object)
    faces: NDArray[Any] = np.array(faces_of(list(pieces)), dtype=object)
    face_region = label_points(shapely.point_on_surface(faces), regions)
    face_parent = region_parent[face_region]

    left, right = _sides(pieces, faces)
    region_of = np.append(face_region, -1)
    parent_of = np.append(face_parent, -1)
    region_edge = region_of[left] != region_of[right]
    parent_edge = parent_of[left] != parent_of[right]
    face_tree = STRtree(faces)
    parents = _assemble(pieces[parent_edge], face_tree, face_parent, int(region_parent.max()) + 1)
    fine = _assemble(pieces[region_edge], face_tree, face_region, len(regions))
    return parents, fine


def _sides(pieces: NDArray, faces: NDArray) -> tuple[NDArray, NDArray]:
    """The face on each side of each noded piece (-1 outside every face)."""
    coords = [np.asarray(piece.coords) for piece in pieces]
    mids = shapely.points([(c[0] + c[1]) / 2.0 for c in coords])
    piece_idx, face_idx = STRtree(faces).query(mids, predicate="dwithin", distance=GRID_SIZE / 100)
    left = np.full(len(pieces), -1, dtype=np.int64)
    right = np.full(len(pieces), -1, dtype=np.int64)
    for p, f in zip(piece_idx, face_idx, strict=True):
        if left[p] < 0:
            left[p] = f
        else:
            right[p] = f
    return left, right


def _assemble(
    pieces: NDArray, face_tree: STRtree, face_label: NDArray, count: int
) -> list[MultiPolygon]:
    """Polygonize boundary pieces and group the polygons by the label of the faces inside."""
    polygons = shapely.get_parts(shapely.polygonize(pieces))
    reps = shapely.point_on_surface(polygons)
    rep_idx, face_idx = face_tree.query(reps, predicate="intersects")
    labels = np.full(len(polygons), -1, dtype=np.int64)
    for r, f in zip(rep_idx, face_idx, strict=True):
        labels[r] = face_label[f]
    grouped: list[list[Polygon]] = [[] for _ in range(count)]
    for polygon, label in zip(polygons, labels, strict=True):
        if label < 0:
            raise RuntimeError("a piece of the town belongs to no village or grid")
        grouped[label].append(shapely.normalize(polygon))
    result = []
    for index, parts in enumerate(grouped):
        if not parts:
            raise RuntimeError(f"region {index} vanished when cut on the 7-decimal grid")
        parts.sort(key=lambda p: -p.area)
        result.append(MultiPolygon(parts))
    return result
