"""Results as sheets of rows with Chinese headers first: printed as text or saved as .xlsx."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scoring import wording
from scoring.export import number
from scoring.results import MonthlyResult, YearResult
from scoring.whatif import MonthWhatIf, YearWhatIf

Sheet = tuple[list[str], list[list[Any]]]
"""Headers and rows of one sheet."""

MONTH_HEADERS = [
    "月份 month",
    "排名 rank",
    "村代码 village",
    "村名 name",
    "得分 score",
    "打分组数 groups",
    "后十名 bottom_ten",
    "连续两月 streak",
    "约谈 interview",
    "扣分 points",
    "说明 note",
]
WARNING_HEADERS = ["警告 warning"]


def _yes(flag: bool) -> str:
    return "是" if flag else ""


def month_rows(result: MonthlyResult, names: dict[str, str] | None = None) -> list[list[Any]]:
    """One row per ranked village of a month, then one per village left out (未评分)."""
    names = names or {}
    ranked = [
        [
            result.month,
            s.rank,
            s.village,
            s.name,
            round(s.score, 4),
            s.group_count,
            _yes(s.bottom_ten),
            _yes(s.streak),
            s.interview or "",
            number(sum(i.points for i in s.items)) if s.items else "",
            wording.IMPUTED if s.imputed else "",
        ]
        for s in result.ranking
    ]
    left_out = [
        [result.month, "", c, names.get(c, c), "", 0, "", "", "", "", wording.NOT_SCORED]
        for c in result.skipped
    ]
    return ranked + left_out


def warning_sheet(warnings: Sequence[str]) -> dict[str, Sheet]:
    """A sheet of warning lines, only when there is one."""
    return {"警告 warnings": (WARNING_HEADERS, [[w] for w in warnings])} if warnings else {}


def not_scored_rows(results: Sequence[MonthlyResult], names: dict[str, str]) -> list[list[Any]]:
    """One row per village not scored in a month."""
    return [[r.month, code, names.get(code, code)] for r in results for code in r.not_scored]


def month_sheets(result: MonthlyResult, names: dict[str, str]) -> dict[str, Sheet]:
    """A month's ranking, its villages not scored, and its warning lines."""
    return {
        "月度排名": (MONTH_HEADERS, month_rows(result, names)),
        "未打分村": (
            ["月份 month", "村代码 village", "村名 name"],
            not_scored_rows([result], names),
        ),
    } | warning_sheet(result.warnings)


def year_sheets(result: YearResult) -> dict[str, Sheet]:
    """Year-end ranking, line items, monthly rankings and villages not scored."""
    decimals = result.rules.year_end.total_decimals
    ranking = [
        [
            v.rank if v.rank is not None else "不排名",
            v.village,
            v.name,
            v.months_scored,
            "" if v.base is None else round(v.base, 4),
            round(v.third_party, 4),
            number(v.honors),
            number(-v.penalties),
            "" if v.total is None else round(v.total, decimals),
            v.reward_yuan or "",
            _yes(v.pay_deduction),
            v.note or "",
        ]
        for v in result.villages
    ]
    items = [
        [v.village, v.name, i.rule, i.month or "", number(i.points), i.reason]
        for v in result.villages
        for i in v.items
    ]
    names = {v.village: v.name for v in result.villages}
    return {
        "年度排名": (
            [
                "排名 rank",
                "村代码 village",
                "村名 name",
                "打分月数 months",
                "基础分 base",
                "第三方测评 third_party",
                "荣誉加分 honors",
                "约谈扣分 penalties",
                "总分 total",
                "奖励(元) reward_yuan",
                "扣发绩效 pay_deduction",
                "说明 note",
            ],
            ranking,
        ),
        "得分明细": (
            [
                "村代码 village",
                "村名 name",
                "规则 rule",
                "月份 month",
                "分值 points",
                "理由 reason",
            ],
            items,
        ),
        "月度排名": (MONTH_HEADERS, [row for m in result.months for row in month_rows(m, names)]),
        "未打分村": (
            ["月份 month", "村代码 village", "村名 name"],
            not_scored_rows(result.months, names),
        ),
    } | warning_sheet(result.warnings)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int, *, right: bool) -> str:
    space = " " * (width - _width(text))
    return space + text if right else text + space


def render_text(sheets: dict[str, Sheet]) -> str:
    """Each sheet as an aligned text table under its title."""
    blocks = []
    for title, (headers, rows) in sheets.items():
        cells = [[str(c) for c in headers]] + [
            ["" if c is None else str(c) for c in r] for r in rows
        ]
        widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
        numeric = [
            all(isinstance(r[i], int | float) or r[i] == "" for r in rows) and bool(rows)
            for i in range(len(headers))
        ]
        lines = [f"== {title} =="]
        for index, row in enumerate(cells):
            padded = [_pad(c, w, right=n) for c, w, n in zip(row, widths, numeric, strict=True)]
            lines.append("  ".join(padded).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        if not rows:
            lines.append("（无）")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def write_xlsx(sheets: dict[str, Sheet], path: Path) -> Path:
    """Save one worksheet per sheet, header row frozen."""
    from openpyxl import Workbook

    book = Workbook()
    for index, (title, (headers, rows)) in enumerate(sheets.items()):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A2"
    book.save(path)
    return path


def _optional_number(value: float | None) -> Any:
    return "" if value is None else number(value)


def year_what_if_sheets(answer: YearWhatIf) -> dict[str, Sheet]:
    """W1–W2 as two sheets: the two goals, and the village's months."""
    goals = [
        [
            f"进入前{g.n}名 enter the top {g.n}"
            if g.goal == "enter_top"
            else f"退出后{g.n}名 leave the bottom {g.n}",
            _yes(g.reached),
            _optional_number(g.threshold),
            _optional_number(g.points),
            "" if g.problems_fewer.count is None else g.problems_fewer.count,
            "" if g.months_out.count is None else g.months_out.count,
            "、".join(g.months_out.months),
            f"{g.note}；{g.problems_fewer.note}；{g.months_out.note}",
        ]
        for g in (answer.enter_top, answer.leave_bottom)
    ]
    months = [
        [
            m.month,
            _optional_number(m.score),
            "" if m.rank is None else m.rank,
            _yes(m.bottom_ten),
            number(m.penalty) if m.penalty else "",
            _optional_number(m.needed_score),
            m.note,
        ]
        for m in answer.months
    ]
    title = (
        f"{answer.year} {answer.village} {answer.name}"
        f" 总分 total {number(answer.total, 2)} 第{answer.rank}名/{answer.ranked_villages}"
    )
    return {
        title: (
            [
                "目标 goal",
                "已达到 reached",
                "界线 threshold",
                "差分 points",
                "第三方少发现问题 problems fewer",
                "不进后十名月数 months out",
                "哪几个月 which months",
                "说明 note",
            ],
            goals,
        ),
        "月份 months": (
            [
                "月份 month",
                "得分 score",
                "排名 rank",
                "后十名 bottom_ten",
                "扣分 penalty",
                "不进后十名所需得分 score needed",
                "说明 note",
            ],
            months,
        ),
    } | warning_sheet(answer.warnings)


def month_what_if_sheets(answer: MonthWhatIf) -> dict[str, Sheet]:
    """W3 as one sheet of one row."""
    return {
        f"{answer.month} {answer.village} {answer.name}": (
            [
                "得分 score",
                "排名 rank",
                "后十名 bottom_ten",
                "打分村数 villages",
                "界线 threshold",
                "所需得分 score needed",
                "差分 points",
                "说明 note",
            ],
            [
                [
                    _optional_number(answer.score),
                    "" if answer.rank is None else answer.rank,
                    _yes(answer.bottom_ten),
                    answer.scored_villages,
                    _optional_number(answer.threshold),
                    _optional_number(answer.needed_score),
                    _optional_number(answer.points),
                    answer.note,
                ]
            ],
        )
    } | warning_sheet(answer.warnings)
