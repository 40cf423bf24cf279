"""Uploaded files: read within limits, unpack zips safely, and the town office's score sheets.

Every function here is synchronous and meant for the threadpool (routes are plain `def`):
the upload is already spooled to a temporary file by Starlette, and is copied or read in
1 MiB chunks up to its limit, so a large or hostile file never sits whole in memory.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NoReturn

from fastapi import UploadFile
from sqlalchemy import Connection, text

from geo.errors import InvalidInput, TooLarge, mib
from geo.towns import in_session_town
from scoring.errors import SourceError
from scoring.inputs import Honor, ObservationScore, ThirdPartyEvaluation
from scoring.sources import parse_honors, parse_observation_scores, parse_third_party
from scoring.tables import Table, read_csv_table, read_workbook_tables
from service.settings import ServiceSettings

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    """The limits of ServiceSettings that apply to one uploaded file."""

    max_mib: float
    size_setting: str
    max_rows: int
    max_unzipped_mib: float
    max_member_mib: float
    max_members: int

    @classmethod
    def from_settings(cls, settings: ServiceSettings, *, sheet: bool = False) -> UploadLimits:
        """Limits of an import (`sheet=False`) or of a score / honor sheet."""
        return cls(
            max_mib=settings.max_sheet_mib if sheet else settings.max_upload_mib,
            size_setting="CUNRONG_MAX_SHEET_MIB" if sheet else "CUNRONG_MAX_UPLOAD_MIB",
            max_rows=settings.max_upload_rows,
            max_unzipped_mib=settings.max_unzipped_mib,
            max_member_mib=settings.max_zip_member_mib,
            max_members=settings.max_zip_members,
        )


def _too_big(size: int, max_mib: float, setting: str) -> TooLarge:
    return TooLarge(
        f"the file is larger than {max_mib:g} MiB (at least {mib(size)})",
        limit=setting,
        field="file",
    )


def _copy_limited(
    source: BinaryIO, out: BinaryIO, *, max_bytes: int, fail: Callable[[int], NoReturn]
) -> int:
    """Copy in chunks; call `fail(n)` (which raises) as soon as more than max_bytes came."""
    total = 0
    while chunk := source.read(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            fail(total)
        out.write(chunk)
    return total


def save_upload(file: UploadFile, dest: Path, *, max_mib: float, setting: str) -> Path:
    """Copy an upload to `dest`, refusing it (413) once it passes `max_mib`."""
    max_bytes = int(max_mib * 2**20)
    if file.size is not None and file.size > max_bytes:
        raise _too_big(file.size, max_mib, setting)
    file.file.seek(0)

    def fail(n: int) -> NoReturn:
        raise _too_big(n, max_mib, setting)

    with dest.open("wb") as out:
        _copy_limited(file.file, out, max_bytes=max_bytes, fail=fail)
    return dest


def read_upload(file: UploadFile, *, max_mib: float, setting: str) -> bytes:
    """The bytes of an upload, refused (413) once it passes `max_mib` (read in chunks)."""
    max_bytes = int(max_mib * 2**20)
    if file.size is not None and file.size > max_bytes:
        raise _too_big(file.size, max_mib, setting)
    file.file.seek(0)
    data = file.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_big(len(data), max_mib, setting)
    return data


def check_zip_sizes(archive: zipfile.ZipFile, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """Refuse a zip whose directory declares too many members or too many unpacked bytes.

    zipfile stops at the declared size of a member (a member that lies fails its CRC), so
    the declared sizes bound what reading it can produce; unpack_zip also counts as it goes.
    """
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise TooLarge(
            f"the .zip holds {len(members)} files; at most {limits.max_members}",
            limit="CUNRONG_MAX_ZIP_MEMBERS",
            field="file",
        )
    member_max = int(limits.max_member_mib * 2**20)
    for member in members:
        if member.file_size > member_max:
            raise _member_too_big(member.filename, member.file_size, limits)
    total = sum(m.file_size for m in members)
    if total > int(limits.max_unzipped_mib * 2**20):
        raise _total_too_big(total, limits)
    return members


def _member_too_big(name: str, size: int, limits: UploadLimits) -> TooLarge:
    return TooLarge(
        f"{name!r} in the .zip unpacks to more than {limits.max_member_mib:g} MiB"
        f" (at least {mib(size)})",
        limit="CUNRONG_MAX_ZIP_MEMBER_MIB",
        field="file",
    )


def _total_too_big(size: int, limits: UploadLimits) -> TooLarge:
    return TooLarge(
        f"the .zip unpacks to more than {limits.max_unzipped_mib:g} MiB (at least {mib(size)})",
        limit="CUNRONG_MAX_UNZIPPED_MIB",
        field="file",
    )


def unpack_zip(archive_path: Path, folder: Path, limits: UploadLimits) -> None:
    """Unpack the plain files of a zip into `folder`, in chunks, stopping at the limits."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = check_zip_sizes(archive, limits)
            member_max = int(limits.max_member_mib * 2**20)
            total_max = int(limits.max_unzipped_mib * 2**20)
            total = 0
            for member in members:
                name = Path(member.filename).name
                if member.is_dir() or not name or name.startswith("."):
                    continue
                written = 0
                with archive.open(member) as source, (folder / name).open("wb") as out:
                    while chunk := source.read(CHUNK):
                        written += len(chunk)
                        total += len(chunk)
                        if written > member_max:
                            raise _member_too_big(name, written, limits)
                        if total > total_max:
                            raise _total_too_big(total, limits)
                        out.write(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise InvalidInput(f"not a valid .zip archive: {exc}", field="file") from None
    except RuntimeError as exc:  # an encrypted member: zipfile asks for a password
        raise InvalidInput(
            f"the .zip cannot be unpacked ({exc}); send it without a password", field="file"
        ) from None


def check_workbook(path: Path, limits: UploadLimits) -> None:
    """An .xlsx is a zip of XML: refuse one that would unpack past the limits."""
    try:
        with zipfile.ZipFile(path) as archive:
            check_zip_sizes(archive, limits)
    except zipfile.BadZipFile:
        raise InvalidInput("not a readable .xlsx workbook (not a zip)", field="file") from None


def _table(file: UploadFile, sheet: str, limits: UploadLimits) -> Table:
    filename = file.filename or ""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InvalidInput(f"expected a .csv or .xlsx file, got {filename!r}", field="file")
    with tempfile.TemporaryDirectory() as folder:
        path = save_upload(
            file,
            Path(folder) / (sheet + suffix),
            max_mib=limits.max_mib,
            setting=limits.size_setting,
        )
        if suffix == ".csv":
            table = read_csv_table(path)
        else:
            check_workbook(path, limits)
            tables = read_workbook_tables(path, [sheet])
            if sheet not in tables:
                raise InvalidInput(f"the workbook has no sheet named {sheet!r}", field="file")
            table = tables[sheet]
    if len(table.rows) > limits.max_rows:
        raise TooLarge(
            f"the sheet has {len(table.rows):,} rows; at most {limits.max_rows:,} per upload",
            limit="CUNRONG_MAX_UPLOAD_ROWS",
            field="file",
        )
    return table


def _codes(conn: Connection) -> set[str]:
    return set(
        conn.execute(text(f"SELECT code FROM village v WHERE {in_session_town('v')}")).scalars()
    )


def read_score_upload(
    conn: Connection, file: UploadFile, limits: UploadLimits
) -> tuple[ObservationScore, ...]:
    """Rows month, village, group, score from an uploaded sheet (`observation_scores`)."""
    return parse_observation_scores(_table(file, "observation_scores", limits), _codes(conn))


def read_third_party_upload(
    conn: Connection, file: UploadFile, limits: UploadLimits
) -> tuple[ThirdPartyEvaluation, ...]:
    """Rows village, evaluated, problems_found, problems_unrectified (`third_party`)."""
    return parse_third_party(_table(file, "third_party", limits), _codes(conn))


def read_honor_upload(
    conn: Connection, file: UploadFile, limits: UploadLimits
) -> tuple[Honor, ...]:
    """Rows village, date, kind (`honors`)."""
    return parse_honors(_table(file, "honors", limits), _codes(conn))


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


def preview_score_upload(conn: Connection, file: UploadFile, limits: UploadLimits) -> ScorePreview:
    """Check every row of an uploaded score sheet without saving anything; unlike the
    all-or-nothing upload, every bad cell is named, not only the first."""
    table = _table(file, "observation_scores", limits)
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
