"""A retry racing its original (same client id, both in flight) gets the one stored issue.

Real concurrency against PostGIS: a uvicorn server on the loopback and client threads,
and two database transactions interleaved by hand.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest
from sqlalchemy import Engine, create_engine, event, text

from geo.loop import NewIssue, create_issue
from service.app import create_app
from service.settings import ServiceSettings
from tests.server import serving


@pytest.fixture
def server(two_villages_url: str, tmp_path) -> Iterator[str]:
    """The service on 127.0.0.1 (a free port), served by uvicorn in a thread (tests.server)."""
    app = create_app(ServiceSettings(database_url=two_villages_url))
    app.state.photo_root = tmp_path / "photos"
    with serving(app) as url:
        yield url


def wait_until_blocked(
    engine: Engine, condition: str, thread: threading.Thread, outcome: dict, never: str
) -> None:
    """Wait until a backend of the test database waits as `condition` says (a
    pg_stat_activity condition written in this file) while `thread` still runs."""
    deadline = time.monotonic() + 60
    with engine.connect() as watch:
        while True:
            waiting = watch.execute(
                text(
                    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity"
                    f" WHERE datname = current_database() AND {condition})"
                )
            ).scalar_one()
            watch.rollback()  # pg_stat_activity is a snapshot per transaction: take a new one
            if waiting:
                return
            assert thread.is_alive(), outcome
            assert time.monotonic() < deadline, never
            time.sleep(0.02)


def test_overlapping_retries_over_http_store_one_issue_and_never_500(
    server, tokens, two_villages_url
):
    ids = [str(uuid.uuid4()) for _ in range(8)]
    body = {
        "category": "clutter",
        "geometry": {"type": "Point", "coordinates": [117.195, 39.2855]},
        "found_on": "2024-05-06",
    }
    attempts = [client_id for client_id in ids for _ in range(6)]
    barrier = threading.Barrier(len(attempts))

    def post(client_id: str) -> tuple[str, int, dict]:
        with httpx.Client(base_url=server, timeout=30) as client:
            barrier.wait()
            r = client.post("/issues", json=body | {"id": client_id}, headers=tokens["inspector"])
            return client_id, r.status_code, r.json()

    with ThreadPoolExecutor(len(attempts)) as pool:
        results = list(pool.map(post, attempts))

    statuses = Counter(status for _, status, _ in results)
    assert set(statuses) <= {200, 201}, results
    for client_id in ids:
        mine = [(status, out) for cid, status, out in results if cid == client_id]
        assert [s for s, _ in mine].count(201) == 1, mine
        assert {out["code"] for _, out in mine} == {mine[0][1]["code"]}
        assert {out["id"] for _, out in mine} == {client_id}
    engine = create_engine(two_villages_url)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM issue WHERE id = ANY(CAST(:ids AS uuid[]))"), {"ids": ids}
        ).scalar_one()
        events = conn.execute(
            text(
                "SELECT count(*) FROM issue_event WHERE kind = 'created'"
                " AND issue_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": ids},
        ).scalar_one()
    engine.dispose()
    assert (stored, events) == (len(ids), len(ids))


def test_a_retry_blocked_behind_its_uncommitted_original_returns_it(two_villages_url):
    """The exact race: the retry starts after the original inserted but before it commits."""
    engine = create_engine(two_villages_url, pool_size=3)
    client_id = uuid.uuid4()
    new = NewIssue(
        category="weeds", lon=117.205, lat=39.2851, found_on=date(2024, 6, 1), id=client_id
    )
    first_conn = engine.connect()
    first_trans = first_conn.begin()
    first = create_issue(first_conn, new, actor="a")
    outcome: dict[str, object] = {}

    def retry() -> None:
        with engine.begin() as conn:
            try:
                outcome["result"] = create_issue(conn, new, actor="b")
            except Exception as exc:  # reported below, with the test's assertion
                outcome["error"] = exc

    thread = threading.Thread(target=retry)
    thread.start()
    wait_until_blocked(
        engine,
        "wait_event_type = 'Lock'",
        thread,
        outcome,
        "the retry never waited for the original",
    )
    first_trans.commit()
    first_conn.close()
    thread.join(30)
    engine.dispose()
    assert "error" not in outcome, outcome
    again = outcome["result"]
    assert first.created and not again.created  # type: ignore[attr-defined]
    assert again.code == first.code and again.id == client_id  # type: ignore[attr-defined]


def test_a_create_waiting_for_the_code_lock_takes_the_next_code(two_villages_url):
    """Two new issues of one village and month: the second's insert waits for the first's
    lock on the code; its snapshot predates the first's commit, so its first try meets
    the code in the unique index and does nothing, and its second try takes the next."""
    engine = create_engine(two_villages_url, pool_size=3)
    where = {"category": "weeds", "lon": 117.205, "lat": 39.2851, "found_on": date(2024, 7, 3)}
    first_conn = engine.connect()
    first_trans = first_conn.begin()
    first = create_issue(first_conn, NewIssue(**where, id=uuid.uuid4()), actor="a")
    outcome: dict[str, object] = {}
    sent: list[str] = []

    def second() -> None:
        with engine.begin() as conn:
            event.listen(conn, "before_cursor_execute", lambda *a: sent.append(a[2]))
            try:
                outcome["result"] = create_issue(conn, NewIssue(**where), actor="b")
            except Exception as exc:  # reported below, with the test's assertion
                outcome["error"] = exc

    thread = threading.Thread(target=second)
    thread.start()
    wait_until_blocked(
        engine,
        "wait_event = 'advisory'",
        thread,
        outcome,
        "the second create never waited for the lock",
    )
    first_trans.commit()
    first_conn.close()
    thread.join(30)
    engine.dispose()
    assert "error" not in outcome, outcome
    later = outcome["result"]
    assert first.created and later.created  # type: ignore[attr-defined]
    prefix = first.code.rsplit("-", 1)[0]
    assert later.code == f"{prefix}-{int(first.code.rsplit('-', 1)[1]) + 1:04d}"  # type: ignore[attr-defined]
    inserts = [s for s in sent if "INSERT INTO issue " in s]
    assert len(inserts) == 2, "the stale first try, then the one that stored it"
