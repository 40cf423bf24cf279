"""市第三方测评 as points: named batches of third-party issues, and the one-source rule.

A village's T1 for a year comes either from the points of that year's batches (problems
found = its issues in them; unrectified = judged at the rules' cut-off, see
`service.scoring_data`) or from counts typed in (`third_party_evaluation`) — never both:
each writer refuses, naming the village, when the other source already holds that village
and year.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from geo.errors import Conflict, InvalidInput, NotFound
from geo.towns import SCOPE_SQL, in_session_town, scope_params, use_town

if TYPE_CHECKING:
    from geo.io.report import ImportReport


@dataclass(frozen=True)
class Batch:
    """One third-party evaluation: its name, year and date, and its counts."""

    id: int
    year: int
    name: str
    evaluated_on: date
    clean_villages: tuple[str, ...]
    issues: int
    villages: int
    note: str | None = None


def create_batch(
    conn: Connection,
    *,
    year: int,
    name: str,
    evaluated_on: date,
    clean_villages: Iterable[str] = (),
    note: str | None = None,
) -> int:
    """Record a batch; `clean_villages` were evaluated and nothing was found there."""
    for field, value in (("name", name), ("note", note or "")):
        if "\x00" in value:
            raise InvalidInput("contains a NUL character", field=field)
    name = name.strip()
    if not name:
        raise InvalidInput("the batch needs a name (e.g. 2024年市第三方测评)", field="name")
    if evaluated_on.year != year:
        raise InvalidInput(
            f"the evaluation date {evaluated_on} is not in {year}", field="evaluated_on"
        )
    if conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM third_party_batch b WHERE year = :y AND name = :n"
            f" AND {in_session_town('b')})"
        ),
        {"y": year, "n": name},
    ).scalar_one():
        raise Conflict(f"{year} already has a third-party batch named {name!r}", field="name")
    clean = sorted(set(clean_villages))
    known = set(
        conn.execute(text(f"SELECT code FROM village v WHERE {in_session_town('v')}")).scalars()
    )
    for code in clean:
        if code not in known:
            raise InvalidInput(f"unknown village code {code!r}", field="clean_villages")
    refuse_points_over_counts(conn, year, clean)
    return conn.execute(
        text(
            "INSERT INTO third_party_batch (year, name, evaluated_on, clean_villages, note)"
            " VALUES (:y, :n, :d, CAST(:c AS varchar[]), :note) RETURNING id"
        ),
        {"y": year, "n": name, "d": evaluated_on, "c": clean, "note": note},
    ).scalar_one()


def batch_year(conn: Connection, batch_id: int) -> int:
    """The year of a batch (NotFound when there is none)."""
    year = conn.execute(
        text("SELECT year FROM third_party_batch WHERE id = :b"), {"b": batch_id}
    ).scalar()
    if year is None:
        raise NotFound(f"no third-party batch with id {batch_id}", field="batch_id")
    return int(year)


def list_batches(
    conn: Connection, year: int | None = None, *, towns: Sequence[int] | None = None
) -> list[Batch]:
    """The batches (of `year`, or all; of the towns `towns`, None: every town) with how many
    issues and villages each holds."""
    rows = conn.execute(
        text(
            "SELECT b.id, b.year, b.name, b.evaluated_on, b.clean_villages, b.note,"
            " count(i.id) AS issues, count(DISTINCT i.village_id) AS villages"
            " FROM third_party_batch b LEFT JOIN issue i ON i.third_party_batch_id = b.id"
            " WHERE (CAST(:y AS int) IS NULL OR b.year = :y)"
            f" AND {SCOPE_SQL.format(alias='b')}"
            " GROUP BY b.id ORDER BY b.year, b.evaluated_on, b.id"
        ),
        {"y": year, **scope_params(None if towns is None else tuple(towns))},
    ).mappings()
    return [
        Batch(
            id=r["id"],
            year=r["year"],
            name=r["name"],
            evaluated_on=r["evaluated_on"],
            clean_villages=tuple(r["clean_villages"]),
            issues=r["issues"],
            villages=r["villages"],
            note=r["note"],
        )
        for r in rows
    ]


def refuse_points_over_counts(conn: Connection, year: int, villages: Iterable[str]) -> None:
    """Refuse third-party points for villages whose counts for `year` were typed in."""
    clash = conn.execute(
        text(
            "SELECT v.code, v.name FROM third_party_evaluation t JOIN village v"
            " ON v.id = t.village_id WHERE t.year = :y AND v.code = ANY(:codes) ORDER BY v.code"
        ),
        {"y": year, "codes": sorted(set(villages))},
    ).first()
    if clash is not None:
        raise Conflict(
            f"{clash.name} {clash.code}: third-party counts for {year} were typed in; "
            "points and typed counts of one village and year cannot both count "
            "(已录入该村第三方测评问题数，不能再导入点位)",
            field="village",
        )


def refuse_counts_over_points(conn: Connection, year: int, villages: Iterable[str]) -> None:
    """Refuse typed counts for villages that have third-party points in `year`."""
    clash = conn.execute(
        text(
            "SELECT v.code, v.name FROM village v WHERE v.code = ANY(:codes) AND ("
            " EXISTS (SELECT 1 FROM issue i JOIN third_party_batch b"
            "  ON b.id = i.third_party_batch_id WHERE b.year = :y AND i.village_id = v.id)"
            " OR EXISTS (SELECT 1 FROM third_party_batch b WHERE b.year = :y"
            "  AND v.code = ANY(b.clean_villages))) ORDER BY v.code"
        ),
        {"y": year, "codes": sorted(set(villages))},
    ).first()
    if clash is not None:
        raise Conflict(
            f"{clash.name} {clash.code}: {year} has third-party points for this village; "
            "points and typed counts of one village and year cannot both count "
            "(该村已有第三方测评点位，不能再录入问题数)",
            field="village",
        )


def import_third_party(
    conn: Connection,
    path: Path | str,
    *,
    year: int,
    name: str,
    evaluated_on: date,
    clean_villages: Iterable[str] = (),
    note: str | None = None,
    **options: Any,
) -> tuple[int, ImportReport]:
    """Create a batch and import the evaluator's file (points, categories, photos' names)
    into it, all or nothing: `options` are `geo.io.import_file`'s (deadline, coords, …).
    Raises ImportFailed (nothing written, the batch neither) when any row is refused."""
    from geo.io import import_file

    trans = conn.begin_nested() if conn.in_transaction() else conn.begin()
    try:
        if options.get("town_id") is not None:
            use_town(conn, options["town_id"])
        batch_id = create_batch(
            conn,
            year=year,
            name=name,
            evaluated_on=evaluated_on,
            clean_villages=clean_villages,
            note=note,
        )
        report = import_file(conn, "issues", path, third_party_batch_id=batch_id, **options)
    except BaseException:
        trans.rollback()
        raise
    if report.dry_run:
        trans.rollback()
    else:
        trans.commit()
    return batch_id, report
