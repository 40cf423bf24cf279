"""How villages are ranked: shared ranks for ties (1, 2, 2, 4), edges with ties included."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping


def _keys(values: Mapping[str, float], decimals: int) -> dict[str, float]:
    return {code: round(value, decimals) for code, value in values.items()}


def competition_ranks(values: Mapping[str, float], *, decimals: int) -> dict[str, int]:
    """Rank highest first; a village's rank is 1 + the number of strictly higher values."""
    keys = _keys(values, decimals)
    ordered = sorted(keys.values())
    return {code: 1 + len(ordered) - bisect_right(ordered, key) for code, key in keys.items()}


def bottom_set(values: Mapping[str, float], *, n: int, decimals: int) -> set[str]:
    """Villages with fewer than `n` strictly lower values (so ties at the edge are all in)."""
    keys = _keys(values, decimals)
    ordered = sorted(keys.values())
    return {code for code, key in keys.items() if bisect_left(ordered, key) < n}


def top_set(values: Mapping[str, float], *, n: int, decimals: int) -> set[str]:
    """Villages with fewer than `n` strictly higher values (ties at the edge are all in)."""
    return {
        code for code, rank in competition_ranks(values, decimals=decimals).items() if rank <= n
    }
