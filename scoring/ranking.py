"""How villages are ranked: shared ranks for ties (1, 2, 2, 4), edges with ties included."""

from __future__ import annotations

from collections.abc import Mapping


def _keys(values: Mapping[str, float], decimals: int) -> dict[str, float]:
    return {code: round(value, decimals) for code, value in values.items()}


def ranked(values: Mapping[str, float], *, decimals: int) -> list[tuple[str, int]]:
    """(code, rank) best first, ties in code order; rank as `competition_ranks` gives it.

    One sort of (−rounded value, code): a village's rank is its position in that order when
    its value differs from the one before, else the rank of the one before — that is, 1 +
    the number of strictly higher values.
    """
    order = sorted([(-round(value, decimals), code) for code, value in values.items()])
    result: list[tuple[str, int]] = []
    append = result.append
    rank, previous = 0, None
    for position, (key, code) in enumerate(order, start=1):
        if key != previous:
            rank, previous = position, key
        append((code, rank))
    return result


def competition_ranks(values: Mapping[str, float], *, decimals: int) -> dict[str, int]:
    """Rank highest first; a village's rank is 1 + the number of strictly higher values."""
    return dict(ranked(values, decimals=decimals))


def bottom_set(values: Mapping[str, float], *, n: int, decimals: int) -> set[str]:
    """Villages with fewer than `n` strictly lower values (so ties at the edge are all in)."""
    keys = _keys(values, decimals)
    if len(keys) <= n:
        return set(keys)
    if n <= 0:
        return set()
    # Fewer than n values strictly below a key ⇔ the n-th lowest value is not below it.
    edge = sorted(keys.values())[n - 1]
    return {code for code, key in keys.items() if key <= edge}


def top_set(values: Mapping[str, float], *, n: int, decimals: int) -> set[str]:
    """Villages with fewer than `n` strictly higher values (ties at the edge are all in)."""
    return {code for code, rank in ranked(values, decimals=decimals) if rank <= n}
