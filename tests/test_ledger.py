"""The village ledger (工作台账): Chinese headers, one row per issue, outcomes in words."""

from __future__ import annotations

import io
import uuid
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import text

from geo.issue_filter import IssueFilter
from geo.ledger import COLUMNS, ledger_rows, ledger_workbook
from geo.loop import NewIssue, create_issue, transition
from tests.town import add_square_village


def test_ledger_of_a_closed_issue_and_its_rebound(session):
    conn = session.connection()
    add_square_village(conn)
    first = create_issue(
        conn,
        NewIssue(
            category="clutter",
            lon=117.195,
            lat=39.285,
            found_on=date(2024, 3, 5),
            description="<b>建材</b>堆放",
            responsible="张三",
        ),
        actor="inspector",
    )
    photo = uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO photo (id, issue_id, kind, sha256, path, mime, bytes)"
            " VALUES (:p, :i, 'after', :s, 'x.jpg', 'image/jpeg', 1)"
        ),
        {"p": photo, "i": first.id, "s": "b" * 64},
    )
    transition(
        conn,
        issue_id=first.id,
        action="submit",
        version=1,
        actor="v",
        photo_ids=[photo],
        on=date(2024, 3, 12),
        note="已清运",
    )
    transition(conn, issue_id=first.id, action="close", version=2, actor="i", on=date(2024, 4, 8))
    create_issue(
        conn,
        NewIssue(category="clutter", lon=117.195, lat=39.2851, found_on=date(2024, 5, 6)),
        actor="inspector",
        deadline=15,
    )

    rows = ledger_rows(conn, IssueFilter(villages=("W01",)), as_of=date(2024, 6, 1))
    assert [r["code"] for r in rows] == ["W01-202403-0001", "W01-202405-0001"]
    closed, rebound = rows
    assert (closed["status"], closed["outcome"], closed["closed_on"]) == (
        "已销号",
        "复核通过，销号",
        date(2024, 4, 8),
    )
    assert closed["lonlat"] == "117.195000, 39.285000"
    assert closed["photos"] == 1 and "已清运" in closed["history"]
    assert rebound["history"] == (
        f"2024-05-06 登记；2024-05-06 认定为反弹（距 {closed['code']} 11 m，该问题销号未满 90 天）"
    )
    # found 2024-05-06, a 15-day deadline rule: 2024-05-21; 11 days late on 2024-06-01
    assert (rebound["rebound"], rebound["rebound_of"], rebound["days_overdue"]) == (
        "是",
        closed["code"],
        11,
    )

    book = load_workbook(io.BytesIO(ledger_workbook(rows, title="西村 工作台账")))
    sheet = book["工作台账"]
    headers = [c.value for c in sheet[2]]
    assert headers[:6] == ["问题编号", "村", "网格", "位置", "经纬度", "类别"]
    assert len(headers) == len(COLUMNS)
    assert sheet["G3"].value == "<b>建材</b>堆放"  # stored as text, never interpreted
    assert sheet.max_row == 4
