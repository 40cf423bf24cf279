"""Results as sheets of rows with Chinese headers first: printed as text or saved as .xlsx."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scoring.export import number
from scoring.results import MonthlyResult, YearResult

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
]


def _yes(flag: bool) -> str:
    return "是" if flag else ""


def month_rows(result: MonthlyResult) -> list[list[Any]]:
    """One row per ranked village of a month."""
    return [
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
        ]
        for s in result.ranking
    ]


def not_scored_rows(results: Sequence[MonthlyResult], names: dict[str, str]) -> list[list[Any]]:
    """One row per village not scored in a month."""
    return [[r.month, code, names.get(code, code)] for r in results for code in r.not_scored]


def month_sheets(result: MonthlyResult, names: dict[str, str]) -> dict[str, Sheet]:
    """A month's ranking and its villages not scored."""
    return {
        "月度排名": (MONTH_HEADERS, month_rows(result)),
        "未打分村": (
            ["月份 month", "村代码 village", "村名 name"],
            not_scored_rows([result], names),
        ),
    }


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
        "月度排名": (MONTH_HEADERS, [row for m in result.months for row in month_rows(m)]),
        "未打分村": (
            ["月份 month", "村代码 village", "村名 name"],
            not_scored_rows(result.months, names),
        ),
    }


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
