"""Recording an issue is two statements: one look-up, one insert (issue 10, create at scale).

Counted, never timed: the statements `create_issue` sends for a new issue, a retry and a
dry run; the look-up's plan probes the GiST indexes; the codes stay gapless under the lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Connection, event, text

from geo.assign import placement_params
from geo.coords import M_PER_DEG_MIN
from geo.deadlines import deadline_rule
from geo.loop import (
    DEFAULT_DETECTION,
    NewIssue,
    check_new_issue,
    create_issue,
    insert_sql,
    look_sql,
    transition,
)
from tests.town import add_square_village


@contextmanager
def statements(conn: Connection) -> Iterator[list[str]]:
    """The SQL statements sent on `conn` inside the block."""
    sent: list[str] = []

    def log(_conn, _cursor, statement, _params, _context, _many):
        sent.append(statement)

    event.listen(conn, "before_cursor_execute", log)
    try:
        yield sent
    finally:
        event.remove(conn, "before_cursor_execute", log)


def new(**kw) -> NewIssue:
    base = {"category": "clutter", "lon": 117.195, "lat": 39.285, "found_on": date(2024, 3, 5)}
    return NewIssue(**(base | kw))


def test_a_new_issue_is_one_look_up_and_one_insert(session):
    conn = session.connection()
    add_square_village(conn)
    create_issue(conn, new(), actor="warm-up")  # caches the connection's collation once

    with statements(conn) as sent:
        first = create_issue(conn, new(id=uuid.uuid4()), actor="i")
    # First the transaction's plan mode (generic plans for the prepared look-up and
    # insert), then the look-up and the insert.
    assert len(sent) == 3 and "plan_cache_mode" in sent[0], sent
    assert first.created and first.code == "W01-202403-0002"

    with statements(conn) as sent:  # a retry of the same id: the look-up alone answers it
        again = create_issue(conn, new(id=first.id), actor="i")
    assert len(sent) == 2 and "plan_cache_mode" in sent[0], sent
    assert not again.created and again.code == first.code

    with statements(conn) as sent:
        check = check_new_issue(
            conn, category="clutter", lon=117.195, lat=39.285, found_on=date(2024, 3, 6)
        )
    assert len(sent) == 1, sent
    assert {d.code for d in check.possible_duplicates} == {first.code, "W01-202403-0001"}


def test_the_insert_writes_the_events_of_a_rebound_in_order(session):
    conn = session.connection()
    add_square_village(conn)
    closed = create_issue(conn, new(), actor="i")
    photo = uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO photo (id, issue_id, kind, sha256, path, mime, bytes)"
            " VALUES (:p, :i, 'after', :sha, 'x.jpg', 'image/jpeg', 10)"
        ),
        {"p": photo, "i": closed.id, "sha": "b" * 64},
    )
    step = transition(
        conn,
        issue_id=closed.id,
        action="submit",
        version=1,
        actor="v",
        photo_ids=[photo],
        on=date(2024, 3, 10),
    )
    transition(
        conn,
        issue_id=closed.id,
        action="close",
        version=step.version,
        actor="i",
        on=date(2024, 3, 12),
    )
    again = create_issue(conn, new(found_on=date(2024, 4, 2), lat=39.2851), actor="i")
    assert again.rebound_of is not None and again.rebound_of.code == closed.code
    kinds = conn.execute(
        text(
            "SELECT kind, from_status, to_status, note FROM issue_event"
            " WHERE issue_id = :i ORDER BY id"
        ),
        {"i": again.id},
    ).all()
    assert [k.kind for k in kinds] == ["created", "rebound_linked"]
    assert kinds[1].from_status == "open" and kinds[1].to_status == "open"
    assert closed.code in kinds[1].note and kinds[0].note is None


def test_codes_past_9999_keep_every_digit(session):
    conn = session.connection()
    add_square_village(conn)
    conn.execute(
        text(
            "INSERT INTO issue (id, code, category_code, geom, source, found_on, status, version)"
            " VALUES (gen_random_uuid(), 'W01-202403-9999', 'weeds',"
            " ST_SetSRID(ST_MakePoint(117.19, 39.28), 4326), 'inspection', DATE '2024-03-01',"
            " 'open', 1)"
        )
    )
    assert create_issue(conn, new(), actor="i").code == "W01-202403-10000"


def test_the_look_up_probes_the_indexes(session):
    conn = session.connection()
    add_square_village(conn)
    conn.execute(
        text(
            "INSERT INTO issue (id, code, category_code, geom, source, found_on, status,"
            " closed_on, version)"
            " SELECT gen_random_uuid(), 'X-' || k, (ARRAY['clutter', 'weeds'])[k % 2 + 1],"
            "  ST_SetSRID(ST_MakePoint(117.18 + random() * 0.03, 39.27 + random() * 0.03), 4326),"
            "  'inspection', DATE '2024-01-01', CASE WHEN k % 3 = 0 THEN 'closed' ELSE 'open' END,"
            "  CASE WHEN k % 3 = 0 THEN DATE '2024-02-01' END, 1"
            " FROM generate_series(1, 20000) k"
        )
    )
    conn.execute(text("ANALYZE issue"))
    d = DEFAULT_DETECTION
    params = placement_params(tolerance_m=d.tolerance_m, metric_srid=d.metric_srid) | {
        "lon": 117.195,
        "lat": 39.285,
        "category": "clutter",
        "found_on": date(2024, 3, 5),
        "round_id": None,
        "id": uuid.uuid4(),
        "rebound_radius": d.rebound_radius_m,
        "rebound_deg": d.rebound_radius_m / M_PER_DEG_MIN,
        "days": d.rebound_days,
        "duplicate_radius": d.duplicate_radius_m,
        "duplicate_deg": d.duplicate_radius_m / M_PER_DEG_MIN,
        "month": "-202403-",
        "lock": False,
    }
    plan = "\n".join(
        conn.execute(text("EXPLAIN " + look_sql(deadline_rule("next_round"))), params).scalars()
    )
    assert plan.count("idx_issue_geom") == 2, plan  # the rebound and the duplicates
    assert "issue_pkey" in plan, plan  # the retry's id
    assert "Seq Scan on issue" not in plan, plan
    assert "insert into issue" in insert_sql().lower()
