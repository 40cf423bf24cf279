"""Import one file of villages, grids, roads or issues: all rows checked, all or nothing written."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, Transaction, create_engine, text
from sqlalchemy.exc import DBAPIError
from tqdm import tqdm

from geo.deadlines import DeadlineRule, deadline_rule
from geo.defaults import DEADLINE_RULE, GPS_TOLERANCE_M, METRIC_SRID
from geo.errors import InvalidInput
from geo.io import issue_rows, issues
from geo.io.checks import Vocabulary, category_vocabulary
from geo.io.columns import KINDS
from geo.io.coordinates import Town, check_coords_option, parse_crs
from geo.io.limits import ImportLimits, check_size
from geo.io.load import (
    load_entrances,
    load_grids,
    load_roads,
    load_villages,
    load_waterbodies,
)
from geo.io.read import SourceTable, read_source
from geo.io.report import ImportFailed, ImportReport
from geo.towns import use_town

PROGRESS_MIN_ROWS = 10_000


def town_of(conn: Connection) -> Town:
    """The extent of the loaded villages (None before any is loaded)."""
    box = conn.execute(
        text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
            " FROM (SELECT ST_Extent(geom) AS e FROM village) x"
        )
    ).one()
    if box[0] is None:
        return Town(bbox=None)
    west, south, east, north = (float(v) for v in box)
    return Town(bbox=(west, south, east, north))


@contextmanager
def _transaction(target: Engine | Connection | str) -> Iterator[tuple[Connection, Transaction]]:
    """A transaction of our own (a savepoint when the caller already holds a connection)."""
    if isinstance(target, Connection):
        trans = target.begin_nested() if target.in_transaction() else target.begin()
        try:
            yield target, trans
        except BaseException:
            if trans.is_active:
                trans.rollback()
            raise
        return
    engine = create_engine(target) if isinstance(target, str) else target
    try:
        with engine.connect() as conn:
            trans = conn.begin()
            try:
                yield conn, trans
            except BaseException:
                if trans.is_active:
                    trans.rollback()
                raise
    finally:
        if isinstance(target, str):
            engine.dispose()


def import_file(
    target: Engine | Connection | str,
    kind: str,
    path: Path | str,
    *,
    layer: str | None = None,
    encoding: str | None = None,
    crs: str | None = None,
    coords: str = "wgs84",
    dry_run: bool = False,
    progress: bool | None = None,
    tolerance_m: float = GPS_TOLERANCE_M,
    metric_srid: int = METRIC_SRID,
    limits: ImportLimits | None = None,
    deadline: str | int | DeadlineRule = DEADLINE_RULE,
    third_party_batch_id: int | None = None,
    town_id: int | None = None,
    bulk_rows: int | None = None,
) -> ImportReport:
    """Check a file and, when every row passes, write it in one transaction.

    The rows go to the town `town_id` (default: the transaction's town, `geo.towns.use_town`,
    else the only town; with several towns and none given, nothing is written).

    `target` is an engine, a database URL, or a connection (then a savepoint is used).
    Raises ImportFailed (an InvalidInput) carrying the full report when any row has an
    error; nothing is changed then. With `dry_run` everything is checked and rolled back.
    A file over one of `limits` (rows, vertices) raises TooLarge before anything is written.
    Issues without a deadline get the `deadline` rule's (`geo.deadlines`); with
    `third_party_batch_id` they join that third-party batch (source third_party). From
    `bulk_rows` issue rows on (default `geo.io.issues.BULK_ROWS`) a load at least as large
    as the table rebuilds the issue tables' indexes and keys instead of maintaining them.
    """
    rule = deadline_rule(deadline)
    if third_party_batch_id is not None and kind != "issues":
        raise InvalidInput("only issues join a third-party batch", field="kind")
    if kind not in KINDS:
        raise InvalidInput(
            f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}", field="kind"
        )
    path = Path(path)
    report = ImportReport(kind=kind, source=path.name, dry_run=dry_run)
    try:
        check_coords_option(coords)
        parse_crs(crs)
        table = read_source(
            path,
            kind=kind,
            layer=layer,
            encoding=encoding,
            max_polygon_vertices=limits.max_polygon_vertices if limits else None,
        )
    except ImportFailed:
        raise
    except InvalidInput as exc:
        report.add(exc.message, row=exc.row, field=exc.field)
        raise ImportFailed(report) from exc
    if limits is not None:
        check_size(table.frame["row"].to_numpy(), table.geometry, limits, unit=table.unit)
    report.unit, report.rows = table.unit, len(table.frame)
    for note in table.notes:
        report.add(note, level="warning")
    show = _wants_progress(progress, len(table.frame))
    with _transaction(target) as (conn, trans):
        try:
            if town_id is not None:
                use_town(conn, town_id)
            _run(
                conn,
                kind,
                table,
                report,
                crs=crs,
                coords=coords,
                tolerance=tolerance_m,
                metric_srid=metric_srid,
                show=show,
                deadline=rule,
                batch=third_party_batch_id,
                bulk_rows=bulk_rows,
            )
        except ImportFailed:
            raise
        except InvalidInput as exc:
            report.add(exc.message, row=exc.row, field=exc.field)
        except DBAPIError as exc:
            cause = getattr(exc, "orig", exc)
            detail = str(cause).strip().splitlines()[0]
            more = getattr(getattr(cause, "diag", None), "message_detail", None)
            report.add(f"the database refused the rows: {detail}" + (f" ({more})" if more else ""))
        if not report.ok:
            trans.rollback()
            raise ImportFailed(report)
        if dry_run:
            trans.rollback()
        else:
            trans.commit()
    return report


def load_category_vocabulary(conn: Connection) -> Vocabulary:
    """The categories and the town's synonyms for them, as every importer resolves them."""
    rows = conn.execute(
        text("SELECT code, label_zh, label_en FROM category ORDER BY sort_order")
    ).all()
    synonyms = conn.execute(
        text("SELECT synonym, category_code FROM category_synonym ORDER BY synonym")
    ).all()
    return category_vocabulary([(r[0], r[1], r[2]) for r in rows], [(w[0], w[1]) for w in synonyms])


def _wants_progress(progress: bool | None, rows: int) -> bool:
    if progress is not None:
        return progress
    return rows >= PROGRESS_MIN_ROWS and sys.stderr.isatty()


def _run(
    conn: Connection,
    kind: str,
    table: SourceTable,
    report: ImportReport,
    *,
    crs: str | None,
    coords: str,
    tolerance: float,
    metric_srid: int,
    show: bool,
    deadline: DeadlineRule,
    batch: int | None,
    bulk_rows: int | None,
) -> None:
    town = town_of(conn)
    if kind == "issues":
        _run_issues(
            conn,
            table,
            report,
            town=town,
            crs=crs,
            coords=coords,
            tolerance=tolerance,
            metric_srid=metric_srid,
            show=show,
            deadline=deadline,
            batch=batch,
            bulk_rows=bulk_rows,
        )
        return
    loader = {
        "villages": load_villages,
        "grids": load_grids,
        "roads": load_roads,
        "entrances": load_entrances,
        "waterbodies": load_waterbodies,
    }[kind]
    placement = (
        {"tolerance_m": tolerance, "metric_srid": metric_srid}
        if kind in ("villages", "grids", "entrances")
        else {}
    )
    loader(conn, table, report, town=town, crs=crs, coords=coords, write=True, **placement)


def _run_issues(
    conn: Connection,
    table: SourceTable,
    report: ImportReport,
    *,
    town: Town,
    crs: str | None,
    coords: str,
    tolerance: float,
    metric_srid: int,
    show: bool,
    deadline: DeadlineRule,
    batch: int | None,
    bulk_rows: int | None,
) -> None:
    categories = load_category_vocabulary(conn)
    frame = issues.issue_frame(
        table, report, town=town, categories=categories, crs=crs, coords=coords
    )
    has_shapes = table.geometry is not None and any(g is not None for g in table.geometry)
    where = (
        f"{table.label('lon')}/{table.label('lat')}"
        if "lon" in table.frame and "lat" in table.frame and not has_shapes
        else "geometry"
    )
    note = f"导入 import: {report.source} {table.unit} "
    if batch is None and issues.is_bulk_load(conn, rows=len(frame), bulk_rows=bulk_rows):
        # A bulk load: every column computed here, COPY straight into the issue tables.
        rows, _, villages = issue_rows.place_rows(
            conn, frame, tolerance_m=tolerance, metric_srid=metric_srid
        )
        issues.report_placement(conn, report, tolerance_m=tolerance, field=where)
        issue_rows.report_duplicates(
            conn, rows, report, code=table.label("code"), id_=table.label("id")
        )
        if not report.ok:
            return
        with tqdm(
            total=len(frame), desc="COPY issues", unit="row", disable=not show, file=sys.stderr
        ) as bar:
            report.inserted = issue_rows.load_rows(
                conn, rows, villages, rule=deadline, note=note, progress=bar.update
            )
        return
    with tqdm(
        total=len(frame), desc="COPY issues", unit="row", disable=not show, file=sys.stderr
    ) as bar:
        issues.copy_issue_points(conn, frame, progress=bar.update)
    issues.place_staged_issues(conn, tolerance_m=tolerance, metric_srid=metric_srid)
    issues.report_placement(conn, report, tolerance_m=tolerance, field=where)
    issues.report_duplicates(conn, report, code=table.label("code"), id_=table.label("id"))
    if batch is not None:
        issues.stage_batch(conn, report, batch_id=batch, field=table.label("source"))
    if not report.ok:
        return
    issues.set_staged_deadlines(conn, deadline)
    report.inserted = issues.load_staged_issues(
        conn,
        rows=len(frame),
        note=note,
        third_party_batch_id=batch,
        bulk_rows=bulk_rows,
    )
