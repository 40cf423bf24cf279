"""What a line item says: the one-line Chinese reasons and who interviews whom."""

from __future__ import annotations

from collections.abc import Sequence

from scoring.inputs import HONOR_LABELS, month_label


def points_text(points: float) -> str:
    """`3.0` → `3`, `0.30000000000000004` → `0.3`, `-0.25` → `-0.25`."""
    text = f"{round(points, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def two_months_label(previous: str, month: str) -> str:
    """`2024-03`, `2024-04` → `2024年3月、4月`; across a year end both years are named."""
    if previous[:4] == month[:4]:
        return f"{month_label(previous)}、{int(month[5:7])}月"
    return f"{month_label(previous)}、{month_label(month)}"


def bottom_interview() -> str:
    """M4, one month in the bottom ten."""
    return "分管领导约谈提醒村支部书记"


def streak_interview(community: str) -> str:
    """M4, two consecutive months in the bottom ten."""
    deputy = f"所属共同体（{community}）副书记" if community else "相关共同体副书记"
    return f"镇主要领导约谈村支部书记及{deputy}"


def bottom_reason(month: str, rank: int, points: float, *, interview: str | None) -> str:
    """M4 reason for one month in the bottom ten."""
    who = f"{interview}，" if interview else ""
    return f"{month_label(month)}排名后十名（第{rank}名），{who}扣{points_text(points)}分"


def streak_reason(previous: str, month: str, rank: int, points: float, *, interview: str) -> str:
    """M4 reason for the second of two consecutive months in the bottom ten."""
    return (
        f"{two_months_label(previous, month)}连续两个月排名后十名（本月第{rank}名），"
        f"{interview}，扣{points_text(points)}分"
    )


_MONTH_ONLY = {f"{n:02d}": f"{n}月" for n in range(1, 13)}
"""`MM` of a month `YYYY-MM` → `4月` (a year-end reason names each month; 120,000 for a region)."""

NOT_SCORED = "未评分"
NOT_SCORED_EN = "not scored"
IMPUTED = "未评分，按当月最低分计"
IMPUTED_EN = "not scored; ranked at the month's lowest score"


def base_reason(
    year: int,
    monthly: Sequence[tuple[str, float]],
    base: float,
    *,
    imputed: Sequence[str] = (),
    skipped: Sequence[str] = (),
) -> str:
    """Y1 reason: the months and scores averaged, and the months not scored (未评分)."""
    listed = "、".join(
        [
            f"{_MONTH_ONLY[m[5:7]]}{score:.2f}" + ("（未评分，按最低分）" if m in imputed else "")
            for m, score in monthly
        ]
        if imputed
        else [f"{_MONTH_ONLY[m[5:7]]}{score:.2f}" for m, score in monthly]
    )
    text = f"{year}年月度观摩平均分：{len(monthly)}个月（{listed}），平均{base:.4f}分"
    if skipped:
        months = "、".join(f"{int(m[5:7])}月" for m in skipped)
        text += f"；{months}未评分，不计入"
    return text


def missing_warning(month: str, villages: Sequence[str], *, mode: str, lowest: float) -> str:
    """The warning line of a month with villages not scored (未评分)."""
    listed = "、".join(villages)
    if mode == "lowest":
        treated = f"按当月最低分{points_text(lowest)}计入排名 — scored as the month's lowest score"
    else:
        treated = "未计入当月排名、后十名和全年平均分 — left out of the ranking and the year base"
    return f'{month_label(month)}未评分 not scored: {listed}；{treated} (missing_score = "{mode}")'


def third_party_reason(
    year: int,
    *,
    found: int,
    unrectified: int,
    baseline: float,
    points: float,
    found_issues: Sequence[str] = (),
    unrectified_issues: Sequence[str] = (),
    per_problem: float = 0.1,
    per_unrectified: float = 0.5,
) -> str:
    """T1 reason for an evaluated village; from points, the issues behind each 0.1 and 0.5.

    With more problems than the baseline, the problems beyond it (in code order) each cost
    0.1; with fewer, no issue is behind the bonus. Each unrectified problem costs 0.5."""
    difference = baseline - found
    if difference > 0:
        compared = f"比基数{points_text(baseline)}个少{points_text(difference)}个"
    elif difference < 0:
        compared = f"比基数{points_text(baseline)}个多{points_text(-difference)}个"
    else:
        compared = f"与基数{points_text(baseline)}个持平"
    text = (
        f"{year}年市第三方测评发现问题{found}个（{compared}），"
        f"不整改或整改不到位{unrectified}个，计{points_text(points)}分"
    )
    if not found_issues:
        return text
    parts = [f"问题：{'、'.join(found_issues)}"]
    beyond = list(found_issues)[int(baseline) :] if difference < 0 else []
    if beyond:
        parts.append(f"超出基数各扣{points_text(per_problem)}分：{'、'.join(beyond)}")
    if unrectified_issues:
        parts.append(
            f"不整改或整改不到位各扣{points_text(per_unrectified)}分：{'、'.join(unrectified_issues)}"
        )
    return f"{text}（{'；'.join(parts)}）"


def not_evaluated_reason(year: int, *, evaluated_count: int, points: float) -> str:
    """T2 reason for a village the city did not evaluate."""
    if evaluated_count == 0:
        return f"{year}年未参加市第三方测评，且无测评村，计0分"
    return (
        f"{year}年未参加市第三方测评，按{evaluated_count}个测评村平均分计入，"
        f"计{points_text(points)}分"
    )


def honor_reason(day: str, kind: str, points: float) -> str:
    """M5 reason for a counted honor."""
    return f"{day}{HONOR_LABELS.get(kind, kind or '荣誉')}，年底考核加{points_text(points)}分"


def honor_capped_reason(day: str, kind: str, cap: int) -> str:
    """M5 reason for an honor beyond the yearly cap."""
    return f"{day}{HONOR_LABELS.get(kind, kind or '荣誉')}，本年度已加分{cap}次，不再加分"


def never_scored_note(year: int) -> str:
    """Y3 note for a village with no monthly score all year."""
    return f"{year}年全年无月度观摩成绩，不参加年底考核排名"
