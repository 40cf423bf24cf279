"""Which candidates are kept: chosen ones first, then the best, never too close together."""

from __future__ import annotations

from collections import Counter

import numpy as np
import shapely

from geo.sites.candidate import Candidate
from geo.sites.config import SiteConfig
from geo.sites.kinds import SITE_KINDS


def preference(candidate: Candidate, decisions: dict[str, str]) -> tuple:
    """Sort key: chosen first, then higher score, then kind order, then key."""
    return (
        decisions.get(candidate.key) != "chosen",
        -candidate.score,
        SITE_KINDS.index(candidate.kind),
        candidate.key,
    )


def keep_spaced(
    candidates: list[Candidate], *, decisions: dict[str, str], config: SiteConfig
) -> list[Candidate]:
    """Greedy by preference: a candidate closer than min_spacing_m to one already kept is
    dropped, as is one past max_per_kind of its village; rejected ones take no part.

    A chosen candidate is always kept (a planner may choose two close sites)."""
    spacing = config.avoid.min_spacing_m
    limit = config.output.max_per_kind
    ordered = sorted(
        (c for c in candidates if decisions.get(c.key) != "rejected"),
        key=lambda c: preference(c, decisions),
    )
    kept: list[Candidate] = []
    boxes = np.empty((0, 4))
    geoms: list = []
    per_kind: Counter[tuple[int, str]] = Counter()
    for c in ordered:
        chosen = decisions.get(c.key) == "chosen"
        if not chosen and limit and per_kind[(c.village_id, c.kind)] >= limit:
            continue
        if not chosen and len(kept):
            x0, y0, x1, y1 = c.geometry.bounds
            near = (
                (boxes[:, 0] < x1 + spacing)
                & (boxes[:, 2] > x0 - spacing)
                & (boxes[:, 1] < y1 + spacing)
                & (boxes[:, 3] > y0 - spacing)
            )
            if near.any():
                others = np.asarray(geoms, dtype=object)[near]
                if (shapely.distance(others, c.geometry) < spacing).any():
                    continue
        kept.append(c)
        geoms.append(c.geometry)
        boxes = np.vstack([boxes, c.geometry.bounds])
        per_kind[(c.village_id, c.kind)] += 1
    return kept


def rank_in_village(candidates: list[Candidate]) -> dict[str, tuple[int, int]]:
    """(rank in the village, rank among its kind in the village) by key; 1 is best."""
    ordered = sorted(
        candidates, key=lambda c: (c.village_id, -c.score, SITE_KINDS.index(c.kind), c.key)
    )
    ranks: dict[str, tuple[int, int]] = {}
    overall: Counter[int] = Counter()
    by_kind: Counter[tuple[int, str]] = Counter()
    for c in ordered:
        overall[c.village_id] += 1
        by_kind[(c.village_id, c.kind)] += 1
        ranks[c.key] = (overall[c.village_id], by_kind[(c.village_id, c.kind)])
    return ranks
