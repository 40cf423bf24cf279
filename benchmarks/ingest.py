"""Benchmark: 1,000,000 issue points through the importer's direct bulk path, against ORM inserts.

Run by hand (not in the tests):

    .venv/bin/python -m benchmarks.ingest [--rows 1000000] [--orm-rows 20000]

Always works in a throwaway database (never in yours): its villages come from the
configured database if it has any, else from data/sample/villages.geojson, else a 4 × 11
grid of square villages over the town. Prints seconds, rows/s and the ratios against ORM
inserts and against a plain binary COPY of the same rows into an unindexed table (the
ceiling of any import path), all measured in the same run. `--rows 20000` runs in seconds.
"""

from __future__ import annotations

import argparse
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from geo.assign import assign_issues
from geo.categories import CATEGORIES
from geo.deadlines import deadline_rule
from geo.defaults import DEADLINE_RULE, METRIC_SRID
from geo.io import bulk, issue_rows, issues
from geo.io.importer import import_file
from geo.io.report import ImportReport
from geo.models import Issue
from service.settings import ServiceSettings, project_root
from tests.postgis import PostgisServer

TOWN_BOX = (117.12, 39.25, 117.30, 39.33)
PLAIN_COLUMNS = (
    "row int, id uuid, code text, category_code text, description text, address text,"
    " geom geometry(Point, 4326), source text, found_on date, found_by text, deadline date,"
    " responsible text, status text, closed_on date, photo_names text"
)


def timed(label: str, action: Callable[[], Any]) -> tuple[float, Any]:
    """Run `action`, print and return its wall time."""
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"  {label:<58} {seconds:8.2f} s", flush=True)
    return seconds, result


def village_source(target_url: str | None) -> tuple[str, list[tuple[str, str, str]]]:
    """(where from, [(code, name, WKT)]) of the villages to benchmark over."""
    if target_url:
        try:
            engine = create_engine(target_url)
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT code, name, ST_AsText(geom) FROM village")).all()
            engine.dispose()
            if rows:
                return f"villages of {target_url}", [tuple(r) for r in rows]
        except Exception as exc:
            print(f"  (target database not usable: {str(exc).splitlines()[0]})")
    sample = project_root() / "data" / "sample" / "villages.geojson"
    if sample.exists():
        return str(sample), []
    west, south, east, north = TOWN_BOX
    cols, rows_ = 11, 4
    dx, dy = (east - west) / cols, (north - south) / rows_
    squares = []
    for j in range(rows_):
        for i in range(cols):
            x0, y0 = west + i * dx, south + j * dy
            wkt = shapely.box(x0, y0, x0 + dx, y0 + dy).wkt
            squares.append((f"B{j * cols + i + 1:02d}", f"村{j * cols + i + 1}", wkt))
    return "a 4 × 11 grid of square villages", squares


def load_villages(url: str, source: str, squares: list[tuple[str, str, str]]) -> None:
    """Put the benchmark's villages into the throwaway database."""
    if not squares:
        import_file(url, "villages", Path(source))
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        for code, name, wkt in squares:
            conn.execute(
                text(
                    "INSERT INTO village (code, name, geom)"
                    " VALUES (:c, :n, ST_Multi(ST_GeomFromText(:w, 4326)))"
                ),
                {"c": code, "n": name, "w": wkt},
            )
    engine.dispose()


def random_points(engine: Engine, n: int, seed: int = 20240310) -> pd.DataFrame:
    """n issue rows inside the villages (uniform over the union of their boundaries)."""
    with engine.connect() as conn:
        union = shapely.from_wkb(
            conn.execute(text("SELECT ST_AsBinary(ST_Union(geom)) FROM village")).scalar_one()
        )
    shapely.prepare(union)
    west, south, east, north = union.bounds
    rng = np.random.default_rng(seed)
    lon = np.empty(0)
    lat = np.empty(0)
    while len(lon) < n:
        x = rng.uniform(west, east, n)
        y = rng.uniform(south, north, n)
        inside = shapely.contains_xy(union, x, y)
        lon, lat = np.concatenate([lon, x[inside]]), np.concatenate([lat, y[inside]])
    lon, lat = lon[:n], lat[:n]
    codes = np.array([c.code for c in CATEGORIES], dtype=object)
    days = rng.integers(0, 275, n)
    return pd.DataFrame(
        {
            "row": np.arange(n, dtype=np.int32) + 2,
            "code": [f"BENCH-{i:07d}" for i in range(n)],
            "category_code": codes[rng.integers(0, len(codes), n)],
            "description": "",
            "lon": lon,
            "lat": lat,
            "source": "inspection",
            "found_on": np.datetime64("2024-03-01") + days.astype("timedelta64[D]"),
            "status": "open",
        }
    )


def orm_inserts(engine: Engine, frame: pd.DataFrame) -> None:
    """The naive way: one ORM object per row, add_all, flush (rolled back afterwards)."""
    with engine.connect() as conn:
        trans = conn.begin()
        session = Session(bind=conn)
        session.add_all(
            Issue(
                id=uuid.uuid4(),
                code=f"ORM-{r.row}",
                category_code=r.category_code,
                description="",
                geom=f"SRID=4326;POINT({r.lon} {r.lat})",
                source="inspection",
                found_on=date.fromisoformat(str(r.found_on)[:10]),
                status="open",
                version=1,
            )
            for r in frame.itertuples()
        )
        session.flush()
        session.close()
        trans.rollback()


def split_rows(rows: issue_rows.Rows, start: int, stop: int) -> issue_rows.Rows:
    """Rows start..stop (spatially contiguous: rows are in spatial order)."""
    return issue_rows.Rows(
        frame=rows.frame.iloc[start:stop],
        ids=rows.ids[start:stop],
        village=rows.village[start:stop],
        grid=rows.grid[start:stop],
        outside_m=rows.outside_m[start:stop],
    )


def split_write(
    engine: Engine,
    rows: issue_rows.Rows,
    villages: dict,
    *,
    deadline: Any,
    provisional: Any,
    codes: pd.Series,
    parts: int,
) -> float:
    """What a partitioned `issue` could reach at best: the rows split into `parts`
    spatially contiguous pieces, each written on its own connection at the same time into
    standalone copies of `issue` and `issue_event` (schema split_k), then given the same
    indexes, keys and foreign keys as the real tables. The ATTACH PARTITION that would make
    them visible, the schema change it needs and any cross-partition check of the unique code
    are not counted. Returns the wall seconds of the whole parallel phase."""
    tables = ("issue", "issue_event")
    with engine.connect() as conn:
        keys, uniques, indexes = bulk.keys_and_indexes(conn.connection.driver_connection, tables)
        for k in range(parts):
            conn.execute(text(f"DROP SCHEMA IF EXISTS split_{k} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA split_{k}"))
        conn.commit()
    on_table = re.compile(r" ON public\.(issue|issue_event) ")

    def statements(k: int) -> list[str]:
        """The same keys and indexes for schema split_k, in indexes_deferred's order; the
        foreign keys are those of the two tables (their REFERENCES issue(id) finds split_k's
        `issue` by the search path), not those of other tables pointing at them."""
        return [
            *(f"ALTER TABLE split_{k}.{t} ADD CONSTRAINT {name} {d}" for name, t, d in uniques),
            *(on_table.sub(f" ON split_{k}.\\1 ", d) for _, d in indexes),
            *(
                f"ALTER TABLE split_{k}.{t} ADD CONSTRAINT {name} {d}"
                for name, t, d in keys
                if t in tables
            ),
        ]

    n = len(rows.frame)
    bounds = [n * k // parts for k in range(parts + 1)]
    failures: list[BaseException] = []

    def one(k: int) -> None:
        a, b = bounds[k], bounds[k + 1]
        try:
            with engine.connect() as conn:
                conn.execute(text(f"SET search_path TO split_{k}, public"))
                conn.execute(text(f"SET maintenance_work_mem = '{bulk.REBUILD_WORK_MEM_MB}MB'"))
                # Created in the loading transaction, as a partition to attach would be
                # (with wal_level = minimal its rows and indexes then skip the WAL).
                for table in ("issue", "issue_event"):
                    conn.execute(
                        text(
                            f"CREATE TABLE split_{k}.{table}"
                            f" (LIKE public.{table} INCLUDING DEFAULTS INCLUDING GENERATED)"
                        )
                    )
                issue_rows.write_rows(
                    conn,
                    split_rows(rows, a, b),
                    deadline=deadline[a:b],
                    provisional=provisional[a:b],
                    codes=codes.iloc[a:b],
                    villages=villages,
                    note="benchmark row ",
                )
                for statement in statements(k):
                    conn.execute(text(statement))
                conn.commit()
        except BaseException as exc:  # reported after the join
            failures.append(exc)

    start = time.perf_counter()
    threads = [threading.Thread(target=one, args=(k,)) for k in range(parts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    with engine.connect() as conn:
        counts = [
            conn.execute(text(f"SELECT count(*) FROM split_{k}.issue")).scalar_one()
            for k in range(parts)
        ]
        for k in range(parts):
            conn.execute(text(f"DROP SCHEMA split_{k} CASCADE"))
        conn.commit()
    if failures:
        raise failures[0]
    assert sum(counts) == n, counts
    print(f"  {f'split over {parts} connection(s): written {counts}':<58} {seconds:8.2f} s")
    return seconds


def main() -> None:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--orm-rows", type=int, default=20_000)
    parser.add_argument("--url", default=None, help="take the villages from this database")
    parser.add_argument(
        "--split",
        type=int,
        default=0,
        help="also write the placed rows split over 1 and this many connections into"
        " standalone copies of the issue tables (the ceiling of a partitioned issue table)",
    )
    args = parser.parse_args()
    n = args.rows

    settings = ServiceSettings()
    server = PostgisServer.start(settings.database_url, pgdata=settings.pgdata)
    target = args.url or server.url
    source, squares = village_source(target)
    name = server.create_migrated(then=lambda url: load_villages(url, source, squares))
    url = server.url_of(name)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            villages = conn.execute(text("SELECT count(*) FROM village")).scalar_one()
        print(f"throwaway database {name}: {villages} villages from {source}")
        _, frame = timed(
            f"generate {n:,} points inside the villages", lambda: random_points(engine, n)
        )

        print("ORM baseline (session.add_all + flush, rolled back):")
        sample = frame.iloc[: args.orm_rows]
        orm_s, _ = timed(f"{len(sample):,} rows", lambda: orm_inserts(engine, sample))
        orm_rate = len(sample) / orm_s

        print("Plain COPY baseline (the same binary COPY into an unindexed table, rolled back):")
        with engine.connect() as conn:
            trans = conn.begin()
            conn.execute(text(f"CREATE TABLE bench_plain ({PLAIN_COLUMNS})"))
            plain_s, _ = timed(
                f"{n:,} rows, no index, no key, no placement",
                lambda: bulk.copy_columns(conn, "bench_plain", issues.issue_copy_columns(frame)),
            )
            trans.rollback()

        print("Importer bulk path (one transaction, as `import_file` runs it after the checks):")
        with engine.connect() as conn:
            trans = conn.begin()
            report = ImportReport(kind="issues", source="benchmark")
            place_s, (rows, placement, villages) = timed(
                "place_rows: spatial order, GEOS point-in-polygon, grids",
                lambda: issue_rows.place_rows(
                    conn, frame, tolerance_m=30.0, metric_srid=METRIC_SRID
                ),
            )

            def checks() -> None:
                issues.report_placement(conn, report, tolerance_m=30.0, field="lon/lat")
                issue_rows.report_duplicates(conn, rows, report, code="code", id_="id")

            check_s, _ = timed("outside the town / duplicates in the database", checks)
            rule_s, (deadline, provisional, codes) = timed(
                "deadlines by the town's rule, codes",
                lambda: (
                    *issue_rows.deadlines(conn, rows, deadline_rule(DEADLINE_RULE)),
                    issue_rows.new_codes(conn, rows, villages),
                ),
            )
            deferred = bulk.indexes_deferred(conn, ["issue", "issue_event"])
            drop_s, _ = timed("drop the issue tables' indexes and keys", deferred.__enter__)
            copy_s, written = timed(
                "COPY issue + COPY issue_event (all columns computed client-side)",
                lambda: issue_rows.write_rows(
                    conn,
                    rows,
                    deadline=deadline,
                    provisional=provisional,
                    codes=codes,
                    villages=villages,
                    note="benchmark row ",
                ),
            )
            rebuild_s, _ = timed(
                "rebuild indexes, unique keys, foreign keys",
                lambda: deferred.__exit__(None, None, None),
            )
            commit_s, _ = timed("commit", trans.commit)
            write_s = drop_s + copy_s + rebuild_s + commit_s
        print(f"    placed: {placement}; written: {written:,}; report ok: {report.ok}")

        split_s: dict[int, float] = {}
        if args.split:
            print("The same rows split over connections (standalone tables, no ATTACH):")
            for parts in sorted({1, args.split}):
                split_s[parts] = split_write(
                    engine,
                    rows,
                    villages,
                    deadline=deadline,
                    provisional=provisional,
                    codes=codes,
                    parts=parts,
                )

        print("On the loaded issue table:")
        with engine.connect() as conn:
            conn.execute(text("ANALYZE issue"))
            conn.commit()
            trans = conn.begin()
            assign_s, assignment = timed(
                "geo.assign.assign_issues(conn): all 1M, set-based UPDATE",
                lambda: assign_issues(conn),
            )
            trans.rollback()
            print(f"    {assignment}")
            counts_s, counts = timed(
                "per-village counts by status (GROUP BY village_id, status)",
                lambda: conn.execute(
                    text("SELECT village_id, status, count(*) FROM issue GROUP BY 1, 2")
                ).all(),
            )
            join_s, _ = timed(
                "per-village counts by spatial join (ST_Covers, no village_id)",
                lambda: conn.execute(
                    text(
                        "SELECT v.id, count(*) FROM village v JOIN issue i"
                        " ON ST_Covers(v.geom, i.geom) GROUP BY v.id"
                    )
                ).all(),
            )

        load_s = place_s + check_s + rule_s + write_s
        print("\nSummary")
        print(f"  ORM inserts             {orm_rate:>12,.0f} rows/s  → all in {n / orm_rate:.1f} s")
        print(
            f"  plain COPY, unindexed       {n / plain_s:>12,.0f} rows/s  "
            f"({n / plain_s / orm_rate:5.1f}× ORM; the ceiling: no placement, index or key)"
        )
        print(
            f"  whole import path           {n / load_s:>12,.0f} rows/s  "
            f"({n / load_s / orm_rate:5.1f}× ORM, {plain_s / load_s:4.2f}× plain COPY's rate;"
            " place + checks + COPY with events, indexes, keys; target ≥ 150,000)"
        )
        for parts, seconds in split_s.items():
            whole = place_s + check_s + rule_s + seconds
            print(
                f"  split over {parts} connection(s)  {n / whole:>10,.0f} rows/s  "
                f"(write phase {seconds:.2f} s against {write_s:.2f} s in one transaction;"
                " no ATTACH, no schema change counted)"
            )
        print(f"  village assignment, import  {place_s:>12.2f} s       (target ≤ 5 s)")
        print(f"  village assignment, assign_issues() {assign_s:>6.2f} s")
        print(f"  per-village counts          {counts_s:>12.2f} s       (target ≤ 1 s)")
        print(f"  per-village spatial join    {join_s:>12.2f} s")
        print(f"  groups counted: {len(counts)}")
        print(
            f"  batch-vs-ORM ratio: bulk path {orm_s / len(sample) * n / load_s:,.1f}× faster "
            f"end to end ({n / orm_rate:,.0f} s ORM extrapolated vs {load_s:,.1f} s)"
        )
    finally:
        engine.dispose()
        server.drop(name)


if __name__ == "__main__":
    main()
