"""The columns of the interviews and the per-unit indicators, as the exports write them.

One list of (key, header) per table, so the CSV, the XLSX download and the year workbook
carry the same columns with the same Chinese-first headers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

INTERVIEW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("month", "月份 month"),
    ("village", "村代码 village"),
    ("village_name", "村名 name"),
    ("community_name", "共同体 community"),
    ("rank", "名次 rank"),
    ("level", "情形 level"),
    ("interviewer", "约谈人 interviewer"),
    ("interviewees", "被约谈人 interviewees"),
    ("status", "状态 status"),
    ("deadline", "应约谈截止 deadline"),
    ("held_on", "约谈日期 held_on"),
    ("held_by", "主持人 held_by"),
    ("on_time", "按时 on_time"),
    ("note", "约谈内容 note"),
    ("scan_url", "扫描件 scan"),
    ("recorded_by", "录入人 recorded_by"),
)
STATUS_ZH = {"due": "待约谈", "late": "逾期未约谈", "held": "已约谈"}
LEVEL_ZH = {"bottom": "当月后十名", "streak": "连续两月后十名"}

INDICATOR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("issues", "问题数 issues"),
    ("closed", "已销号 closed"),
    ("rectification_rate", "整改率 rectification_rate"),
    ("closed_on_time", "按期销号 closed_on_time"),
    ("on_time_rate", "按期整改率 on_time_rate"),
    ("overdue", "逾期 overdue"),
    ("rebounds", "反弹 rebounds"),
    ("unrectified", "未整改 unrectified"),
    ("inadequate", "整改不到位 inadequate"),
    ("per_100_households", "每百户问题数 per_100_households"),
    ("per_km2", "每平方公里问题数 per_km2"),
    ("mean_days_to_close", "平均整改天数 mean_days_to_close"),
)
UNIT_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "village": (
        ("code", "村代码 village"),
        ("name", "村名 name"),
        ("parent_name", "共同体 community"),
        ("households", "户数 households"),
    ),
    "grid": (
        ("code", "网格编码 grid"),
        ("name", "网格 name"),
        ("parent", "村代码 village"),
        ("parent_name", "村名 village_name"),
        ("households", "户数 households"),
    ),
    "community": (
        ("code", "共同体编码 community"),
        ("name", "共同体 name"),
        ("households", "户数 households"),
    ),
}
UNIT_LABELS = {"village": "村", "grid": "网格", "community": "党建共同体"}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, int | str):
        return value
    return str(value)


def interview_rows(items: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Rows of `INTERVIEW_COLUMNS` from the API's interview dicts (statuses in Chinese)."""
    out = []
    for item in items:
        values = dict(item)
        values["status"] = STATUS_ZH.get(values["status"], values["status"])
        values["level"] = LEVEL_ZH.get(values["level"], values["level"])
        out.append([_cell(values.get(key)) for key, _ in INTERVIEW_COLUMNS])
    return out


def indicator_columns(unit: str) -> tuple[tuple[str, str], ...]:
    """The columns of one unit's indicator table: who, then the indicators."""
    return UNIT_COLUMNS[unit] + INDICATOR_COLUMNS


def indicator_rows(unit: str, rows: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Rows of `indicator_columns(unit)` from `service.scoring_data.unit_indicator_rows`."""
    columns = indicator_columns(unit)
    return [[_cell(row.get(key)) for key, _ in columns] for row in rows]


def csv_bytes(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with a BOM (so spreadsheet programs read the Chinese headers)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([header for _, header in columns])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
