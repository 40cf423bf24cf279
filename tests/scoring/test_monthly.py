"""Monthly results (M1–M4), expected numbers worked out by hand from 四（四）."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.errors import NoScoresError
from scoring.inputs import ScoringInput
from scoring.monthly import monthly_result, monthly_results
from scoring.results import LineItem, MonthlyResult, MonthlyStanding
from scoring.rules import Rules

TownBuilder = Callable[..., ScoringInput]

# Twelve villages. March: V01 95, V02 94, V03…V12 = 70…79.
MARCH = {"V01": 95.0, "V02": 94.0} | {f"V{i:02d}": 67.0 + i for i in range(3, 13)}
# April: V02 falls to 69, V12 climbs to 96, V03…V11 stay at 70…78.
APRIL = MARCH | {"V02": 69.0, "V12": 96.0}


def _points(items: tuple[LineItem, ...]) -> list[float]:
    return [item.points for item in items]


def _standing(result: MonthlyResult, village: str) -> MonthlyStanding:
    standing = result.standing(village)
    assert standing is not None, f"{village} not ranked in {result.month}"
    return standing


def test_monthly_score_is_the_mean_over_groups(town: TownBuilder, rules: Rules) -> None:
    # V01: (80 + 81 + 85.5) / 3 = 246.5 / 3 = 82.1666…; V02: one group, 90.
    data = town({"2024-03": {"V01": [80, 81, 85.5], "V02": [90]}}, villages=2)
    result = monthly_result(data, rules, "2024-03")
    v01 = _standing(result, "V01")
    assert v01.score == pytest.approx(246.5 / 3)
    assert v01.group_count == 3
    assert [s.village for s in result.ranking] == ["V02", "V01"]


def test_bottom_ten_includes_ties_at_the_edge(town: TownBuilder, rules: Rules) -> None:
    # 14 villages. Ascending: V14 78, V13 79, V12 80, V11 81, V10 82, V09 83, V08 84, V07 85,
    # then V04 = V05 = V06 = 90, V03 98, V02 99, V01 100.
    # Strictly lower: V07 has 7; each 90 has 8 (< 10) → in; V03 has 11 → out.
    # So the bottom ten has 11 villages: V04…V14. Ranks: 1, 2, 3, then 4, 4, 4, then 7…14.
    scores = {"V01": 100, "V02": 99, "V03": 98, "V04": 90, "V05": 90, "V06": 90}
    scores |= {f"V{i:02d}": 92.0 - i for i in range(7, 15)}  # V07 85 … V14 78
    result = monthly_result(town({"2024-03": scores}, villages=14), rules, "2024-03")
    assert set(result.bottom_ten) == {f"V{i:02d}" for i in range(4, 15)}
    ranks = {s.village: s.rank for s in result.ranking}
    assert [ranks[f"V{i:02d}"] for i in range(1, 15)] == [
        1,
        2,
        3,
        4,
        4,
        4,
        7,
        8,
        9,
        10,
        11,
        12,
        13,
        14,
    ]
    # Every one of the 11 is interviewed and loses 3.
    for village in result.bottom_ten:
        standing = _standing(result, village)
        assert _points(standing.items) == [-3]
        assert standing.interview == "分管领导约谈提醒村支部书记"


def test_first_month_in_bottom_ten_costs_three(town: TownBuilder, rules: Rules) -> None:
    # March ascending: V03 70 … V12 79 (V12 has 9 strictly lower → in), V02 94 has 10 → out.
    # March ranks: V01 1, V02 2, V12 3, V11 4, …, V03 12.
    result = monthly_result(town({"2024-03": MARCH}), rules, "2024-03")
    assert set(result.bottom_ten) == {f"V{i:02d}" for i in range(3, 13)}
    v03 = _standing(result, "V03")
    assert v03.rank == 12
    assert _points(v03.items) == [-3]
    assert v03.items[0].rule == "M4"
    assert v03.items[0].month == "2024-03"
    assert v03.items[0].reason == "2024年3月排名后十名（第12名），分管领导约谈提醒村支部书记，扣3分"
    v02 = _standing(result, "V02")
    assert (v02.bottom_ten, v02.interview, v02.items) == (False, None, ())


def test_two_month_streak_costs_three_then_five(town: TownBuilder, rules: Rules) -> None:
    # April ascending: V02 69, V03 70 … V11 78 (V11 has 9 lower → in), V01 95, V12 96 → out.
    # April ranks: V12 1, V01 2, V11 3, V10 4, …, V03 11, V02 12.
    # V03…V11 were in March's bottom ten too → 连续两个月 → −5 (replace mode).
    # V02 was not (rank 2 in March) → −3. V12 left the bottom ten → nothing.
    march, april = monthly_results(town({"2024-03": MARCH, "2024-04": APRIL}), rules)
    assert set(april.bottom_ten) == {"V02"} | {f"V{i:02d}" for i in range(3, 12)}
    v03 = _standing(april, "V03")
    assert v03.streak
    assert _points(v03.items) == [-5]
    assert v03.interview == "镇主要领导约谈村支部书记及所属共同体（西片）副书记"
    assert v03.items[0].reason == (
        "2024年3月、4月连续两个月排名后十名（本月第11名），"
        "镇主要领导约谈村支部书记及所属共同体（西片）副书记，扣5分"
    )
    v02 = _standing(april, "V02")
    assert (v02.streak, _points(v02.items)) == (False, [-3])
    assert _standing(april, "V12").items == ()
    # Over both months V03 loses 3 + 5 = 8.
    assert sum(i.points for m in (march, april) for i in _standing(m, "V03").items) == -8


def test_add_mode_costs_three_and_five_more(town: TownBuilder, add_rules: Rules) -> None:
    # streak_mode = "add": April costs V03 −3 (bottom ten) and −5 (streak) = −8; with March −11.
    _, april = monthly_results(town({"2024-03": MARCH, "2024-04": APRIL}), add_rules)
    v03 = _standing(april, "V03")
    assert _points(v03.items) == [-3, -5]
    assert [i.rule for i in v03.items] == ["M4", "M4"]
    assert v03.interview is not None and v03.interview.startswith("镇主要领导")


def test_month_without_ranking_breaks_the_streak(town: TownBuilder, rules: Rules) -> None:
    # No score at all in April → no April ranking. May repeats April's scores: V03 is in the
    # bottom ten of March and May, but not of two *consecutive* months → −3 only.
    march, may = monthly_results(town({"2024-03": MARCH, "2024-05": APRIL}), rules)
    assert march.month == "2024-03" and may.month == "2024-05"
    v03 = _standing(may, "V03")
    assert (v03.streak, _points(v03.items)) == (False, [-3])
    assert v03.interview == "分管领导约谈提醒村支部书记"


def test_village_not_scored_last_month_has_no_streak(town: TownBuilder, rules: Rules) -> None:
    # V02 is not scored in March, so it is not in March's bottom ten. March then ranks 11
    # villages: V03 70 … V12 79 have at most 9 lower → in; V01 95 has 10 lower → out.
    # In April V02 is last (69): bottom ten, but no streak → −3.
    march_scores = {k: v for k, v in MARCH.items() if k != "V02"}
    march, april = monthly_results(town({"2024-03": march_scores, "2024-04": APRIL}), rules)
    assert march.not_scored == ("V02",)
    assert set(march.bottom_ten) == {f"V{i:02d}" for i in range(3, 13)}
    v02 = _standing(april, "V02")
    assert (v02.rank, v02.streak, _points(v02.items)) == (12, False, [-3])
    assert april.not_scored == ()


def test_streak_runs_across_the_year_end(town: TownBuilder, rules: Rules) -> None:
    # December 2023 and January 2024 are consecutive calendar months.
    january = monthly_result(town({"2023-12": MARCH, "2024-01": APRIL}), rules, "2024-01")
    v03 = _standing(january, "V03")
    assert _points(v03.items) == [-5]
    assert v03.items[0].reason.startswith("2023年12月、2024年1月连续两个月排名后十名")


def test_month_without_scores_is_refused(town: TownBuilder, rules: Rules) -> None:
    with pytest.raises(NoScoresError, match="2024-04"):
        monthly_result(town({"2024-03": MARCH}), rules, "2024-04")


hundredths = st.integers(min_value=0, max_value=10_000).map(lambda k: k / 100)
one_month = st.dictionaries(st.sampled_from([f"V{i:02d}" for i in range(1, 31)]), hundredths)


# `town` and `rules` are pure values, safe to share between examples.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(one_month.filter(bool), hundredths)
def test_monthly_invariants(
    town: TownBuilder, rules: Rules, scores: dict[str, float], shift: float
) -> None:
    result = monthly_result(town({"2024-03": scores}, villages=30), rules, "2024-03")
    shifted = monthly_result(
        town({"2024-03": {c: s + shift for c, s in scores.items()}}, villages=30), rules, "2024-03"
    )
    ranks = [s.rank for s in result.ranking]  # listed best first
    assert ranks[0] == 1
    assert all(r in (ranks[i - 1], i + 1) for i, r in enumerate(ranks) if i)
    assert len(result.bottom_ten) >= min(10, len(scores))
    assert [(s.village, s.rank, s.bottom_ten) for s in shifted.ranking] == [
        (s.village, s.rank, s.bottom_ten) for s in result.ranking
    ]
    assert len(result.not_scored) == 30 - len(scores)


def test_means_do_not_depend_on_the_order_scores_arrive_in() -> None:
    # 84.6 + 84.7 + 84.5 summed in different orders differs in the last bit of a float;
    # the database and a CSV file list groups in different orders, so the mean must not care.
    from itertools import permutations

    from scoring.inputs import ObservationScore
    from scoring.monthly import monthly_scores

    values = (84.6, 84.7, 84.5, 88.05, 81.15)
    means = {
        monthly_scores(ObservationScore("2024-03", "V01", f"g{i}", v) for i, v in enumerate(order))[
            "2024-03"
        ]["V01"]
        for order in permutations(values)
    }
    assert len(means) == 1
