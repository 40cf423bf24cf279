"""Year-end results (Y1–Y3, T1–T2, M5), expected numbers worked out by hand from 四（四）."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.inputs import ScoringInput
from scoring.rules import Rules, load_rules
from scoring.yearly import year_result

TownBuilder = Callable[..., ScoringInput]

MARCH = {"V01": 95.0, "V02": 94.0} | {f"V{i:02d}": 67.0 + i for i in range(3, 13)}
APRIL = MARCH | {"V02": 69.0, "V12": 96.0}


def test_top_five_and_bottom_five_include_ties(town: TownBuilder, rules: Rules) -> None:
    # One month, 13 villages; V13 is never scored. March ascending:
    #   V12 65, V11 66, V10 67, V09 68, V07 = V08 = 69, V05 = V06 = 92, V04 93, V03 94,
    #   V02 95, V01 96. Strictly lower: V03 has 9 → bottom ten; V02 has 10 → not.
    # Bottom ten V03…V12 lose 3. Nobody evaluated → T2 = 0. No honors.
    # Totals: V01 96, V02 95, V03 91, V04 90, V05 89, V06 89, V07 66, V08 66, V09 65,
    #         V10 64, V11 63, V12 62.
    # Ranks: 1, 2, 3, 4, 5, 5, 7, 7, 9, 10, 11, 12.
    # Top 5: rank ≤ 5 → V01…V06 (six villages, tie at the edge) → 1500 each.
    # Bottom 5: fewer than 5 strictly lower → V12 (0), V11 (1), V10 (2), V09 (3),
    #           V07 and V08 (4 each) → six villages flagged.
    march = {"V01": 96, "V02": 95, "V03": 94, "V04": 93, "V05": 92, "V06": 92}
    march |= {"V07": 69, "V08": 69, "V09": 68, "V10": 67, "V11": 66, "V12": 65}
    result = year_result(town({"2024-03": march}, villages=13), rules, 2024)
    by_code = {v.village: v for v in result.villages}
    expected_totals = [96, 95, 91, 90, 89, 89, 66, 66, 65, 64, 63, 62]
    expected_ranks = [1, 2, 3, 4, 5, 5, 7, 7, 9, 10, 11, 12]
    for i, (total, rank) in enumerate(zip(expected_totals, expected_ranks, strict=True), 1):
        village = by_code[f"V{i:02d}"]
        assert village.total == pytest.approx(total)
        assert village.rank == rank
        assert village.reward_yuan == (1500 if i <= 6 else 0)
        assert village.pay_deduction == (i >= 7)
    assert [v.village for v in result.villages][:6] == ["V01", "V02", "V03", "V04", "V05", "V06"]


def test_village_never_scored_is_not_ranked(town: TownBuilder, rules: Rules) -> None:
    result = year_result(town({"2024-03": MARCH}, villages=13), rules, 2024)
    never = result.village("V13")
    assert (never.total, never.rank, never.base, never.months_scored) == (None, None, None, 0)
    assert (never.reward_yuan, never.pay_deduction, never.ranked) == (0, False, False)
    assert never.note == "2024年全年无月度观摩成绩，不参加年底考核排名"
    assert result.villages[-1].village == "V13"  # unranked villages come last
    assert result.months[0].not_scored == ("V13",)


def test_third_party_evaluated_and_not_evaluated(town: TownBuilder, rules: Rules) -> None:
    # T1 = 0.1 × (8 − f) − 0.5 × u
    #   V01 f=5,  u=1: 0.1 × 3  − 0.5 × 1 = 0.3 − 0.5 = −0.2
    #   V02 f=12, u=2: 0.1 × −4 − 0.5 × 2 = −0.4 − 1.0 = −1.4
    #   V05 f=8,  u=0: 0 (evaluated by the city though never scored in a month: still a 测评村)
    # T2 = mean over the evaluated = (−0.2 − 1.4 + 0) / 3 = −1.6 / 3 = −0.53333…
    #   for V03 (absent from the file) and V04 (evaluated = false).
    # March: V01 90, V02 85, V03 80, V04 75 — four villages, all in the bottom ten → −3 each.
    # Totals: V01 90 − 0.2 − 3 = 86.8; V02 85 − 1.4 − 3 = 80.6;
    #         V03 80 − 0.53333 − 3 = 76.46667; V04 75 − 0.53333 − 3 = 71.46667.
    data = town(
        {"2024-03": {"V01": 90, "V02": 85, "V03": 80, "V04": 75}},
        villages=5,
        third_party=[
            ("V01", True, 5, 1),
            ("V02", True, 12, 2),
            ("V04", False, 0, 0),
            ("V05", True, 8, 0),
        ],
    )
    result = year_result(data, rules, 2024)
    assert result.third_party_mean == pytest.approx(-1.6 / 3)
    expected = {
        "V01": ("T1", -0.2, 86.8),
        "V02": ("T1", -1.4, 80.6),
        "V03": ("T2", -1.6 / 3, 80 - 1.6 / 3 - 3),
        "V04": ("T2", -1.6 / 3, 75 - 1.6 / 3 - 3),
    }
    for code, (rule, points, total) in expected.items():
        village = result.village(code)
        item = next(i for i in village.items if i.rule in ("T1", "T2"))
        assert item.rule == rule
        assert item.points == pytest.approx(points)
        assert village.third_party == pytest.approx(points)
        assert village.total == pytest.approx(total)
    assert result.village("V01").items[1].reason == (
        "2024年市第三方测评发现问题5个（比基数8个少3个），不整改或整改不到位1个，计-0.2分"
    )
    assert round(result.village("V03").total or 0, 2) == 76.47
    assert result.village("V05").third_party == 0
    assert result.village("V05").total is None


def test_no_village_evaluated_gives_zero(town: TownBuilder, rules: Rules) -> None:
    result = year_result(town({"2024-03": {"V01": 90}}, villages=2), rules, 2024)
    assert result.third_party_mean is None
    assert result.village("V01").third_party == 0
    assert result.village("V01").items[1].rule == "T2"


def test_two_honors_in_one_year_count_once(town: TownBuilder, rules: Rules) -> None:
    # March: V01 90, V02 80, V03 70 — three villages, all bottom ten → −3.
    # V01: two honors in 2024 → +5 once: 90 + 5 − 3 = 92.
    # V02: honor dated 2023 → not this year: 80 − 3 = 77.
    # V03: one honor in 2024: 70 + 5 − 3 = 72.
    data = town(
        {"2024-03": {"V01": 90, "V02": 80, "V03": 70}},
        villages=3,
        honors=[
            ("V01", "2024-05-10", "model_village"),
            ("V01", "2024-09-01", "county_site_visit"),
            ("V02", "2023-12-20", "model_village"),
            ("V03", "2024-06-01", "county_site_visit"),
        ],
    )
    result = year_result(data, rules, 2024)
    v01 = result.village("V01")
    assert [i.points for i in v01.items if i.rule == "M5"] == [5, 0]
    assert v01.honors == 5
    assert v01.total == pytest.approx(92)
    assert result.village("V02").honors == 0
    assert result.village("V02").total == pytest.approx(77)
    assert result.village("V03").total == pytest.approx(72)
    assert [i.month for i in v01.items if i.rule == "M5"] == ["2024-05", "2024-09"]


def test_base_is_the_mean_of_months_scored(town: TownBuilder, rules: Rules) -> None:
    # V01 is not scored in April. Three villages → all in every month's bottom ten.
    # V01: base (80 + 90) / 2 = 85; March −3; May −3 (April has no V01, so no streak) → 79.
    # V02: base 70; March −3, April −5, May −5 → 70 − 13 = 57. V03 likewise: 60 − 13 = 47.
    data = town(
        {
            "2024-03": {"V01": 80, "V02": 70, "V03": 60},
            "2024-04": {"V02": 70, "V03": 60},
            "2024-05": {"V01": 90, "V02": 70, "V03": 60},
        },
        villages=3,
    )
    result = year_result(data, rules, 2024)
    v01 = result.village("V01")
    assert (v01.base, v01.months_scored, v01.penalties) == (85, 2, 6)
    assert v01.total == pytest.approx(79)
    assert result.village("V02").total == pytest.approx(57)
    assert result.village("V03").total == pytest.approx(47)
    assert [m.not_scored for m in result.months] == [(), ("V01",), ()]


def test_streak_mode_replace_and_add_in_the_year(
    town: TownBuilder, rules: Rules, add_rules: Rules
) -> None:
    # V03: 70 in March and April → base 70. replace: −3 − 5 → 62. add: −3 − 3 − 5 → 59.
    # V12: 79 then 96 → base 87.5, March −3 only → 84.5 in both modes.
    data = town({"2024-03": MARCH, "2024-04": APRIL})
    replaced = year_result(data, rules, 2024)
    added = year_result(data, add_rules, 2024)
    assert replaced.village("V03").total == pytest.approx(62)
    assert added.village("V03").total == pytest.approx(59)
    assert replaced.village("V12").total == pytest.approx(84.5)
    assert added.village("V12").total == pytest.approx(84.5)


def test_previous_december_counts_only_for_the_streak(town: TownBuilder, rules: Rules) -> None:
    # December 2023 and January 2024 both bottom ten for V03 (70 both). In 2024 only January
    # counts: base 70, January −5 (streak) → 65. December's −3 belongs to 2023.
    result = year_result(town({"2023-12": MARCH, "2024-01": APRIL}), rules, 2024)
    v03 = result.village("V03")
    assert [m.month for m in result.months] == ["2024-01"]
    assert [(i.rule, i.month, i.points) for i in v03.items if i.rule == "M4"] == [
        ("M4", "2024-01", -5)
    ]
    assert v03.total == pytest.approx(65)


month_scores = st.dictionaries(
    st.sampled_from([f"V{i:02d}" for i in range(1, 16)]),
    st.integers(min_value=0, max_value=10_000).map(lambda k: k / 100),
)


# `town` is a pure builder, safe to share between examples.
@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(st.sampled_from(["2024-02", "2024-03", "2024-04", "2024-06"]), month_scores),
    st.sampled_from(["replace", "add"]),
)
def test_total_is_the_sum_of_line_items(
    town: TownBuilder, scores: dict[str, dict[str, float]], mode: str
) -> None:
    base_rules = load_rules()
    rules = replace(base_rules, monthly=replace(base_rules.monthly, streak_mode=mode))
    result = year_result(town(scores, villages=15), rules, 2024)
    for village in result.villages:
        if village.total is None:
            assert village.months_scored == 0
            continue
        assert sum(i.points for i in village.items) == pytest.approx(village.total)
        assert village.total == pytest.approx(
            (village.base or 0) + village.third_party + village.honors - village.penalties
        )
