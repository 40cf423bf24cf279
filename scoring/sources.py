"""Read and write the scoring input as a folder of CSV files or one .xlsx workbook.

Tables (one CSV file or sheet each; first row names the columns, extra columns ignored):

- `villages`: code, name[, community]
- `observation_scores`: month (YYYY-MM), village, [group,] score (0–100; blank = no score)
- `third_party`: village, evaluated, problems_found[, problems_unrectified];
  a village absent from it was not evaluated
- `honors`: village, date (YYYY-MM-DD)[, kind]

`villages` and `observation_scores` are required; a missing `third_party` or `honors`
means no evaluation and no honor. A bad value raises `SourceError` naming the file, the
row (as a spreadsheet shows it: the header is row 1) and the field.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from scoring.errors import SourceError
from scoring.inputs import (
    Honor,
    ObservationScore,
    ScoreColumns,
    ScoringInput,
    ThirdPartyEvaluation,
    Village,
    is_month,
)
from scoring.tables import (
    Cell,
    Table,
    read_csv_table,
    read_workbook_tables,
    write_csv_table,
    write_workbook_tables,
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "villages": ("code", "name", "community"),
    "observation_scores": ("month", "village", "group", "score"),
    "third_party": ("village", "evaluated", "problems_found", "problems_unrectified"),
    "honors": ("village", "date", "kind"),
}
"""The columns of each table, in the order they are written."""

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "villages": ("code", "name"),
    "observation_scores": ("month", "village", "score"),
    "third_party": ("village", "evaluated", "problems_found"),
    "honors": ("village", "date"),
}
REQUIRED_TABLES = ("villages", "observation_scores")

_TRUE = {"true", "t", "yes", "y", "1", "是", "已测评"}
_FALSE = {"false", "f", "no", "n", "0", "否", "未测评"}


class _Row:
    """One row of a table: typed reads whose errors name the file, row and field."""

    def __init__(self, table: Table, number: int, cells: dict[str, Cell]) -> None:
        self.table = table
        self.number = number
        self.cells = cells

    def error(self, field: str, problem: str) -> SourceError:
        """An error at this row and field."""
        return SourceError(self.table.source, problem, row=self.number, field=field)

    def raw(self, field: str) -> Cell:
        """The cell as read, None when blank."""
        value = self.cells.get(field)
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def text(self, field: str) -> str:
        """Text ('' when blank); whole numbers from a workbook lose their '.0'."""
        value = self.raw(field)
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def code(self, field: str) -> str:
        """A non-empty village code."""
        value = self.text(field)
        if not value:
            raise self.error(field, "expected a village code, got an empty cell")
        return value

    def known_code(self, field: str, codes: set[str]) -> str:
        """A village code listed in villages."""
        value = self.code(field)
        if value not in codes:
            raise self.error(field, f"unknown village code {value!r} (not in villages)")
        return value

    def month(self, field: str) -> str:
        """A month `YYYY-MM` (a date cell from a workbook gives its month)."""
        value = self.raw(field)
        if isinstance(value, date | datetime):
            return f"{value.year:04d}-{value.month:02d}"
        text = "" if value is None else str(value)
        if not is_month(text):
            raise self.error(field, f"expected a month written YYYY-MM, got {text!r}")
        return text

    def day(self, field: str) -> date:
        """A date `YYYY-MM-DD`."""
        value = self.raw(field)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = "" if value is None else str(value)
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise self.error(field, f"expected a date written YYYY-MM-DD, got {text!r}") from None

    def numeric(self, field: str) -> float | None:
        """A finite number, None when blank."""
        value = self.raw(field)
        if value is None:
            return None
        if isinstance(value, bool | date | datetime):
            raise self.error(field, f"expected a number, got {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise self.error(field, f"expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise self.error(field, f"expected a finite number, got {value!r}")
        return number

    def score(self, field: str) -> float | None:
        """An observation score from 0 to 100, None when blank."""
        value = self.numeric(field)
        if value is not None and not 0 <= value <= 100:
            raise self.error(field, f"expected a score from 0 to 100, got {self.text(field)}")
        return value

    def count(self, field: str, *, default: int | None = None) -> int:
        """A whole number >= 0; `default` when blank (required when there is none)."""
        value = self.numeric(field)
        if value is None:
            if default is None:
                raise self.error(field, "expected a count >= 0, got an empty cell")
            return default
        if not value.is_integer():
            raise self.error(field, f"expected a whole number, got {self.text(field)}")
        if value < 0:
            raise self.error(field, f"expected a count >= 0, got {self.text(field)}")
        return int(value)

    def flag(self, field: str) -> bool:
        """true/false (also 1/0, yes/no, 是/否)."""
        value = self.raw(field)
        if isinstance(value, bool):
            return value
        text = self.text(field).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise self.error(field, f"expected true or false, got {self.text(field)!r}")


def _rows(table: Table, name: str) -> list[_Row]:
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in table.columns]
    if missing:
        raise SourceError(
            table.source,
            f"missing column {missing[0]!r}; expected {', '.join(COLUMNS[name])}",
            row=1,
            field=missing[0],
        )
    return [_Row(table, number, cells) for number, cells in table.rows]


def parse_villages(table: Table) -> tuple[Village, ...]:
    """Rows of `villages` → villages; codes must be unique."""
    villages: list[Village] = []
    seen: dict[str, int] = {}
    for row in _rows(table, "villages"):
        code = row.code("code")
        if code in seen:
            raise row.error("code", f"duplicate village code {code!r} (also row {seen[code]})")
        seen[code] = row.number
        villages.append(Village(code=code, name=row.text("name"), community=row.text("community")))
    return tuple(villages)


def parse_observation_scores(table: Table, codes: set[str]) -> tuple[ObservationScore, ...]:
    """Rows of `observation_scores` → scores; a blank score is no score."""
    scores: list[ObservationScore] = []
    for row in _rows(table, "observation_scores"):
        month = row.month("month")
        village = row.known_code("village", codes)
        group = row.text("group")
        score = row.score("score")
        if score is not None:
            scores.append(ObservationScore(month=month, village=village, group=group, score=score))
    return tuple(scores)


def parse_third_party(table: Table, codes: set[str]) -> tuple[ThirdPartyEvaluation, ...]:
    """Rows of `third_party` → evaluations, at most one per village."""
    evaluations: list[ThirdPartyEvaluation] = []
    seen: dict[str, int] = {}
    for row in _rows(table, "third_party"):
        village = row.known_code("village", codes)
        if village in seen:
            raise row.error("village", f"second row for {village!r} (also row {seen[village]})")
        seen[village] = row.number
        evaluated = row.flag("evaluated")
        found = row.count("problems_found", default=None if evaluated else 0)
        unrectified = row.count("problems_unrectified", default=0)
        evaluations.append(
            ThirdPartyEvaluation(
                village=village,
                evaluated=evaluated,
                problems_found=found,
                problems_unrectified=unrectified,
            )
        )
    return tuple(evaluations)


def parse_honors(table: Table, codes: set[str]) -> tuple[Honor, ...]:
    """Rows of `honors` → honors."""
    return tuple(
        Honor(village=row.known_code("village", codes), date=row.day("date"), kind=row.text("kind"))
        for row in _rows(table, "honors")
    )


def parse_tables(
    tables: dict[str, Table],
    *,
    origin: str,
    villages: tuple[Village, ...] | None = None,
    scores: tuple[ObservationScore, ...] | ScoreColumns | None = None,
) -> ScoringInput:
    """Turn the tables read from a folder or workbook into the scoring input (`villages`
    and `scores` when they were parsed already)."""
    for name in REQUIRED_TABLES:
        if name not in tables and not (name == "observation_scores" and scores is not None):
            raise SourceError(origin, f"has no {name} table ({name}.csv or sheet {name})")
    if villages is None:
        villages = parse_villages(tables["villages"])
    codes = {v.code for v in villages}
    third_party = tables.get("third_party")
    honors = tables.get("honors")
    if scores is None:
        scores = parse_observation_scores(tables["observation_scores"], codes)
    return ScoringInput(
        villages=villages,
        observation_scores=scores,
        third_party=parse_third_party(third_party, codes) if third_party else (),
        honors=parse_honors(honors, codes) if honors else (),
        origin=origin,
    )


class _Irregular(Exception):
    """The fast reader met something it leaves to the row-wise reader (which names it)."""


def _fast_observation_scores(path: Path, codes: set[str]) -> ScoreColumns:
    """`observation_scores.csv` read column-wise: the scores `parse_observation_scores`
    gives for a regular UTF-8 file (as `ScoreColumns`, equal to its tuple), in a fraction
    of the time (no per-cell or per-score objects, each distinct cell text checked once).

    Raises `_Irregular` at the first row the row-wise reader would refuse or read
    differently (a bad value, a short row, a repeated column, another encoding): that
    reader then reads the folder again and gives the exact result or message.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return _scores_of_rows(csv.reader(handle), codes)
    except (UnicodeDecodeError, csv.Error, OSError):
        raise _Irregular from None


def _scores_of_rows(rows: Iterator[list[str]], codes: set[str]) -> ScoreColumns:
    header = next(rows, None)
    if header is None:
        raise _Irregular
    columns = [c.strip().lstrip("\ufeff") for c in header]
    named = [c for c in columns if c]
    if len(named) != len(set(named)):
        raise _Irregular
    try:
        at_month, at_village, at_score = (columns.index(c) for c in ("month", "village", "score"))
    except ValueError:
        raise _Irregular from None
    at_group = columns.index("group") if "group" in columns else None
    width = max(at_month, at_village, at_score, -1 if at_group is None else at_group) + 1
    # Cell text as read → clean value, each distinct text stripped and checked once.
    months: dict[str, str] = {}
    villages: dict[str, str] = {}
    groups: dict[str, str] = {}
    values: dict[str, float] = {}  # scores are written with a decimal or two: few texts

    def checked(cells: list[str]) -> tuple[str, str, float] | None:
        """A row the quick path did not take: its values, None to skip it (a blank row or
        a blank score), `_Irregular` when the row-wise reader would say more."""
        if len(cells) < width:
            if all(not c.strip() for c in cells):
                return None  # a blank row, skipped as the row-wise reader skips it
            raise _Irregular
        month = months.get(cells[at_month])
        if month is None:
            if all(not c.strip() for c in cells):
                return None
            if not is_month(month := cells[at_month].strip()):
                raise _Irregular
            months[cells[at_month]] = month
        village = villages.get(cells[at_village])
        if village is None:
            if (village := cells[at_village].strip()) not in codes:
                raise _Irregular
            villages[cells[at_village]] = village
        score = values.get(cells[at_score])
        if score is None:
            try:
                score = float(cells[at_score])  # float() ignores surrounding white space
            except ValueError:
                if not cells[at_score].strip():
                    return None  # a blank score is no score
                raise _Irregular from None
            if not 0.0 <= score <= 100.0:  # also refuses nan and ±inf
                raise _Irregular
            values[cells[at_score]] = score
        return month, village, score

    month_column: list[str] = []
    village_column: list[str] = []
    group_column: list[str] = []
    score_column: list[float] = []
    for cells in rows:
        try:
            month = months[cells[at_month]]
            village = villages[cells[at_village]]
            score = values[cells[at_score]]
        except (IndexError, KeyError):
            found = checked(cells)
            if found is None:
                continue
            month, village, score = found
        group = ""
        if at_group is not None:
            try:
                group = groups[cells[at_group]]
            except KeyError:
                group = groups[cells[at_group]] = cells[at_group].strip()
        month_column.append(month)
        village_column.append(village)
        group_column.append(group)
        score_column.append(score)
    return ScoreColumns(month_column, village_column, group_column, score_column)


def read_folder(folder: Path) -> ScoringInput:
    """Read `villages.csv`, `observation_scores.csv`, `third_party.csv`, `honors.csv`.

    The large table, `observation_scores`, goes through a column-wise reader; any row it
    does not take as regular is read again by the row-wise reader, so results and error
    messages are those of `read_folder_rowwise`.
    """
    names = [name for name in COLUMNS if (folder / f"{name}.csv").is_file()]
    if "observation_scores" not in names or "villages" not in names:
        return read_folder_rowwise(folder)
    try:
        tables = {
            name: read_csv_table(folder / f"{name}.csv")
            for name in names
            if name != "observation_scores"
        }
        villages = parse_villages(tables["villages"])
        scores = _fast_observation_scores(
            folder / "observation_scores.csv", {v.code for v in villages}
        )
    except (_Irregular, SourceError):
        return read_folder_rowwise(folder)
    return parse_tables(tables, origin=str(folder), villages=villages, scores=scores)


def read_folder_rowwise(folder: Path) -> ScoringInput:
    """`read_folder` by the row-wise reader alone (every cell through `_Row`)."""
    tables = {
        name: read_csv_table(folder / f"{name}.csv")
        for name in COLUMNS
        if (folder / f"{name}.csv").is_file()
    }
    return parse_tables(tables, origin=str(folder))


def read_workbook(path: Path) -> ScoringInput:
    """Read the sheets `villages`, `observation_scores`, `third_party`, `honors`."""
    return parse_tables(read_workbook_tables(path, tuple(COLUMNS)), origin=str(path))


def read_source(source: str | Path) -> ScoringInput:
    """Read a folder of CSV files or an .xlsx workbook."""
    path = Path(source)
    if path.is_dir():
        return read_folder(path)
    if path.suffix.lower() == ".xlsx" and path.is_file():
        return read_workbook(path)
    if not path.exists():
        raise SourceError(str(path), "no such folder or file")
    raise SourceError(str(path), "expected a folder of CSV files or an .xlsx workbook")


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _table_rows(data: ScoringInput, *, as_text: bool) -> dict[str, list[list[Any]]]:
    number: Callable[[float], Any] = _number_text if as_text else (lambda v: v)
    flag: Callable[[bool], Any] = (lambda b: "true" if b else "false") if as_text else bool
    day: Callable[[date], Any] = date.isoformat if as_text else (lambda d: d)
    return {
        "villages": [[v.code, v.name, v.community] for v in data.villages],
        "observation_scores": [
            [s.month, s.village, s.group, number(s.score)] for s in data.observation_scores
        ],
        "third_party": [
            [e.village, flag(e.evaluated), e.problems_found, e.problems_unrectified]
            for e in data.third_party
        ],
        "honors": [[h.village, day(h.date), h.kind] for h in data.honors],
    }


def write_folder(data: ScoringInput, folder: Path) -> list[Path]:
    """Write the four CSV files into `folder` (created if needed); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in _table_rows(data, as_text=True).items():
        path = folder / f"{name}.csv"
        write_csv_table(path, COLUMNS[name], rows)
        written.append(path)
    return written


def write_workbook(data: ScoringInput, path: Path) -> Path:
    """Write the four tables as sheets of one .xlsx workbook."""
    rows = _table_rows(data, as_text=False)
    write_workbook_tables(path, {name: (COLUMNS[name], rows[name]) for name in COLUMNS})
    return path


def write_source(data: ScoringInput, target: Path) -> list[Path]:
    """Write to an .xlsx workbook when `target` ends in .xlsx, else to a folder of CSVs."""
    if target.suffix.lower() == ".xlsx":
        return [write_workbook(data, target)]
    return write_folder(data, target)
