"""Unscored months (M1a): missing_score = skip | lowest | error, worked by hand.

The town: twelve villages, V01…V12 scored 61…72 in March (V01 61, V02 62, …, V12 72);
April the same, except V03 not scored. No third-party evaluation (T2 = 0), no honors.

March (all modes): ascending 61…72; V01…V10 have fewer than 10 lower → bottom ten, −3.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from scoring.errors import MissingScoreError, RulesError
from scoring.export import month_to_dict, year_to_dict
from scoring.inputs import ScoringInput
from scoring.monthly import monthly_result
from scoring.report import render_text, year_sheets
from scoring.rules import Rules, parse_rules
from scoring.yearly import year_result
from tests.scoring.conftest import TownBuilder

MARCH = {f"V{i:02d}": 60 + i for i in range(1, 13)}
APRIL = {code: score for code, score in MARCH.items() if code != "V03"}


@pytest.fixture
def gap_town(town: TownBuilder) -> ScoringInput:
    """V03 missing in April."""
    return town({"2024-03": MARCH, "2024-04": APRIL})


def with_mode(rules: Rules, mode: str) -> Rules:
    """The rules with another missing_score."""
    return replace(rules, monthly=replace(rules.monthly, missing_score=mode))


def totals(result) -> dict[str, tuple[float, int]]:
    return {v.village: (round(v.total, 4), v.rank) for v in result.villages}


def test_skip_keeps_todays_totals_and_says_so(gap_town: ScoringInput, rules: Rules) -> None:
    assert rules.monthly.missing_score == "skip"  # the default of scoring/rules.toml
    # April, 11 scored: 61, 62, 64, …, 72. V11 (71) has 9 lower → in; V12 (72) has 10 → out.
    # Bottom ten: V01, V02, V04…V11. In March too (streak, −5): V01, V02, V04…V10; V11 −3.
    # V03: March 63, −3; April nothing. Y1 63 (one month); total 60.
    # Totals: V01 61 − 8 = 53, V02 54, V03 60, V04 56, V05 57, V06 58, V07 59, V08 60,
    # V09 61, V10 62, V11 71 − 3 = 68, V12 72.
    result = year_result(gap_town, rules, 2024)
    assert totals(result) == {
        "V12": (72, 1),
        "V11": (68, 2),
        "V10": (62, 3),
        "V09": (61, 4),
        "V03": (60, 5),
        "V08": (60, 5),
        "V07": (59, 7),
        "V06": (58, 8),
        "V05": (57, 9),
        "V04": (56, 10),
        "V02": (54, 11),
        "V01": (53, 12),
    }
    # V03 ties V08 at 5th: in the top five with six villages (ties included).
    assert result.village("V03").reward_yuan == 1500
    assert "4月未评分，不计入" in result.village("V03").items[0].reason
    april = month_to_dict(result.months[1], {v.code: v.name for v in gap_town.villages})
    assert april["ranking"][-1] == april["ranking"][-1] | {
        "village": "V03",
        "score": None,
        "rank": None,
        "reason": "未评分",
        "reason_en": "not scored",
        "scored": False,
    }
    assert april["not_scored"] == [
        {"village": "V03", "name": "V03村", "reason": "未评分", "ranked": False}
    ]
    warning = (
        "2024年4月未评分 not scored: V03 V03村；未计入当月排名、后十名和全年平均分"
        ' — left out of the ranking and the year base (missing_score = "skip")'
    )
    assert result.warnings == (warning,)
    assert year_to_dict(result)["warnings"] == [warning]
    assert month_to_dict(result.months[0], {})["warnings"] == []
    # The table and the workbook carry the warning line too.
    sheets = year_sheets(result)
    assert sheets["警告 warnings"][1] == [[warning]]
    text = render_text(sheets)
    assert warning in text and "未评分" in text


def test_lowest_ranks_it_at_the_months_lowest(gap_town: ScoringInput, rules: Rules) -> None:
    lowest = with_mode(rules, "lowest")
    # April: V03 takes the lowest score, 61 (V01's). Ascending 61, 61, 62, 64, …, 72:
    # V01, V03 0 lower; V02 2; V04 3; … V10 (70) 9 → in; V11 (71) has 10 → out.
    # Bottom ten: V01, V03, V02, V04…V10 — all in March's too: −5 each. V11: no penalty.
    april = monthly_result(gap_town, lowest, "2024-04")
    v03 = april.standing("V03")
    assert v03 is not None and (v03.score, v03.rank, v03.imputed) == (61, 11, True)
    assert (v03.streak, [i.points for i in v03.items]) == (True, [-5])
    assert set(april.bottom_ten) == {"V01", "V02", "V03", "V04", "V05"} | {
        "V06",
        "V07",
        "V08",
        "V09",
        "V10",
    }
    assert "V11" not in april.bottom_ten
    # Y1 V03 (63 + 61) / 2 = 62; −3 − 5 → 54. V11 71, no penalty. V01 53, V02 54, …
    # Ranking: V12 72, V11 71, V10 62, V09 61, V08 60, V07 59, V06 58, V05 57, V04 56,
    # V02 54 and V03 54 (tied 10th), V01 53. Bottom five: fewer than 5 lower: V01 0,
    # V02/V03 1, V04 3, V05 4 → V01…V05.
    result = year_result(gap_town, lowest, 2024)
    assert totals(result)["V03"] == (54, 10)
    assert totals(result)["V02"] == (54, 10)
    assert totals(result)["V11"] == (71, 2)
    assert {v.village for v in result.villages if v.pay_deduction} == {
        "V01",
        "V02",
        "V03",
        "V04",
        "V05",
    }
    assert {v.village for v in result.villages if v.reward_yuan} == {
        "V12",
        "V11",
        "V10",
        "V09",
        "V08",
    }
    assert "4月61.00（未评分，按最低分）" in result.village("V03").items[0].reason
    line = month_to_dict(april, {})["ranking"][-1]
    assert (line["village"], line["score"], line["scored"]) == ("V03", 61, False)
    assert line["reason"] == "未评分，按当月最低分计"
    assert result.warnings == (
        "2024年4月未评分 not scored: V03 V03村；按当月最低分61计入排名"
        ' — scored as the month\'s lowest score (missing_score = "lowest")',
    )


def test_error_refuses_naming_village_and_month(gap_town: ScoringInput, rules: Rules) -> None:
    strict = with_mode(rules, "error")
    with pytest.raises(MissingScoreError, match=r"2024-04: village V03 \(V03村\)"):
        year_result(gap_town, strict, 2024)
    with pytest.raises(MissingScoreError, match='missing_score = "error"'):
        monthly_result(gap_town, strict, "2024-04")
    # March had everyone scored: its own result is fine.
    assert len(monthly_result(gap_town, strict, "2024-03").ranking) == 12


def test_the_rules_file_key(rules: Rules) -> None:
    base = {
        "rules": {"year": 2024, "document": "x"},
        "monthly": {
            "rank_decimals": 4,
            "bottom_n": 10,
            "bottom_penalty": 3,
            "streak_penalty": 5,
            "streak_mode": "replace",
        },
        "honors": {"bonus": 5, "max_per_year": 1},
        "third_party": {
            "baseline_problems": 8,
            "points_per_problem": 0.1,
            "points_per_unrectified": 0.5,
        },
        "year_end": {
            "rank_decimals": 4,
            "top_n": 5,
            "reward_yuan": 1500,
            "bottom_n": 5,
            "total_decimals": 2,
        },
    }
    # Absent: "skip" (rules files written before the key keep today's totals).
    assert parse_rules(base, source="t").monthly.missing_score == "skip"
    base["monthly"]["missing_score"] = "lowest"
    assert parse_rules(base, source="t").monthly.missing_score == "lowest"
    base["monthly"]["missing_score"] = "zero"
    with pytest.raises(RulesError, match=r"\[monthly\] missing_score: expected one of skip"):
        parse_rules(base, source="t")
