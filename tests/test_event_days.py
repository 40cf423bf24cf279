"""Every issue event has `on` (the day the action happened) and `recorded_at` (when typed);
the ledger's 整改过程 reads like a Chinese ledger, in the order the actions happened."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import Connection, create_engine, text

from geo.errors import InvalidInput
from geo.events import EVENT_WORDS, Step, ledger_history, recheck_outcome
from geo.issue_filter import IssueFilter
from geo.ledger import ledger_rows
from geo.loop import NewIssue, action_day, create_issue, transition
from geo.migrate import upgrade
from geo.models import EVENT_KINDS
from tests.town import add_square_village


def _after_photo(conn: Connection, issue_id: uuid.UUID) -> uuid.UUID:
    photo = uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO photo (id, issue_id, kind, sha256, path, mime, bytes)"
            " VALUES (:p, :i, 'after', :s, 'x.jpg', 'image/jpeg', 1)"
        ),
        {"p": photo, "i": issue_id, "s": uuid.uuid4().hex * 2},
    )
    return photo


def _issue(conn: Connection, found_on: date = date(2024, 3, 5)) -> uuid.UUID:
    add_square_village(conn)
    return create_issue(
        conn,
        NewIssue(category="clutter", lon=117.195, lat=39.285, found_on=found_on),
        actor="inspector",
    ).id


def _submit(conn: Connection, issue: uuid.UUID, on: date, note: str | None = None) -> None:
    """The village submits with an after-photo, dated `on`."""
    photo = _after_photo(conn, issue)
    transition(
        conn,
        issue_id=issue,
        action="submit",
        version=1,
        actor="west",
        photo_ids=[photo],
        note=note,
        on=on,
    )


def test_the_ledger_history_reads_in_chinese_with_the_days_given(session):
    conn = session.connection()
    issue = _issue(conn)
    # typed in today, dated the days they happened
    _submit(conn, issue, date(2024, 3, 12), note="已清运")
    transition(conn, issue_id=issue, action="close", version=2, actor="i", on=date(2024, 4, 10))

    (row,) = ledger_rows(conn, IssueFilter(villages=("W01",)), as_of=date(2024, 6, 1))
    assert row["history"] == (
        "2024-03-05 登记；2024-03-12 村委提交整改（已清运）；2024-04-10 检查员复核通过，销号"
    )
    assert (row["outcome"], row["closed_on"]) == ("复核通过，销号", date(2024, 4, 10))
    stored = conn.execute(
        text(
            'SELECT kind, "on", recorded_at::date FROM issue_event WHERE issue_id = :i ORDER BY id'
        ),
        {"i": issue},
    ).all()
    assert [(k, on) for k, on, _ in stored] == [
        ("created", date(2024, 3, 5)),
        ("submitted", date(2024, 3, 12)),
        ("closed", date(2024, 4, 10)),
    ]
    # typed today, whatever day the action happened
    assert {typed for _, _, typed in stored} <= {date.today(), date.today() - timedelta(days=1)}


def test_every_event_kind_has_chinese_and_english_words():
    assert tuple(EVENT_WORDS) == EVENT_KINDS
    for kind, words in EVENT_WORDS.items():
        assert words.zh and words.en, kind
        assert not any("a" <= ch.lower() <= "z" for ch in words.zh), kind
    steps = [
        Step(date(2024, 3, 5), "created", None),
        Step(date(2024, 4, 11), "unrectified", "现场未见整改"),
        Step(date(2024, 4, 14), "submitted", None),
        Step(date(2024, 5, 2), "inadequate", None),
    ]
    assert ledger_history(steps) == (
        "2024-03-05 登记；2024-04-11 检查员复核未整改（现场未见整改）；"
        "2024-04-14 村委提交整改；2024-05-02 检查员复核整改不到位"
    )
    assert recheck_outcome(steps) == "整改不到位"
    assert recheck_outcome(steps[:1]) == ""


def test_a_transition_day_in_the_future_or_before_the_find_is_refused(session):
    conn = session.connection()
    issue = _issue(conn)
    for on, words in (
        (date.today() + timedelta(days=1), "in the future"),
        (date(2024, 3, 4), "before the issue was found (2024-03-05)"),
    ):
        with pytest.raises(InvalidInput) as refused:
            _submit(conn, issue, on)
        assert refused.value.field == "on" and words in refused.value.message
    status = conn.execute(text("SELECT status FROM issue WHERE id = :i"), {"i": issue})
    assert status.scalar_one() == "open"


def test_the_action_day_defaults_to_today_and_may_be_the_day_found():
    today = date(2024, 6, 1)
    assert action_day(None, found_on=date(2024, 5, 1), today=today) == today
    assert action_day(date(2024, 5, 1), found_on=date(2024, 5, 1), today=today) == date(2024, 5, 1)
    assert action_day(today, found_on=date(2024, 5, 1), today=today) == today


def test_migration_0006_keeps_history_and_dates_it_in_the_towns_calendar(pg_server):
    name = pg_server.create()
    url = pg_server.url_of(name)
    try:
        upgrade(url, "0005")
        engine = create_engine(url)
        with engine.begin() as conn:
            add_square_village(conn)
            issue = conn.execute(
                text(
                    "INSERT INTO issue (id, code, category_code, geom, source, found_on, status,"
                    " version) VALUES (gen_random_uuid(), 'W01-202403-0001', 'clutter',"
                    " ST_SetSRID(ST_MakePoint(117.195, 39.285), 4326), 'inspection',"
                    " '2024-03-05', 'submitted', 2) RETURNING id"
                )
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO issue_event (issue_id, kind, to_status, at, note) VALUES"
                    " (:i, 'created', 'open', '2024-03-05T23:30:00+00:00', 'late evening UTC'),"
                    " (:i, 'submitted', 'submitted', '2024-03-12T09:00:00+08:00', '已清运')"
                ),
                {"i": issue},
            )
        upgrade(url)
        with engine.connect() as conn:
            rows = conn.execute(
                text('SELECT "on", recorded_at, note FROM issue_event ORDER BY id')
            ).all()
        engine.dispose()
    finally:
        pg_server.drop(name)
    # 23:30 UTC is 07:30 the next morning in the town
    assert [(r.on, r.note) for r in rows] == [
        (date(2024, 3, 6), "late evening UTC"),
        (date(2024, 3, 12), "已清运"),
    ]
    assert rows[1].recorded_at.isoformat().startswith("2024-03-12T0")
