"""How a file becomes rows: CSV files and .xlsx sheets read to, and written from, plain rows."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scoring.errors import SourceError

Cell = str | int | float | bool | date | datetime | None
"""A cell as read: always `str` from CSV; typed (or None when blank) from a workbook."""

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
"""Tried in order: UTF-8 (with or without BOM), then the GBK family Excel writes in China."""


@dataclass(frozen=True)
class Table:
    """The rows of one CSV file or sheet; each row keeps its 1-based row number (header = 1)."""

    source: str
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, Cell]], ...]


def _is_blank(cells: Sequence[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _table(source: str, lines: Sequence[tuple[int, Sequence[Cell]]]) -> Table:
    if not lines:
        raise SourceError(source, "is empty; expected a header row", row=1)
    _, header = lines[0]
    columns = tuple(str(c).strip().lstrip("\ufeff") if c is not None else "" for c in header)
    rows = tuple(
        (number, {column: cell for column, cell in zip(columns, cells, strict=False) if column})
        for number, cells in lines[1:]
        if not _is_blank(cells)
    )
    return Table(source=source, columns=columns, rows=rows)


def read_csv_table(path: Path) -> Table:
    """Read a CSV file whose first row names the columns."""
    source = str(path)
    for encoding in CSV_ENCODINGS:
        try:
            with path.open(encoding=encoding, newline="") as handle:
                reader = csv.reader(handle)
                lines: list[tuple[int, Sequence[Cell]]] = []
                for cells in reader:
                    lines.append((reader.line_num, cells))
            return _table(source, lines)
        except UnicodeDecodeError:
            continue
        except csv.Error as exc:
            raise SourceError(source, f"is not a valid CSV file ({exc})") from None
        except OSError as exc:
            raise SourceError(source, f"cannot be read ({exc.strerror or exc})") from None
    raise SourceError(source, "is neither UTF-8 nor GBK text")


def sheet_name(table: str, names: Sequence[str]) -> str | None:
    """The sheet holding `table`: named `observation_scores` or `observation_scores.csv`."""
    for name in names:
        if name.strip().lower() in (table, f"{table}.csv"):
            return name
    return None


def read_workbook_tables(path: Path, tables: Sequence[str]) -> dict[str, Table]:
    """Read the sheets of an .xlsx workbook that hold `tables` (missing sheets left out)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise SourceError(str(path), f"is not a readable .xlsx workbook ({exc})") from None
    try:
        found: dict[str, Table] = {}
        for table in tables:
            name = sheet_name(table, book.sheetnames)
            if name is None:
                continue
            lines = [
                (number, list(cells))
                for number, cells in enumerate(book[name].iter_rows(values_only=True), start=1)
            ]
            found[table] = _table(f"{path}, sheet {name}", lines)
        return found
    finally:
        book.close()


def write_csv_table(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write a CSV file (UTF-8) with a header row."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)


def write_workbook_tables(
    path: Path, tables: Mapping[str, tuple[Sequence[str], Sequence[Sequence[Any]]]]
) -> None:
    """Write one sheet per table, each with a header row."""
    from openpyxl import Workbook

    book = Workbook()
    first = True
    for name, (columns, rows) in tables.items():
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = name
        sheet.append(list(columns))
        for row in rows:
            sheet.append(list(row))
    book.save(path)
