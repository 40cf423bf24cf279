"""Workbooks for offices: a title line, bold frozen Chinese headers, a filter, wrapped text."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

Column = tuple[str, str, int]
"""(key, Chinese header, column width)."""


def titled_table(
    *,
    sheet: str,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    freeze: str = "B3",
    wrap: Iterable[str] = (),
    header_fill: str = "DDEBF7",
) -> bytes:
    """One sheet: `title` in A1, headers in row 2, then `rows` (values in column order)."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([header for _, header, _ in columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=header_fill)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    count = 0
    for row in rows:
        ws.append(list(row))
        count += 1
    for index, (_, _, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = freeze
    ws.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{count + 2}"
    wrapped = {i for i, (key, _, _) in enumerate(columns, start=1) if key in set(wrap)}
    for cells in ws.iter_rows(min_row=3):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column in wrapped)
    out = BytesIO()
    book.save(out)
    return out.getvalue()
