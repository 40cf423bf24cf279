"""The closed loop: recording, rebounds, duplicates, transitions, versions, idempotent retries."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text

from geo.coords import wgs84_to_gcj02
from geo.errors import Conflict, InvalidInput, OutsideTown, UnknownCategory
from geo.loop import NewIssue, create_issue, transition
from tests.town import add_square_village

# At 39.285°N: 0.0001° of latitude ≈ 11.1 m; 0.0001° of longitude ≈ 8.6 m.


@pytest.fixture
def conn(session):
    c = session.connection()
    add_square_village(c)
    return c


def record(conn, *, lon=117.195, lat=39.285, category="clutter", found=date(2024, 3, 5), **kw):
    return create_issue(
        conn,
        NewIssue(category=category, lon=lon, lat=lat, found_on=found, **kw),
        actor="inspector-1",
    )


def add_after_photo(conn, issue_id):
    photo = uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO photo (id, issue_id, kind, sha256, path, mime, bytes)"
            " VALUES (:p, :i, 'after', :sha, 'x.jpg', 'image/jpeg', 10)"
        ),
        {"p": photo, "i": issue_id, "sha": "a" * 64},
    )
    return photo


def close(conn, issue, on):
    photo = add_after_photo(conn, issue.id)
    step = transition(
        conn, issue_id=issue.id, action="submit", version=1, actor="v", photo_ids=[photo], on=on
    )
    return transition(
        conn, issue_id=issue.id, action="close", version=step.version, actor="i", on=on
    )


def test_codes_number_issues_per_village_and_month(conn):
    assert record(conn).code == "W01-202403-0001"
    assert record(conn, lon=117.196).code == "W01-202403-0002"
    assert record(conn, found=date(2024, 4, 1)).code == "W01-202404-0001"


def test_full_loop_writes_one_event_per_step(conn):
    issue = record(conn)
    photo = add_after_photo(conn, issue.id)
    s1 = transition(
        conn, issue_id=issue.id, action="submit", version=1, actor="v", photo_ids=[photo]
    )
    s2 = transition(conn, issue_id=issue.id, action="inadequate", version=s1.version, actor="i")
    photo2 = add_after_photo(conn, issue.id)
    s3 = transition(
        conn, issue_id=issue.id, action="submit", version=s2.version, actor="v", photo_ids=[photo2]
    )
    s4 = transition(
        conn, issue_id=issue.id, action="close", version=s3.version, actor="i", on=date(2024, 4, 8)
    )
    assert (s4.status, s4.version) == ("closed", 5)
    kinds = conn.execute(
        text("SELECT kind FROM issue_event WHERE issue_id = :i ORDER BY id"), {"i": issue.id}
    ).scalars()
    assert list(kinds) == ["created", "submitted", "inadequate", "submitted", "closed"]
    closed_on = conn.execute(text("SELECT closed_on FROM issue WHERE id = :i"), {"i": issue.id})
    assert closed_on.scalar_one() == date(2024, 4, 8)


def test_submitting_needs_an_after_photo(conn):
    issue = record(conn)
    with pytest.raises(InvalidInput, match="after-photo") as err:
        transition(conn, issue_id=issue.id, action="submit", version=1, actor="v")
    assert err.value.field == "photo_ids"


def test_stale_version_and_illegal_step_conflict(conn):
    issue = record(conn)
    with pytest.raises(Conflict, match="changed meanwhile"):
        transition(conn, issue_id=issue.id, action="unrectified", version=7, actor="i")
    with pytest.raises(Conflict, match=r"cannot close .* while it is open"):
        transition(conn, issue_id=issue.id, action="close", version=1, actor="i")


def test_rebound_within_20_m_and_90_days_of_closing(conn):
    first = record(conn)
    close(conn, first, on=date(2024, 3, 20))
    # 0.0001° of latitude ≈ 11 m away, 40 days after closing, same category → rebound
    again = record(conn, lat=39.2851, found=date(2024, 4, 29))
    assert again.rebound_of is not None and again.rebound_of.code == first.code
    assert again.rebound_of.distance_m == pytest.approx(11.1, abs=0.3)
    # 0.0003° ≈ 33 m away → not a rebound; other category → not a rebound
    assert record(conn, lat=39.2853, found=date(2024, 4, 29)).rebound_of is None
    assert record(conn, category="weeds", found=date(2024, 4, 29)).rebound_of is None
    # 2024-03-20 + 91 days = 2024-06-19 → too late
    assert record(conn, lon=117.19501, found=date(2024, 6, 19)).rebound_of is None


def test_open_issue_of_same_category_within_10_m_is_a_possible_duplicate(conn):
    first = record(conn)
    near = record(conn, lon=117.19505)  # ≈ 4.3 m east
    assert [d.code for d in near.possible_duplicates] == [first.code]
    far = record(conn, lon=117.1953, lat=39.2853)
    assert far.possible_duplicates == []


def test_retry_with_the_same_client_id_creates_nothing_new(conn):
    client_id = uuid.uuid4()
    first = record(conn, id=client_id)
    again = record(conn, id=client_id)
    assert (again.id, again.code, again.created) == (first.id, first.code, False)
    assert conn.execute(text("SELECT count(*) FROM issue")).scalar_one() == 1
    with pytest.raises(Conflict, match="already used"):
        record(conn, id=client_id, category="weeds")


def test_gcj02_points_are_converted_back_to_wgs84(conn):
    glon, glat = wgs84_to_gcj02(117.195, 39.285)
    issue = create_issue(
        conn,
        NewIssue(category="clutter", lon=float(glon), lat=float(glat), found_on=date(2024, 3, 5)),
        actor="i",
        coords="gcj02",
    )
    lon, lat = conn.execute(
        text("SELECT ST_X(geom), ST_Y(geom) FROM issue WHERE id = :i"), {"i": issue.id}
    ).one()
    assert (lon, lat) == (pytest.approx(117.195, abs=1e-7), pytest.approx(39.285, abs=1e-7))


def test_bad_points_and_categories_are_named(conn):
    with pytest.raises(InvalidInput, match="swapped"):
        record(conn, lon=39.285, lat=117.195)
    with pytest.raises(InvalidInput, match="projected metres"):
        record(conn, lon=39_500_000.0, lat=4_350_000.0)
    with pytest.raises(OutsideTown, match="outside the town"):
        record(conn, lon=117.25, lat=39.285)
    with pytest.raises(UnknownCategory, match="closest: clutter") as err:
        record(conn, category="cluter")
    assert err.value.field == "category"


def test_concurrent_rechecks_one_wins_the_other_conflicts(fresh_url):
    """Two inspectors record an outcome for the same issue at once: the row lock serialises
    them, the second sees the first's version and gets a Conflict instead of overwriting."""
    import threading

    from sqlalchemy import create_engine

    engine = create_engine(fresh_url)
    with engine.begin() as c:
        add_square_village(c)
        issue = record(c)
    first = engine.connect()
    tx = first.begin()
    transition(first, issue_id=issue.id, action="unrectified", version=1, actor="a")
    outcome: list[object] = []

    def second() -> None:
        with engine.begin() as c:
            try:
                transition(c, issue_id=issue.id, action="unrectified", version=1, actor="b")
                outcome.append("applied")
            except Conflict as exc:
                outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=0.5)
    assert thread.is_alive()  # waiting on the first inspector's row lock
    tx.commit()
    first.close()
    thread.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    with engine.connect() as c:
        kinds = c.execute(text("SELECT actor FROM issue_event WHERE kind = 'unrectified'"))
        assert list(kinds.scalars()) == ["a"]
    engine.dispose()
