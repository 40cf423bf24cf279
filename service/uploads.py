"""Spreadsheets uploaded by the town office (CSV or XLSX) → scoring's validated records."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from geo.errors import InvalidInput
from scoring.errors import SourceError
from scoring.inputs import Honor, ObservationScore, ThirdPartyEvaluation
from scoring.sources import parse_honors, parse_observation_scores, parse_third_party
from scoring.tables import Table, read_csv_table, read_workbook_tables

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _table(data: bytes, filename: str, sheet: str) -> Table:
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput(f"expected a .csv or .xlsx file, got {filename!r}", field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("the file is larger than 5 MB", field="file")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (sheet + suffix)
        path.write_bytes(data)
        if suffix == ".csv":
            return read_csv_table(path)
        tables = read_workbook_tables(path, [sheet])
        if sheet not in tables:
            raise InvalidInput(f"the workbook has no sheet named {sheet!r}", field="file")
        return tables[sheet]


def _codes(conn: Connection) -> set[str]:
    return set(conn.execute(text("SELECT code FROM village")).scalars())


def read_score_upload(conn: Connection, data: bytes, filename: str) -> tuple[ObservationScore, ...]:
    """Rows month, village, group, score from an uploaded sheet (`observation_scores`)."""
    return parse_observation_scores(_table(data, filename, "observation_scores"), _codes(conn))


def read_third_party_upload(
    conn: Connection, data: bytes, filename: str
) -> tuple[ThirdPartyEvaluation, ...]:
    """Rows village, evaluated, problems_found, problems_unrectified (`third_party`)."""
    return parse_third_party(_table(data, filename, "third_party"), _codes(conn))


def read_honor_upload(conn: Connection, data: bytes, filename: str) -> tuple[Honor, ...]:
    """Rows village, date, kind (`honors`)."""
    return parse_honors(_table(data, filename, "honors"), _codes(conn))


@dataclass(frozen=True)
class CellProblem:
    """A bad cell of an uploaded sheet: spreadsheet row (header = 1), column, what is wrong."""

    row: int
    field: str | None
    message: str


@dataclass(frozen=True)
class ScorePreview:
    """What an uploaded score sheet would save, and every bad cell in it."""

    rows: tuple[tuple[int, ObservationScore], ...]
    problems: tuple[CellProblem, ...]
    raw: tuple[tuple[int, dict[str, str]], ...]

    def bad(self, row: int, field: str) -> str | None:
        """The problem of one cell, if any."""
        return next((p.message for p in self.problems if p.row == row and p.field == field), None)


def preview_score_upload(conn: Connection, data: bytes, filename: str) -> ScorePreview:
    """Check every row of an uploaded score sheet without saving anything; unlike the
    all-or-nothing upload, every bad cell is named, not only the first."""
    table = _table(data, filename, "observation_scores")
    codes = _codes(conn)
    try:
        parse_observation_scores(Table(table.source, table.columns, ()), codes)
    except SourceError as exc:  # a missing column: nothing else can be checked
        return ScorePreview((), (CellProblem(exc.row or 1, exc.field, exc.problem),), ())
    rows: list[tuple[int, ObservationScore]] = []
    problems: list[CellProblem] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, cells in table.rows:
        single = Table(table.source, table.columns, ((number, cells),))
        try:
            parsed = parse_observation_scores(single, codes)
        except SourceError as exc:
            problems.append(CellProblem(number, exc.field, exc.problem))
            continue
        for score in parsed:
            key = (score.month, score.village, score.group)
            if key in seen:
                problems.append(
                    CellProblem(number, "village", f"second score of {key} (also row {seen[key]})")
                )
                continue
            seen[key] = number
            rows.append((number, score))
    raw = tuple(
        (number, {c: "" if v is None else str(v) for c, v in cells.items()})
        for number, cells in table.rows
    )
    return ScorePreview(tuple(rows), tuple(problems), raw)
