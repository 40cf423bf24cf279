"""Spreadsheets uploaded by the town office (CSV or XLSX) → scoring's validated records."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import Connection, text

from geo.errors import InvalidInput
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
