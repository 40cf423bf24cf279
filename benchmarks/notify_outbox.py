"""Benchmark: what the notification outbox triggers cost a bulk write of issue events.

Run by hand (not in the tests):

    .venv/bin/python -m benchmarks.notify_outbox [--events 200000] [--repeat 3]

Works in a throwaway database. Writes `--events` issues once, then their `created` events in
one INSERT … SELECT (the importer's statement), alternately with the two statement-level
outbox triggers enabled and disabled, and prints the median times and their ratio (the
machine may be busy: compare the ratio, not the seconds). Then times the fan-out of that
bulk statement (one summary per village) and of 100 single-event statements.
"""

from __future__ import annotations

import argparse
import statistics
import time

from sqlalchemy import Engine, create_engine, text

from geo.notify.fanout import fan_out
from service.settings import ServiceSettings
from tests.postgis import PostgisServer

TRIGGERS = ("issue_event_outbox_before", "issue_event_outbox_after")
SQUARE = "MULTIPOLYGON((({x} 39.28,{x2} 39.28,{x2} 39.29,{x} 39.29,{x} 39.28)))"


def setup(engine: Engine, events: int) -> None:
    """Ten square villages and `events` open issues spread over them (no events yet)."""
    with engine.begin() as conn:
        for n in range(10):
            x = 117.10 + n * 0.01
            conn.execute(
                text(
                    "INSERT INTO village (code, name, geom)"
                    " VALUES (:c, :n, ST_GeomFromText(:w, 4326))"
                ),
                {"c": f"B{n:02d}", "n": f"村{n}", "w": SQUARE.format(x=x, x2=x + 0.01)},
            )
        conn.execute(
            text(
                "INSERT INTO issue (code, category_code, geom, village_id, source, found_on,"
                " status, version) SELECT 'B-' || g, 'clutter',"
                " ST_SetSRID(ST_MakePoint(117.105 + (g % 10) * 0.01, 39.285), 4326),"
                " (SELECT id FROM village WHERE code = 'B' || lpad((g % 10)::text, 2, '0')),"
                " 'inspection', current_date, 'open', 1 FROM generate_series(1, :n) g"
            ),
            {"n": events},
        )


def write_events(engine: Engine, *, triggers: bool) -> float:
    """Seconds to insert one `created` event per issue in one statement (rolled back)."""
    with engine.connect() as conn, conn.begin() as tx:
        if not triggers:
            for name in TRIGGERS:
                conn.execute(text(f"ALTER TABLE issue_event DISABLE TRIGGER {name}"))
        start = time.perf_counter()
        conn.execute(
            text(
                'INSERT INTO issue_event (issue_id, kind, to_status, "on", actor, note)'
                " SELECT id, 'created', 'open', found_on, 'bench', 'row ' || code FROM issue"
            )
        )
        seconds = time.perf_counter() - start
        tx.rollback()
    return seconds


def main() -> None:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = ServiceSettings()
    server = PostgisServer.start(settings.database_url, pgdata=settings.pgdata)
    name = server.create_migrated()
    engine = create_engine(server.url_of(name))
    try:
        setup(engine, args.events)
        times: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.repeat):
            for on in (False, True):
                times[on].append(write_events(engine, triggers=on))
        off, on = statistics.median(times[False]), statistics.median(times[True])
        print(f"{args.events} events in one statement, median of {args.repeat}:")
        print(f"  without the outbox triggers {off:8.2f} s")
        print(f"  with the outbox triggers    {on:8.2f} s   ratio {on / off:.3f}")

        with engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO issue_event (issue_id, kind, to_status, "on", actor)'
                    " SELECT id, 'created', 'open', found_on, 'bench' FROM issue"
                )
            )
            for code in range(1, 101):
                conn.execute(
                    text(
                        'INSERT INTO issue_event (issue_id, kind, from_status, to_status, "on")'
                        " SELECT id, 'submitted', 'open', 'submitted', found_on FROM issue"
                        " WHERE code = :c"
                    ),
                    {"c": f"B-{code}"},
                )
        with engine.begin() as conn:
            start = time.perf_counter()
            done = fan_out(conn, bulk_events=100, max_age_days=7, email=False, limit=1)
            bulk_s = time.perf_counter() - start
            start = time.perf_counter()
            rest = fan_out(conn, bulk_events=100, max_age_days=7, email=False, limit=1000)
            single_s = time.perf_counter() - start
        print(f"  fan-out of the bulk statement: {bulk_s:6.2f} s, {done.messages} summaries")
        print(
            f"  fan-out of {rest.statements} one-event statements: {single_s:6.2f} s,"
            f" {rest.messages} messages"
        )
    finally:
        engine.dispose()
        server.drop(name)


if __name__ == "__main__":
    main()
