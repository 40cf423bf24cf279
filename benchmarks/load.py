"""Benchmark: 50 concurrent reporters recording issues over HTTP, with a database restart.

Run by hand (never in the tests), loopback only, bounded in time and count:

    .venv/bin/python -m benchmarks.load [--sizes 10000,1000000] [--seconds 40]
                                        [--reporters 50] [--workers 2] [--reuse]
                                        [--rate 200]

For each table size it builds a throwaway database in its own local cluster
(data/bench-pgdata, never yours): the sample town, then issues bulk-loaded through the
importer's path (COPY → place → INSERT) up to the size; it starts the service with uvicorn on
127.0.0.1 and runs the reporters for `--seconds`, restarting PostgreSQL once half-way.
Every reporter retries a failed create with the same client id (idempotent), so nothing
is recorded twice. It prints creates/s and p50/p95 latency (steady state: from the end of
the warm-up, while the pools open their connections, to the restart), the same every 4 s,
each worker's share of the connections and its latency, the number of creates acknowledged
(200/201) but missing from the database (must be 0), and the seconds from the database
being back to the first success.

Two ways to load the service. By default each reporter posts again as soon as it is
answered (a closed loop): the rate is the service's saturation and the latency is mostly
time spent queued behind the 49 others (mean latency = reporters / rate). With `--rate R`
the reporters together offer R creates/s at random (Poisson) times, an open loop: the
latency at that load, counted from when each create was due, so a create held up behind a
slow one is charged the wait.

It also prints the database round trips per create: the statements PostgreSQL ran
(`pg_stat_statements`, loaded into the benchmark's own cluster; BEGIN, COMMIT and the
pool's ping included) divided by the creates acknowledged in the same window. That figure
does not depend on how loaded the machine is, so it shows an improvement even where the
rates cannot.

Targets at 1,000,000 issues on a 2-core machine: ≥ 200 creates/s and p95 ≤ 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from sqlalchemy import create_engine, text

from benchmarks.ingest import random_points, timed
from geo.cluster import PORT, LocalCluster
from geo.io import issues
from geo.migrate import upgrade
from geo.sample.load import load_sample_town
from geo.users import create_user

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
DB = "cunrong_load"
MAX_CREATES = 200_000
"""Hard bound on the creates of one run, whatever the duration."""


STATEMENTS = "pg_stat_statements"
WARM_UP_S = 8.0
"""The statements and CPU are counted from this long after the start (at most a quarter of
the run): the pool's connections open and their plans are cached before."""
_TICK = os.sysconf("SC_CLK_TCK")
STAGGER_S = 2.0
"""Reporters start (open their connection) at random within this long, as people do, not
in one burst: the workers share one listening socket, and a burst of connections is
accepted by whichever worker wakes first."""


def _stat(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # the fields after the command name


def cpu_seconds(root: int) -> float:
    """CPU seconds used by a process and its descendants, live (user + system) and reaped
    (children's times): the work done for the creates, whatever else loads the machine."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(_stat(int(entry.name))[1])
            except (OSError, ValueError):
                continue
    family, grew = {root}, True
    while grew:
        more = {pid for pid, ppid in parents.items() if ppid in family} - family
        family |= more
        grew = bool(more)
    total = 0
    for pid in family:
        try:
            fields = _stat(pid)
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:13])  # utime, stime
        if pid == root:
            total += sum(int(f) for f in fields[13:15])  # reaped children: cutime, cstime
    return total / _TICK


def postmaster(cluster: LocalCluster) -> int:
    return int((cluster.pgdata / "postmaster.pid").read_text().split()[0])


def with_statement_counts(cluster: LocalCluster) -> None:
    """Load pg_stat_statements into the benchmark's cluster (a restart, once)."""
    import psycopg

    def preloaded() -> str:
        with psycopg.connect(
            host=str(cluster.socket_dir), port=PORT, user="postgres", dbname="postgres"
        ) as conn:
            return str(conn.execute("SHOW shared_preload_libraries").fetchone()[0])  # type: ignore[index]

    if STATEMENTS in preloaded():
        return
    with psycopg.connect(
        host=str(cluster.socket_dir), port=PORT, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(f"ALTER SYSTEM SET shared_preload_libraries = '{STATEMENTS}'")
    cluster.stop()
    cluster.start()


def statement_counts(url: str, *, reset: bool = False) -> dict[str, tuple[int, float]]:
    """(calls, total ms) per statement text in the benchmark database since the last reset."""
    engine = create_engine(url)
    with engine.connect() as conn:
        if reset:
            conn.execute(text("SELECT pg_stat_statements_reset()"))
            conn.commit()
            engine.dispose()
            return {}
        rows = conn.execute(
            text(
                "SELECT s.query, sum(s.calls)::bigint, sum(s.total_exec_time)"
                " FROM pg_stat_statements s"
                " JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database()"
                " AND s.query NOT LIKE '%pg_stat_statements%' GROUP BY s.query"
            )
        ).all()
    engine.dispose()
    return {q: (int(n), float(ms)) for q, n, ms in rows}


def _admin(cluster: LocalCluster) -> Any:
    import psycopg

    return psycopg.connect(
        host=str(cluster.socket_dir), port=PORT, user="postgres", dbname="postgres", autocommit=True
    )


def _drop(conn: Any, name: str) -> None:
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
    )
    conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def fresh_database(cluster: LocalCluster) -> str:
    """A new, migrated database holding the sample town; returns its URL."""
    with _admin(cluster) as conn:
        _drop(conn, DB)
    cluster.create_database(DB)
    url = cluster.url(DB)
    upgrade(url)
    load_sample_town(url)
    with create_engine(url).begin() as conn:
        conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {STATEMENTS}"))
    return url


def template_name(size: int) -> str:
    return f"{DB}_template_{size}"


def from_template(cluster: LocalCluster, size: int) -> str | None:
    """With --reuse: the run's database copied from the filled template of `size` kept by
    an earlier run (a file copy: seconds, where filling 1,000,000 issues takes minutes);
    None when there is none."""
    with _admin(cluster) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (template_name(size),)
        ).fetchone():
            return None
        _drop(conn, DB)
        conn.execute(f'CREATE DATABASE "{DB}" TEMPLATE "{template_name(size)}" STRATEGY FILE_COPY')
    return cluster.url(DB)


def keep_template(cluster: LocalCluster, size: int) -> None:
    """Keep the freshly filled database as the template of `size` for later --reuse runs."""
    with _admin(cluster) as conn:
        _drop(conn, template_name(size))
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (DB,)
        )
        conn.execute(f'CREATE DATABASE "{template_name(size)}" TEMPLATE "{DB}" STRATEGY FILE_COPY')


def fill(url: str, size: int) -> int:
    """Bulk-load issues (the importer's COPY path) until the table holds `size` rows."""
    engine = create_engine(url)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM issue")).scalar_one()
    n = max(size - have, 0)
    if n:
        frame = random_points(engine, n)
        with engine.connect() as conn, conn.begin():
            issues.copy_issue_points(conn, frame)
            issues.place_staged_issues(conn, tolerance_m=30.0)
            issues.load_staged_issues(conn, rows=n, note="load benchmark row ")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE issue"))
        conn.commit()
        total = conn.execute(text("SELECT count(*) FROM issue")).scalar_one()
    engine.dispose()
    return total


def reporter_points(url: str, n: int = 20_000) -> list[tuple[float, float]]:
    """Points inside the villages for the reporters to record."""
    engine = create_engine(url)
    frame = random_points(engine, n, seed=7)
    engine.dispose()
    return list(zip(frame["lon"].tolist(), frame["lat"].tolist(), strict=True))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_service(url: str, port: int, workers: int, reporters: int) -> subprocess.Popen[bytes]:
    """uvicorn on the loopback, in its own process group; returns once every worker has
    started (a worker still importing the app would leave the load to the others).

    Each worker's pool holds as many connections as there are reporters: the kernel hands
    the reporters' keep-alive connections to the workers unevenly (30 and 20, say), and a
    worker serving more requests at once than its pool holds opens and closes a PostgreSQL
    backend (fork, PostGIS's caches) for the excess on every request."""
    env = os.environ | {
        "DATABASE_URL": url,
        "CUNRONG_DATABASE_URL": url,
        "CUNRONG_DB_POOL_SIZE": str(reporters),
    }
    path = ROOT / "data" / "load-service.log"
    log = path.open("ab")
    offset = path.stat().st_size
    print(f"  service on http://{HOST}:{port} ({workers} workers); its log: {log.name}")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.app:create_app",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "info",
            "--no-access-log",
            "--timeout-worker-healthcheck",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    return wait_serving(proc, port, workers, path, offset)


def wait_serving(
    proc: subprocess.Popen[bytes], port: int, workers: int, log: Path, offset: int
) -> subprocess.Popen[bytes]:
    """Return `proc` once /health answers and every worker has logged its start-up in `log`
    (from `offset` on); stop it and raise when it has not within two minutes."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with log.open("rb") as f:
            f.seek(offset)
            started = f.read().count(b"Application startup complete")
        try:
            ok = httpx.get(f"http://{HOST}:{port}/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            ok = False
        if ok and started >= workers:
            return proc
        time.sleep(0.3)
    stop_service(proc)
    raise RuntimeError(f"the service did not start; see {log}")


def stop_service(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


@dataclass
class Run:
    """What the reporters saw."""

    started: float = field(default_factory=time.monotonic)
    latencies: list[tuple[float, float, int]] = field(default_factory=list)
    """(finish time, seconds, the client's local port) of each acknowledged create."""
    owners: dict[int, int] = field(default_factory=dict)
    """Which service worker (pid) holds each client port's connection, read once the
    connections are open (after the warm-up)."""
    acknowledged: set[uuid.UUID] = field(default_factory=set)
    failures: dict[str, int] = field(default_factory=dict)
    counting_from: float = 0.0
    """End of the warm-up: the steady figures count from here to the restart."""
    restart_at: float | None = None
    back_at: float | None = None
    first_success_after: float | None = None
    done: int = 0
    statements: dict[str, tuple[int, float]] = field(default_factory=dict)
    """Statements run between the start and the restart (or the end), by text."""
    counted: int = 0
    """Creates acknowledged in that window."""
    cpu_service: float = 0.0
    cpu_database: float = 0.0
    cpu_client: float = 0.0
    """CPU seconds of the service (all workers), of PostgreSQL and of this load client in
    that window."""


class HttpConnection:
    """One keep-alive HTTP/1.1 connection over the loopback, written by hand so that the
    load client costs little CPU (httpx spends more per request than the service's own
    routing does, and the client shares the same 2 cores). Real requests: a JSON body, a
    bearer token, the status and the JSON answer read back."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.head = (
            f"POST /issues HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            "Content-Length: "
        ).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.local_port = 0

    async def post(self, body: bytes) -> tuple[int, bytes]:
        """POST /issues; (status, body). Raises OSError/IncompleteReadError on a broken
        connection (which is then closed and reopened by the next call)."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            self.local_port = int(self.writer.get_extra_info("sockname")[1])
        assert self.reader is not None
        try:
            self.writer.write(b"%s%d\r\n\r\n%s" % (self.head, len(body), body))
            head = await self.reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            lower = head.lower()
            at = lower.find(b"content-length:")
            if at < 0:
                raise OSError("an answer without Content-Length")
            length = int(lower[at + 15 : lower.index(b"\r\n", at)])
            answer = await self.reader.readexactly(length)
            if b"connection: close" in lower:
                self.close()
            return status, answer
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def reporter(
    port: int,
    token: str,
    points: list[tuple[float, float]],
    categories: list[str],
    run: Run,
    until: float,
    found_on: str,
    pace: float = 0.0,
) -> None:
    """One reporter: creates back to back (`pace` 0, a closed loop: the service's saturation),
    or at random times `pace` creates/s on average (Poisson arrivals, an open loop: the
    latency at a given load). With a pace the latency counts from the time the create was
    due, so a create held up behind a slow one is charged its wait too."""
    rng = random.Random()
    conn = HttpConnection(port, token)
    due = time.monotonic() + (rng.expovariate(pace) if pace else 0.0)
    await asyncio.sleep(rng.uniform(0, STAGGER_S))
    try:
        while time.monotonic() < until and run.done < MAX_CREATES:
            if pace:
                await asyncio.sleep(max(due - time.monotonic(), 0.0))
            lon, lat = rng.choice(points)
            issue_id = uuid.uuid4()
            body = orjson.dumps(
                {
                    "id": str(issue_id),
                    "category": rng.choice(categories),
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "found_on": found_on,
                }
            )
            while time.monotonic() < until:  # retry the same id until it is acknowledged
                start = time.monotonic()
                try:
                    code, answer = await asyncio.wait_for(conn.post(body), 30)
                    status = str(code)
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    conn.close()
                    status, answer = type(exc).__name__, b""
                end = time.monotonic()
                if status in ("200", "201"):
                    if orjson.loads(answer).get("id") != str(issue_id):
                        raise RuntimeError(f"acknowledged another id: {answer[:200]!r}")
                    since = due if pace else start
                    run.latencies.append((end, end - since, conn.local_port))
                    run.acknowledged.add(issue_id)
                    run.done += 1
                    if run.back_at is not None and run.first_success_after is None:
                        run.first_success_after = end - run.back_at
                    due += rng.expovariate(pace) if pace else 0.0
                    break
                run.failures[status] = run.failures.get(status, 0) + 1
                if status.startswith("4"):
                    print(f"    refused: {status} {answer[:200]!r}")
                    break
                await asyncio.sleep(0.05)
    finally:
        conn.close()


async def drive(
    port: int,
    token: str,
    points: list[tuple[float, float]],
    categories: list[str],
    *,
    reporters: int,
    seconds: float,
    restart: LocalCluster | None,
    url: str,
    cluster: LocalCluster,
    service: int,
    found_on: str,
    rate: float = 0.0,
) -> Run:
    run = Run()
    mark: dict[str, float] = {}

    async def open_window() -> None:
        """Start counting once every connection is open and every plan cached."""
        await asyncio.sleep(min(WARM_UP_S, seconds / 4))
        await asyncio.to_thread(statement_counts, url, reset=True)
        run.owners = await asyncio.to_thread(connection_owners, port)
        run.counting_from = time.monotonic()
        mark.update(
            creates=len(run.acknowledged),
            service=cpu_seconds(service),
            database=cpu_seconds(postmaster(cluster)),
            client=time.process_time(),
        )

    async def close_window() -> None:
        run.counted = len(run.acknowledged) - int(mark["creates"])
        run.cpu_service = cpu_seconds(service) - mark["service"]
        run.cpu_database = cpu_seconds(postmaster(cluster)) - mark["database"]
        run.cpu_client = time.process_time() - mark["client"]
        run.statements = await asyncio.to_thread(statement_counts, url)

    until = run.started + seconds
    tasks = [
        asyncio.create_task(
            reporter(port, token, points, categories, run, until, found_on, rate / reporters)
        )
        for _ in range(reporters)
    ]
    await open_window()
    if restart is not None:
        await asyncio.sleep(max(run.started + seconds / 2 - time.monotonic(), 0))
        await close_window()
        run.restart_at = time.monotonic()
        await asyncio.to_thread(restart.stop)
        await asyncio.to_thread(restart.start)
        run.back_at = time.monotonic()
    await asyncio.gather(*tasks)
    if restart is None:
        await close_window()
    return run


def connection_owners(port: int) -> dict[int, int]:
    """{client port: pid of the service worker holding that connection}, from `ss`: how the
    kernel spread the reporters' keep-alive connections over the workers (a worker holding
    more of them queues its requests longer)."""
    listing = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    owners = {}
    for line in listing.splitlines():
        fields = line.split()
        pid = re.search(r"pid=(\d+)", line)
        if len(fields) >= 4 and pid:
            owners[int(fields[3].rsplit(":", 1)[1])] = int(pid.group(1))
    return owners


def run_loop(coro: Any) -> Run:
    """Run the reporters on uvloop when it is installed (cheaper per request), else asyncio."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def missing(url: str, acknowledged: set[uuid.UUID]) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM issue WHERE id = ANY(:ids)"), {"ids": list(acknowledged)}
        ).scalar_one()
    engine.dispose()
    return len(acknowledged) - found


def report(size: int, run: Run, lost: int) -> dict[str, float]:
    cut = run.restart_at or (run.started + 1e9)
    begin = run.counting_from or run.started
    steady = [s for t, s, _ in run.latencies if begin <= t < cut]
    span = (cut if run.restart_at else max(t for t, _, _ in run.latencies)) - begin
    rate = len(steady) / span if span > 0 else 0.0
    p50 = statistics.median(steady) * 1000 if steady else float("nan")
    p95 = float(np.percentile(steady, 95)) * 1000 if steady else float("nan")
    total_span = max(t for t, _, _ in run.latencies) - run.started if run.latencies else 0
    print(f"  table size            {size:>12,} issues")
    print(f"  creates (steady)      {rate:>12.1f} /s   ({len(steady):,} in {span:.1f} s)")
    print(f"  latency p50 / p95     {p50:>8.0f} / {p95:.0f} ms")
    print(f"  creates (whole run)   {len(run.latencies) / total_span:>12.1f} /s (with the restart)")
    print(f"  failed attempts       {sum(run.failures.values()):>12,}   {run.failures}")
    print(f"  acknowledged          {len(run.acknowledged):>12,}")
    print(f"  acknowledged-missing  {lost:>12,}   (must be 0)")
    calls = sum(n for n, _ in run.statements.values())
    trips = calls / run.counted if run.counted else float("nan")
    print(
        f"  round trips / create  {trips:>12.1f}   (statements / creates; after the warm-up,"
        " before the restart)"
    )
    if run.counted:
        service_ms = run.cpu_service / run.counted * 1000
        database_ms = run.cpu_database / run.counted * 1000
        client_ms = run.cpu_client / run.counted * 1000
        print(
            f"  CPU per create        {service_ms + database_ms:>12.1f} ms"
            f"  (service {service_ms:.1f} + PostgreSQL {database_ms:.1f}; 2 cores at 200/s"
            " allow 10 with the client)"
        )
        print(f"  client CPU per create {client_ms:>12.1f} ms  (this load generator)")
    print("    per create  ms each  statement")
    for query, (n, ms) in sorted(run.statements.items(), key=lambda q: -q[1][0])[:16]:
        per = n / run.counted if run.counted else float("nan")
        print(f"    {per:10.2f}  {ms / n:7.2f}  {' '.join(query.split())[:90]}")
    timeline = []
    for second in range(0, int(max(t for t, _, _ in run.latencies) - run.started) + 1, 4):
        done = [s for t, s, _ in run.latencies if second <= t - run.started < second + 4]
        if done:
            timeline.append(f"{second}s {len(done) / 4:.0f}/s {np.percentile(done, 95) * 1000:.0f}")
    print(f"  every 4 s: rate, p95 ms  {' | '.join(timeline)}")
    by_worker: dict[int, list[float]] = {}
    for t, s, local in run.latencies:
        if begin <= t < cut and local in run.owners:
            by_worker.setdefault(run.owners[local], []).append(s)
    for pid, seconds in sorted(by_worker.items()):
        held = sum(1 for owner in run.owners.values() if owner == pid)
        print(
            f"  worker {pid:<8}       {held:>3} connections, {len(seconds) / len(steady):6.1%}"
            f" of the creates, p50 / p95 {statistics.median(seconds) * 1000:.0f} /"
            f" {float(np.percentile(seconds, 95)) * 1000:.0f} ms"
        )
    if run.restart_at is not None and run.back_at is not None:
        print(f"  database down         {run.back_at - run.restart_at:>12.2f} s (stop + start)")
        first = run.first_success_after
        print(
            "  first success after   "
            + (f"{first:>12.2f} s after the database was back" if first is not None else "never")
        )
    cpu = (run.cpu_service + run.cpu_database) / run.counted * 1000 if run.counted else 0.0
    client = run.cpu_client / run.counted * 1000 if run.counted else 0.0
    return {"rate": rate, "p50": p50, "p95": p95, "trips": trips, "cpu": cpu, "client": client}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--reporters", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-restart", action="store_true")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="creates/s offered by all reporters together, at random times (an open loop:"
        " the latency at that load, counted from when each create was due); default 0:"
        " every reporter posts again as soon as it is answered (the saturation rate)",
    )
    parser.add_argument(
        "--found-on",
        default=date.today().isoformat(),
        help="the day the reporters say they found their issues (default today: each create"
        " then notifies its village's users, as in the field; a day over a week back tells"
        " nobody)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep each filled table size as a template database and start later runs"
        " from a copy of it (the 1,000,000 fill takes minutes)",
    )
    args = parser.parse_args()
    if not 1 <= args.seconds <= 600 or not 1 <= args.reporters <= 200:
        parser.error("--seconds within 1..600 and --reporters within 1..200")
    sizes = [int(s) for s in args.sizes.split(",")]
    if max(sizes) > 2_000_000:
        parser.error("sizes up to 2,000,000")

    cluster = LocalCluster(ROOT / "data" / "bench-pgdata")
    cluster.start()
    try:
        with_statement_counts(cluster)
        run_sizes(cluster, sizes, args)
    finally:
        cluster.stop()


def run_sizes(cluster: LocalCluster, sizes: list[int], args: argparse.Namespace) -> None:
    """Fill, serve and drive each size in turn; print the summary."""
    results = {}
    for size in sizes:
        print(f"\n== {size:,} issues, {args.reporters} reporters, {args.seconds:.0f} s", flush=True)
        url = from_template(cluster, size) if args.reuse else None
        if url is None:
            _, url = timed("fresh database with the sample town", lambda: fresh_database(cluster))
            _, total = timed(
                f"bulk-load to {size:,} issues (COPY path)", lambda u=url, n=size: fill(u, n)
            )
            if args.reuse:
                keep_template(cluster, size)
        else:
            upgrade(url)  # a template kept before a new migration gets it now
            total = fill(url, size)
            print(f"  copied the kept template of {size:,} issues")
        engine = create_engine(url)
        with engine.begin() as conn:
            _, token = create_user(conn, name="load-inspector", role="inspector")
            categories = list(conn.execute(text("SELECT code FROM category")).scalars())
        engine.dispose()
        points = reporter_points(url)
        port = free_port()
        service = start_service(url, port, args.workers, args.reporters)
        try:
            run = run_loop(
                drive(
                    port,
                    token,
                    points,
                    categories,
                    reporters=args.reporters,
                    seconds=args.seconds,
                    restart=None if args.no_restart else cluster,
                    url=url,
                    cluster=cluster,
                    service=service.pid,
                    found_on=args.found_on,
                    rate=args.rate,
                )
            )
        finally:
            stop_service(service)
        lost = missing(url, run.acknowledged)
        results[size] = report(total, run, lost)
    if len(results) > 1:
        small, large = min(results), max(results)
        print("\nSummary")
        for size, r in results.items():
            print(
                f"  {size:>10,}: {r['rate']:7.1f} creates/s, p95 {r['p95']:5.0f} ms,"
                f" {r['trips']:.1f} round trips and {r['cpu']:.1f} ms CPU per create"
                f" (+ {r['client']:.1f} ms of the client)"
            )
        ratio = results[large]["rate"] / results[small]["rate"] if results[small]["rate"] else 0
        print(f"  rate at {large:,} / rate at {small:,} = {ratio:.2f}")
        print("  targets at 1,000,000: ≥ 200 creates/s, p95 ≤ 250 ms")


if __name__ == "__main__":
    main()
