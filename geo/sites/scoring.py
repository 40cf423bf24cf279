"""Why a candidate ranks where it does: measures, points and reasons (weights in sites.toml)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.sites.candidate import Candidate, Reason
from geo.sites.config import SiteConfig


@dataclass(frozen=True)
class Surroundings:
    """What a village's candidates are measured against (metric CRS)."""

    main_roads: BaseGeometry
    entrances: BaseGeometry
    core: BaseGeometry
    closed_codes: np.ndarray
    """Codes of the closed issues in and around the village …"""
    closed_points: np.ndarray
    """… and where they are."""
    closed_tree: shapely.STRtree = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "closed_tree", shapely.STRtree(self.closed_points))


def village_core(village: BaseGeometry) -> BaseGeometry:
    """The village centre: its centroid, or a point surely inside when the centroid is not."""
    centre = shapely.centroid(village)
    return centre if village.covers(centre) else shapely.point_on_surface(village)


def _fade(distance: float | None, range_m: float) -> float:
    """1 at distance 0, falling linearly to 0 at `range_m` (0 when there is nothing)."""
    if distance is None:
        return 0.0
    return max(0.0, 1.0 - distance / range_m)


def _distance(geom: BaseGeometry, to: BaseGeometry) -> float | None:
    return None if to.is_empty else float(shapely.distance(geom, to))


def _cleared_codes(candidate: Candidate, around: Surroundings, buffer_m: float) -> list[str]:
    """Closed issues within `buffer_m` of the site: its own first, then the nearest."""
    hits = around.closed_tree.query(candidate.geometry, predicate="dwithin", distance=buffer_m)
    distances = shapely.distance(around.closed_points[hits], candidate.geometry)
    ranked = sorted(zip(distances, around.closed_codes[hits], strict=True))
    codes = [str(code) for _, code in ranked]
    if candidate.issue_code:
        codes = [candidate.issue_code] + [c for c in codes if c != candidate.issue_code]
    return codes


def _codes_text(codes: list[str], *, sep: str, limit: int = 3) -> str:
    shown = sep.join(codes[:limit])
    return shown if len(codes) <= limit else f"{shown} …(+{len(codes) - limit})"


def score_candidate(candidate: Candidate, around: Surroundings, config: SiteConfig) -> Candidate:
    """Fill the candidate's measures, score and reasons (largest points first after the base)."""
    w = config.score
    geom = candidate.geometry
    is_line = geom.geom_type in ("LineString", "MultiLineString")
    candidate.area_m2 = None if is_line else float(geom.area)
    candidate.length_m = float(geom.length) if is_line else None
    candidate.distance_to_main_m = _distance(geom, around.main_roads)
    candidate.distance_to_entrance_m = _distance(geom, around.entrances)
    candidate.distance_to_core_m = _distance(geom, around.core)
    codes = _cleared_codes(candidate, around, w.cleared_buffer_m)
    candidate.cleared_codes = tuple(codes)

    base = config.base(candidate.kind)
    reasons = [Reason("base", base, candidate.origin_zh, candidate.origin_en)]
    extra: list[Reason] = []

    d = candidate.distance_to_main_m
    points = w.visibility * _fade(d, w.visibility_range_m)
    if points > 0 and d is not None:
        if d < 0.5:
            zh, en = "直通主干道", "Opens onto the main road"
        elif d <= w.visible_within_m:
            zh, en = f"主干道可见（距主干道{d:.0f} m）", f"Visible from the main road ({d:.0f} m)"
        else:
            zh, en = f"距主干道{d:.0f} m", f"{d:.0f} m from the main road"
        extra.append(Reason("visibility", points, zh, en))

    if is_line:
        size = candidate.length_m or 0.0
        ratio = min(1.0, size / config.aesthetic_lane.ideal_length_m)
        zh, en = f"巷长{size:.0f} m", f"{size:.0f} m long"
    else:
        size = candidate.area_m2 or 0.0
        ideal = getattr(config, candidate.kind).ideal_area_m2
        ratio = min(1.0, size / ideal)
        zh, en = f"面积约{size:.0f} m²", f"About {size:.0f} m²"
    if w.size * ratio > 0:
        extra.append(Reason("size", w.size * ratio, zh, en))

    if codes and w.cleared > 0:
        extra.append(
            Reason(
                "cleared",
                w.cleared,
                f"已清理（问题 {_codes_text(codes, sep='、')} 已销号）",
                f"Cleared (issue {_codes_text(codes, sep=', ')} closed)",
            )
        )

    d = candidate.distance_to_entrance_m
    points = w.entrance * _fade(d, w.entrance_range_m)
    if points > 0 and d is not None:
        extra.append(
            Reason("entrance", points, f"近村口卡口（{d:.0f} m）", f"Near the entrance ({d:.0f} m)")
        )

    d = candidate.distance_to_core_m
    points = w.core * _fade(d, w.core_range_m)
    if points > 0 and d is not None:
        extra.append(
            Reason("core", points, f"近村中心（{d:.0f} m）", f"Near the village centre ({d:.0f} m)")
        )

    extra.sort(key=lambda r: -r.points)
    candidate.reasons = reasons + extra
    candidate.score = sum(r.points for r in candidate.reasons)
    return candidate
