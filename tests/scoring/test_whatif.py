"""What would it take (W1–W3): every expected number worked by hand from the notice's rules.

The town (default rules: bottom ten, −3 / −5 replace, top five and bottom five, ties in):

    village  March = April   third party (found, unrectified)
    V01      90              8, 0 → T1 0
    V02      88              8, 0 → 0
    V03      85              8, 0 → 0
    V04      85              8, 0 → 0
    V05      80              8, 0 → 0
    V06      78              8, 0 → 0
    V07      75              8, 0 → 0
    V08      75              8, 0 → 0
    V09      72              13, 0 → 0.1 × (8 − 13) = −0.5
    V10      70              8, 0 → 0
    V11      65              not evaluated → T2 = mean of the 11 T1s = (−0.5 + 0.5) / 11 = 0
    V12      60              3, 0 → 0.1 × (8 − 3) = +0.5

M3 each month, ascending: 60, 65, 70, 72, 75, 75, 78, 80, 85, 85, 88, 90. V03 and V04 (85)
have 8 villages strictly lower: in. V02 (88) has 10: out. Bottom ten = V03…V12, both months.
M4: March −3 each; April second month running → −5 instead: −8 for V03…V12, 0 for V01, V02.

Y2 totals: V01 90; V02 88; V03 77; V04 77; V05 72; V06 70; V07 67; V08 67;
V09 72 − 8 − 0.5 = 63.5; V10 62; V11 57; V12 60 − 8 + 0.5 = 52.5.
Y3: V03 and V04 share rank 3, V07 and V08 share rank 7. Top five: V01…V05. Bottom five
(fewer than 5 strictly lower): V12, V11, V10, V09, and V07 and V08 (4 lower each): six.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from scoring.errors import NoScoresError
from scoring.inputs import ScoringInput
from scoring.rules import Rules
from scoring.whatif import (
    WhatIfError,
    fewest_months_out,
    month_what_if,
    penalty_total,
    year_what_if,
)
from scoring.yearly import year_result
from tests.scoring.conftest import TownBuilder

SCORES = {
    "V01": 90,
    "V02": 88,
    "V03": 85,
    "V04": 85,
    "V05": 80,
    "V06": 78,
    "V07": 75,
    "V08": 75,
    "V09": 72,
    "V10": 70,
    "V11": 65,
    "V12": 60,
}
THIRD_PARTY = [
    (code, True, {"V09": 13, "V12": 3}.get(code, 8), 0) for code in SCORES if code != "V11"
]


@pytest.fixture
def town12(town: TownBuilder) -> ScoringInput:
    """The twelve villages of the module docstring."""
    return town({"2024-03": SCORES, "2024-04": SCORES}, third_party=THIRD_PARTY)


def test_the_town_is_as_worked_by_hand(town12: ScoringInput, rules: Rules) -> None:
    result = year_result(town12, rules, 2024)
    totals = {v.village: (round(v.total or 0, 4), v.rank) for v in result.villages}
    assert totals == {
        "V01": (90, 1),
        "V02": (88, 2),
        "V03": (77, 3),
        "V04": (77, 3),
        "V05": (72, 5),
        "V06": (70, 6),
        "V07": (67, 7),
        "V08": (67, 7),
        "V09": (63.5, 9),
        "V10": (62, 10),
        "V11": (57, 11),
        "V12": (52.5, 12),
    }
    bottom = {v.village for v in result.villages if v.pay_deduction}
    assert bottom == {"V07", "V08", "V09", "V10", "V11", "V12"}


def test_v06_needs_2_points_to_tie_the_fifth(town12: ScoringInput, rules: Rules) -> None:
    answer = year_what_if(town12, rules, 2024, "V06")
    top = answer.enter_top
    # Others' totals, highest first: 90, 88, 77, 77, 72 → the 5th highest is 72 (V05).
    # V06 70 + 2 = 72 ties V05 at rank 5: ties are in, so 2 points are enough.
    assert (top.reached, top.threshold, top.points, top.strictly_more) == (False, 72, 2, False)
    # T1: 2 / 0.1 = 20 problems fewer, but V06 found only 8 (cannot go below 0): not enough.
    assert (top.problems_fewer.possible, top.problems_fewer.found) == (False, 8)
    # M4: out of March's bottom ten saves 3 and turns April's −5 into −3: 5. Out of April
    # saves 5. Either alone is ≥ 2: one month; on equal savings the earliest is named.
    assert (top.months_out.count, top.months_out.months, top.months_out.points) == (
        1,
        ("2024-03",),
        5,
    )
    # V06 70: others ascending 52.5, 57, 62, 63.5, 67, … → 5th lowest 67 < 70: not in it.
    assert (answer.leave_bottom.reached, answer.leave_bottom.points) == (True, 0)
    assert "not in the bottom 5" in answer.leave_bottom.note


def test_v08_tied_at_the_bottom_five_edge(town12: ScoringInput, rules: Rules) -> None:
    answer = year_what_if(town12, rules, 2024, "V08")
    bottom = answer.leave_bottom
    # Others ascending: 52.5, 57, 62, 63.5, 67 (V07) → 5th lowest 67. V08 at 67 has only
    # four villages strictly lower: in. It must be above 67: any gain, i.e. 0.0001 at four
    # decimals; one problem fewer (0.1, 8 → 7) or one month out of the bottom ten does it.
    assert (bottom.reached, bottom.threshold, bottom.points, bottom.strictly_more) == (
        False,
        67,
        0.0001,
        True,
    )
    assert (bottom.problems_fewer.count, bottom.problems_fewer.points) == (1, 0.1)
    assert bottom.months_out.count == 1
    # Enter the top five: 72 − 67 = 5 points. 50 problems > 8 found: no. One month saves 5.
    top = answer.enter_top
    assert (top.points, top.problems_fewer.possible, top.months_out.count) == (5, False, 1)
    assert (answer.total, answer.rank, answer.ranked_villages) == (67, 7, 12)


def test_v12_cannot_get_there_by_problems_or_months(town12: ScoringInput, rules: Rules) -> None:
    answer = year_what_if(town12, rules, 2024, "V12")
    bottom = answer.leave_bottom
    # Others ascending: 57, 62, 63.5, 67, 67 → above 67: 67 − 52.5 + 0.0001 = 14.5001.
    assert bottom.points == 14.5001
    # Found 3: at most 3 fewer = 0.3 points. Both months out save only 3 + 5 = 8.
    assert not bottom.problems_fewer.possible and "at most 3 fewer" in bottom.problems_fewer.note
    assert not bottom.months_out.possible and "save at most 8 points" in bottom.months_out.note
    # Top: 72 − 52.5 = 19.5.
    assert answer.enter_top.points == 19.5


def test_v11_not_evaluated_has_no_third_party_lever(town12: ScoringInput, rules: Rules) -> None:
    answer = year_what_if(town12, rules, 2024, "V11")
    # Top: 72 − 57 = 15; both months out save 8 < 15. Bottom: others ascending 52.5, 62,
    # 63.5, 67, 67 → above 67: 10.0001; 8 < 10: not by months either.
    assert answer.enter_top.points == 15 and answer.leave_bottom.points == 10.0001
    assert not answer.enter_top.problems_fewer.possible
    assert "not evaluated" in answer.enter_top.problems_fewer.note
    assert not answer.leave_bottom.months_out.possible


def test_v05_already_in_the_top_five(town12: ScoringInput, rules: Rules) -> None:
    answer = year_what_if(town12, rules, 2024, "V05")
    # Others highest first: 90, 88, 77, 77, 70 → 72 ≥ 70. Lowest: … 67 → 72 > 67.
    assert (answer.enter_top.reached, answer.enter_top.points) == (True, 0)
    assert "already in the top 5" in answer.enter_top.note
    assert answer.enter_top.problems_fewer.count == 0 and answer.enter_top.months_out.count == 0
    assert (answer.leave_bottom.reached, answer.leave_bottom.points) == (True, 0)


def test_months_of_the_year_with_the_score_needed(town12: ScoringInput, rules: Rules) -> None:
    lines = {m.month: m for m in year_what_if(town12, rules, 2024, "V03").months}
    # V03 85 in March: the others ascending are 60, 65, 70, 72, 75, 75, 78, 80, 85 (V04),
    # 88, 90 → 10th lowest 88: above 88, i.e. 88.0001, would have kept it out.
    march = lines["2024-03"]
    assert (march.bottom_ten, march.penalty, march.needed_score, march.removable) == (
        True,
        3,
        88.0001,
        True,
    )
    assert lines["2024-04"].penalty == 5


def test_month_what_if(town12: ScoringInput, rules: Rules) -> None:
    v08 = month_what_if(town12, rules, "2024-03", "V08")
    # Others: 60, 65, 70, 72, 75 (V07), 78, 80, 85, 85, 88 → 10th lowest 88 → 88.0001;
    # V08 scored 75: 13.0001 short.
    assert (v08.bottom_ten, v08.threshold, v08.needed_score, v08.points) == (
        True,
        88,
        88.0001,
        13.0001,
    )
    v02 = month_what_if(town12, rules, "2024-03", "V02")
    # Others: 60 … 85, 85 → the 10th lowest is 85 (V04): V02 at 88 is out already.
    assert (v02.bottom_ten, v02.needed_score, v02.points) == (False, 85.0001, 0)


def test_month_ties_compared_at_four_decimals(town: TownBuilder, rules: Rules) -> None:
    # docs/rules.md's edge: V01…V10 scored 60…69, V11 70.00004, V12 70.
    march = {f"V{i:02d}": 59 + i for i in range(1, 11)} | {"V11": 70.00004, "V12": 70}
    data = town({"2024-03": march})
    v10 = month_what_if(data, rules, "2024-03", "V10")
    # V10 (69): others rounded 60…68, 70, 70 → 10th lowest 70 → 70.0001, 1.0001 short.
    assert (v10.bottom_ten, v10.needed_score, v10.points) == (True, 70.0001, 1.0001)
    v12 = month_what_if(data, rules, "2024-03", "V12")
    # V12 (70): others 60…69, 70.0000 → 10th lowest 69 → 69.0001: 70 is out.
    assert (v12.bottom_ten, v12.needed_score, v12.points) == (False, 69.0001, 0)


def test_few_villages_no_score_would_do(town: TownBuilder, rules: Rules) -> None:
    # Four villages scored: every one is in the bottom ten whatever it scores (M3).
    data = town({"2024-03": {"V01": 90, "V02": 70, "V03": 75, "V04": 60}}, villages=5)
    answer = month_what_if(data, rules, "2024-03", "V01")
    assert not answer.possible and answer.needed_score is None
    assert "every village is in the bottom ten" in answer.note
    year = year_what_if(data, rules, 2024, "V04")
    # Four ranked: all in the bottom five, nothing takes V04 out of it.
    assert not year.leave_bottom.possible and year.leave_bottom.points is None
    assert year.enter_top.reached
    # V05 was never scored: no total, no answer.
    with pytest.raises(WhatIfError, match="V05"):
        year_what_if(data, rules, 2024, "V05")
    with pytest.raises(WhatIfError, match="unknown village code 'X9'"):
        year_what_if(data, rules, 2024, "X9")
    with pytest.raises(NoScoresError):
        month_what_if(data, rules, "2024-05", "V01")


def test_streaks_are_recounted(rules: Rules) -> None:
    monthly = rules.monthly
    # Bottom ten in March, April, May (replace): 3 + 5 + 5 = 13.
    months = {"2024-03", "2024-04", "2024-05"}
    assert penalty_total(months, monthly) == 13
    # Out of April: March 3, May 3 (no longer a streak) = 6 → saves 7, the most one month can.
    assert fewest_months_out(months, months, 7, monthly) == (("2024-04",), 7)
    # Saving more than 7 takes two months: out of March and April leaves May at 3 → 10.
    assert fewest_months_out(months, months, 7, monthly, strictly_more=True) == (
        ("2024-03", "2024-04"),
        10,
    )
    # "add": 3 + (3 + 5) + (3 + 5) = 19.
    add = replace(monthly, streak_mode="add")
    assert penalty_total(months, add) == 19
    # A December in the bottom ten before makes January a streak month (5).
    assert penalty_total({"2024-01"}, monthly, before={"2023-12"}) == 5
