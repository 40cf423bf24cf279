"""How villages are ranked: shared ranks for ties (1, 2, 2, 4), edges with ties included.

Values are compared rounded (`rounded`); a caller ranking the same values several ways
(a month's ranking and its bottom ten) rounds them once and passes the keys.
"""

from __future__ import annotations

from collections.abc import Mapping


def rounded(values: Mapping[str, float], *, decimals: int) -> dict[str, float]:
    """code → the value as ranks compare it (rounded to `decimals`)."""
    return {code: round(value, decimals) for code, value in values.items()}


def ranked_keys(keys: Mapping[str, float]) -> list[tuple[str, int]]:
    """(code, rank) best first, ties in code order, from `rounded` keys.

    A village's rank is its position in that order when its key differs from the one
    before, else the rank of the one before — that is, 1 + the number of strictly higher
    keys.
    """
    order = sorted(keys)  # by code; the sort by key below is stable, also in reverse
    order.sort(key=keys.__getitem__, reverse=True)
    result: list[tuple[str, int]] = []
    append = result.append
    rank, previous = 0, None
    for position, code in enumerate(order, start=1):
        key = keys[code]
        if key != previous:
            rank, previous = position, key
        append((code, rank))
    return result


def bottom_keys(keys: Mapping[str, float], *, n: int) -> set[str]:
    """Codes with fewer than `n` strictly lower `rounded` keys (ties at the edge all in)."""
    if len(keys) <= n:
        return set(keys)
    if n <= 0:
        return set()
    # Fewer than n keys strictly below a key ⇔ the n-th lowest key is not below it.
    edge = sorted(keys.values())[n - 1]
    return {code for code, key in keys.items() if key <= edge}


def ranked(values: Mapping[str, float], *, decimals: int) -> list[tuple[str, int]]:
    """(code, rank) best first, ties in code order; rank as `competition_ranks` gives it."""
    return ranked_keys(rounded(values, decimals=decimals))


def competition_ranks(values: Mapping[str, float], *, decimals: int) -> dict[str, int]:
    """Rank highest first; a village's rank is 1 + the number of strictly higher values."""
    return dict(ranked(values, decimals=decimals))


def bottom_set(values: Mapping[str, float], *, n: int, decimals: int) -> set[str]:
    """Villages with fewer than `n` strictly lower values (so ties at the edge are all in)."""
    return bottom_keys(rounded(values, decimals=decimals), n=n)


def top_set(values: Mapping[str, float], *, n: int, decimals: int) -> set[str]:
    """Villages with fewer than `n` strictly higher values (ties at the edge are all in)."""
    return {code for code, rank in ranked(values, decimals=decimals) if rank <= n}
