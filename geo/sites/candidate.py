"""A candidate site: where it is, what kind, where it comes from, and why it scores."""

from __future__ import annotations

from dataclasses import dataclass, field

from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class Reason:
    """One reason a candidate scores: its points and its text (Chinese first)."""

    key: str
    points: float
    zh: str
    en: str

    def as_dict(self) -> dict[str, object]:
        """For JSON: key, points (2 decimals), zh, en."""
        return {"key": self.key, "points": round(self.points, 2), "zh": self.zh, "en": self.en}


@dataclass
class Candidate:
    """A place that could become a site, in the metric CRS; measures are filled by scoring."""

    key: str
    """Stable across re-runs: village code, kind, and what the site is anchored on."""
    kind: str
    source: str
    village_id: int
    geometry: BaseGeometry
    origin_zh: str
    origin_en: str
    issue_code: str | None = None
    issue_category: str | None = None
    connects_to: str | None = None
    """For a lane: 'main' or 'secondary', the road it opens onto."""
    area_m2: float | None = None
    length_m: float | None = None
    distance_to_main_m: float | None = None
    distance_to_entrance_m: float | None = None
    distance_to_core_m: float | None = None
    cleared_codes: tuple[str, ...] = ()
    score: float = 0.0
    reasons: list[Reason] = field(default_factory=list)
