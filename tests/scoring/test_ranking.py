"""M2/M3/Y3 ranking: shared ranks for ties, edges with ties included; invariants by hypothesis."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scoring.ranking import bottom_keys, bottom_set, competition_ranks, ranked, rounded, top_set


def test_ties_share_a_rank_and_skip_the_next() -> None:
    # 90 is highest → 1; the two 85s share 2; the next is 4 (three villages are above 80).
    ranks = competition_ranks({"A": 90, "B": 85, "C": 85, "D": 80}, decimals=4)
    assert ranks == {"A": 1, "B": 2, "C": 2, "D": 4}


def test_scores_are_compared_rounded_to_four_decimals() -> None:
    # 80.00001 and 80.00004 both round to 80.0000 → tie; 80.00006 rounds to 80.0001 → above.
    ranks = competition_ranks({"A": 80.00001, "B": 80.00004, "C": 80.00006}, decimals=4)
    assert ranks == {"C": 1, "A": 2, "B": 2}


def test_bottom_edge_includes_ties() -> None:
    # Scores 1…8 and three villages at 9: each 9 has 8 strictly lower (< 10) → all in → 11.
    values = {f"L{i}": float(i) for i in range(1, 9)} | {"T1": 9.0, "T2": 9.0, "T3": 9.0}
    values["TOP"] = 50.0  # 11 strictly lower → out
    assert bottom_set(values, n=10, decimals=4) == set(values) - {"TOP"}


def test_top_edge_includes_ties() -> None:
    # 99, 98, 97, 96 are ranks 1–4; both 95s have 4 strictly higher (< 5) → both in.
    values = {"A": 99, "B": 98, "C": 97, "D": 96, "E": 95, "F": 95, "G": 90}
    assert top_set(values, n=5, decimals=4) == {"A", "B", "C", "D", "E", "F"}


def test_small_town_is_all_bottom() -> None:
    assert bottom_set({"A": 90, "B": 80}, n=10, decimals=4) == {"A", "B"}


# Scores in hundredths, as the scoring groups write them; exact at 4 decimals.
hundredths = st.integers(min_value=0, max_value=10_000).map(lambda k: k / 100)
score_maps = st.dictionaries(
    st.text(alphabet="ABCDEFGHJK", min_size=1, max_size=3), hundredths, min_size=1, max_size=60
)


@given(score_maps)
def test_ranks_are_a_permutation_up_to_ties(values: dict[str, float]) -> None:
    ranks = sorted(competition_ranks(values, decimals=4).values())
    assert ranks[0] == 1
    for position in range(1, len(ranks)):
        # Either tied with the one before, or its rank is its 1-based position.
        assert ranks[position] in (ranks[position - 1], position + 1)


@given(score_maps)
def test_rank_counts_strictly_higher(values: dict[str, float]) -> None:
    ranks = competition_ranks(values, decimals=4)
    for code, value in values.items():
        assert ranks[code] == 1 + sum(1 for other in values.values() if other > value)


@given(score_maps, st.integers(min_value=-5_000, max_value=5_000).map(lambda k: k / 100))
def test_shifting_every_score_changes_no_rank(values: dict[str, float], shift: float) -> None:
    shifted = {code: value + shift for code, value in values.items()}
    assert competition_ranks(shifted, decimals=4) == competition_ranks(values, decimals=4)
    assert bottom_set(shifted, n=10, decimals=4) == bottom_set(values, n=10, decimals=4)


@given(score_maps)
def test_bottom_ten_holds_at_least_min_ten_n(values: dict[str, float]) -> None:
    bottom = bottom_set(values, n=10, decimals=4)
    assert len(bottom) >= min(10, len(values))
    # Downward closed: whoever scored lower than a member is a member.
    for member in bottom:
        assert all(code in bottom for code, v in values.items() if v < values[member])


@given(score_maps, st.integers(min_value=0, max_value=12))
def test_top_set_is_rank_at_most_n(values: dict[str, float], n: int) -> None:
    ranks = competition_ranks(values, decimals=4)
    assert top_set(values, n=n, decimals=4) == {c for c, r in ranks.items() if r <= n}


def _ranks_by_counting(values: dict[str, float], decimals: int) -> dict[str, int]:
    """The rule as the notice states it, without a sort: 1 + the number strictly higher."""
    keys = {code: round(value, decimals) for code, value in values.items()}
    return {
        code: 1 + sum(1 for other in keys.values() if other > key) for code, key in keys.items()
    }


def _bottom_by_counting(values: dict[str, float], n: int, decimals: int) -> set[str]:
    keys = {code: round(value, decimals) for code, value in values.items()}
    return {code for code, key in keys.items() if sum(1 for o in keys.values() if o < key) < n}


# Any finite scores (not only hundredths): ties decided by rounding, negative zero, crowds.
any_scores = st.dictionaries(
    st.text(alphabet="ABCDEFGHJK", min_size=1, max_size=3),
    st.one_of(
        st.floats(min_value=0, max_value=100, allow_nan=False),
        st.sampled_from([0.0, -0.0, 80.00004, 80.00005, 80.00006, 79.99995, 100.0]),
    ),
    max_size=60,
)


@given(any_scores, st.integers(min_value=0, max_value=6), st.integers(min_value=-2, max_value=70))
def test_one_sort_ranks_as_counting_does(values: dict[str, float], decimals: int, n: int) -> None:
    order = ranked(values, decimals=decimals)
    assert dict(order) == _ranks_by_counting(values, decimals)
    # best first, ties in code order
    keys = rounded(values, decimals=decimals)
    assert [code for code, _ in order] == sorted(values, key=lambda c: (-keys[c], c))
    assert bottom_set(values, n=n, decimals=decimals) == _bottom_by_counting(values, n, decimals)
    assert bottom_keys(keys, n=n) == _bottom_by_counting(values, n, decimals)
    assert top_set(values, n=n, decimals=decimals) == {
        c for c, r in _ranks_by_counting(values, decimals).items() if r <= n
    }
