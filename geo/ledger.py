"""The village work ledger (村级工作台账): one row per issue, Chinese headers, as XLSX.

Clause 三(一) asks every village to keep a ledger of its tasks and report it to the town
office; this is that ledger, generated from the issues and their closed-loop history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection

from geo import issue_reader
from geo.events import Step, ledger_history, recheck_outcome
from geo.issue_filter import IssueFilter
from geo.models import OPEN_STATUSES
from geo.vocab import SOURCE_LABELS, status_label
from geo.xlsx import titled_table

SOURCE_ZH = {source: zh for source, (zh, _) in SOURCE_LABELS.items()}

COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("code", "问题编号", 18),
    ("village", "村", 10),
    ("grid", "网格", 10),
    ("address", "位置", 18),
    ("lonlat", "经纬度", 22),
    ("category", "类别", 22),
    ("description", "描述", 36),
    ("source", "来源", 12),
    ("found_on", "发现日期", 12),
    ("deadline", "整改时限", 12),
    ("responsible", "责任人", 10),
    ("status", "整改情况", 12),
    ("outcome", "复核结论", 14),
    ("closed_on", "销号日期", 12),
    ("rebound", "是否反弹", 10),
    ("rebound_of", "反弹自", 18),
    ("days_overdue", "逾期天数", 10),
    ("photos", "照片数", 8),
    ("history", "整改过程", 48),
)
"""(key, Chinese header, column width)."""


def ledger_rows(conn: Connection, selection: IssueFilter, *, as_of: date) -> list[dict[str, Any]]:
    """The ledger's rows for the selected issues, values already in Chinese."""
    rows = issue_reader.ledger_records(conn, selection)
    steps: dict[Any, list[Step]] = {}
    for r in issue_reader.event_steps(conn, [row["id"] for row in rows]):
        steps.setdefault(r.issue_id, []).append(Step(r.on, r.kind, r.note))
    out: list[dict[str, Any]] = []
    for r in rows:
        open_now = r["status"] in OPEN_STATUSES
        late = (as_of - r["deadline"]).days if open_now and r["deadline"] else 0
        out.append(
            {
                **r,
                "source": SOURCE_ZH.get(r["source"], r["source"]),
                "status": status_label(r["status"], "zh"),
                "outcome": recheck_outcome(steps.get(r["id"], ())),
                "history": ledger_history(steps.get(r["id"], ())),
                "rebound": "是" if r["rebound_of"] else "否",
                "rebound_of": r["rebound_of"] or "",
                "days_overdue": max(late, 0),
            }
        )
    return out


def ledger_workbook(rows: list[dict[str, Any]], *, title: str) -> bytes:
    """An XLSX workbook of the ledger: a title line, bold frozen headers, a filter."""
    return titled_table(
        sheet="工作台账",
        title=title,
        columns=COLUMNS,
        rows=([row.get(key) for key, _, _ in COLUMNS] for row in rows),
        wrap=("description", "history"),
    )
