"""The notification rules: imports are summarised, history is quiet, reminders are once,
two workers never send one message twice, and the inbox API marks read."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.notify.fanout import event_message, fan_out
from geo.notify.post import Audience, Message, post
from geo.notify.queue import add_webhook, backoff_s
from service.app import create_app
from service.cli import app as cli
from service.notify.worker import run_once
from service.settings import ServiceSettings
from tests.cli import runner_for
from tests.service.mailbox import HookReceiver

W01_POINT = "ST_SetSRID(ST_MakePoint(117.191 + random() * 0.008, 39.281 + random() * 0.008), 4326)"


def _issues_with_events(conn, *, n: int, on: date, prefix: str) -> None:
    """`n` issues in W01 and their `created` events, each written by one statement."""
    conn.execute(
        text(
            "INSERT INTO issue (code, category_code, geom, village_id, source, found_on,"
            f" deadline, status, version) SELECT :p || g, 'clutter', {W01_POINT},"
            " (SELECT id FROM village WHERE code = 'W01'), 'inspection', :on, :on, 'open', 1"
            " FROM generate_series(1, :n) g"
        ),
        {"p": prefix, "on": on, "n": n},
    )
    conn.execute(
        text(
            'INSERT INTO issue_event (issue_id, kind, to_status, "on", actor)'
            " SELECT id, 'created', 'open', found_on, 'import' FROM issue WHERE code LIKE :like"
        ),
        {"like": prefix + "%"},
    )


def _inbox(conn, name: str) -> list[tuple[str, str]]:
    return [
        (r.kind, r.title_zh)
        for r in conn.execute(
            text(
                "SELECT n.kind, n.title_zh FROM notification n JOIN app_user u ON u.id = n.user_id"
                " WHERE u.name = :n ORDER BY n.id"
            ),
            {"n": name},
        )
    ]


def test_an_import_is_one_summary_per_village_not_one_message_per_issue(two_villages_url, tokens):
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        _issues_with_events(conn, n=150, on=date.today(), prefix="BULK-")
        _issues_with_events(conn, n=2, on=date.today(), prefix="FEW-")
    with engine.begin() as conn:
        done = fan_out(conn, bulk_events=100, max_age_days=7, email=False)
        assert done.statements == 2
        assert conn.execute(text("SELECT count(*) FROM notify_outbox")).scalar_one() == 0
        west = _inbox(conn, "west")
        assert [k for k, _ in west] == ["issues_imported", "issue_created", "issue_created"]
        assert "150" in west[0][1]
        assert [k for k, _ in _inbox(conn, "admin")] == ["issues_imported"]
        assert _inbox(conn, "east") == []
        assert conn.execute(text("SELECT count(*) FROM notification")).scalar_one() == 4
    engine.dispose()


def test_events_entered_late_tell_nobody(two_villages_url, tokens):
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        _issues_with_events(conn, n=1, on=date.today() - timedelta(days=30), prefix="OLD-")
        _issues_with_events(conn, n=1, on=date.today() - timedelta(days=3), prefix="RECENT-")
    with engine.begin() as conn:
        fan_out(conn, bulk_events=100, max_age_days=7, email=False)
        titles = [t for _, t in _inbox(conn, "west")]
    assert len(titles) == 1 and "RECENT-1" in titles[0]
    engine.dispose()


def test_deadline_reminders_are_sent_once_per_deadline(two_villages_url, tokens, tmp_path):
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE issue SET deadline = :d WHERE code = 'I1'"), {"d": "2024-03-12"})
    runner = runner_for(two_villages_url, notify_deadline_days=3)
    for day in ("2024-03-09", "2024-03-09", "2024-03-10", "2024-03-13"):
        ran = runner.invoke(cli, ["notify", "due", "--today", day])
        assert ran.exit_code == 0, ran.output
    with engine.connect() as conn:
        west = _inbox(conn, "west")
        admin = _inbox(conn, "admin")
    assert west == [
        ("deadline_near", "整改期限将到 I1（还有 3 天）"),
        ("deadline_passed", "已超整改期限 I1"),
    ]
    assert admin == [("deadline_passed", "已超整改期限 I1")]
    engine.dispose()


def test_two_workers_never_send_one_delivery_twice(two_villages_url, tokens):
    receiver = HookReceiver(delay_s=0.02)
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        add_webhook(conn, name="hub", url=receiver.url("/hub"), secret="s" * 20)
        for n in range(30):
            post(
                conn,
                Message(kind="verdict", key=f"test:{n}", title_zh=f"第{n}条", title_en=f"#{n}"),
                Audience(roles=("admin",)),
                email=False,
            )
    settings = ServiceSettings(database_url=two_villages_url, notify_worker=False)
    threads = [threading.Thread(target=run_once, args=(engine, settings)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [r.headers["X-Cunrong-Delivery"] for r in receiver.received]
    assert len(ids) == 30 and len(set(ids)) == 30
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM delivery_attempt")).scalar_one() == 30
        assert (
            conn.execute(text("SELECT count(*) FROM delivery WHERE status = 'sent'")).scalar_one()
            == 30
        )
    receiver.close()
    engine.dispose()


def test_backoff_doubles_up_to_its_cap():
    assert [backoff_s(n, base_s=30, max_s=200) for n in (1, 2, 3, 4, 5)] == [
        30,
        60,
        120,
        200,
        200,
    ]


def test_inbox_api_lists_and_marks_read(two_villages_url, tokens, tmp_path):
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        for n in range(3):
            post(
                conn,
                Message(kind="verdict", key=f"k{n}", title_zh=f"消息{n}", title_en=f"m{n}"),
                Audience(
                    village_id=conn.execute(
                        text("SELECT id FROM village WHERE code = 'W01'")
                    ).scalar_one()
                ),
                email=False,
            )
    engine.dispose()
    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, notify_worker=False
    )
    with TestClient(create_app(settings)) as client:
        mine = client.get("/me/notifications", headers=tokens["west"]).json()
        assert mine["unread"] == 3
        assert [i["title_zh"] for i in mine["items"]] == ["消息2", "消息1", "消息0"]
        first = mine["items"][0]["id"]
        assert client.get("/me/notifications", headers=tokens["east"]).json() == {
            "unread": 0,
            "items": [],
        }
        # someone else's message is not yours to mark
        other = client.post(f"/me/notifications/{first}/read", headers=tokens["east"])
        assert other.status_code == 404 and other.json()["field"] == "notification_id"
        read = client.post(f"/me/notifications/{first}/read", headers=tokens["west"])
        assert read.json() == {"unread": 2, "marked": 1}
        unread = client.get("/me/notifications?unread=true", headers=tokens["west"]).json()
        assert [i["title_zh"] for i in unread["items"]] == ["消息1", "消息0"]
        assert client.post("/me/notifications/read-all", headers=tokens["west"]).json() == {
            "unread": 0,
            "marked": 2,
        }
        assert client.get("/me/notifications").status_code == 401


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["notify", "email", "west", "not-an-address"], "email"),
        (["notify", "email", "nobody", "a@b.test"], "nobody"),
        (["notify", "webhook-add", "x", "ftp://example.test", "--secret", "s" * 20], "http(s)"),
        (["notify", "webhook-add", "x", "http://127.0.0.1:9/", "--secret", "short"], "16"),
        (["notify", "due", "--today", "2024-13-01"], "--today"),
    ],
)
def test_bad_cli_input_is_one_line_and_exit_1(two_villages_url, tokens, args, field):
    ran = runner_for(two_villages_url).invoke(cli, args)
    assert ran.exit_code == 1
    assert field in ran.output and "Traceback" not in ran.output


def test_the_service_worker_delivers_by_itself(two_villages_url, tokens, tmp_path):
    receiver = HookReceiver()
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        add_webhook(conn, name="hub", url=receiver.url("/hub"), secret="s" * 20)
    engine.dispose()
    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, notify_worker=True, notify_poll_s=0.2
    )
    with TestClient(create_app(settings)) as client:
        created = client.post(
            "/issues",
            json={
                "category": "weeds",
                "geometry": {"type": "Point", "coordinates": [117.205, 39.285]},
                "found_on": date.today().isoformat(),
            },
            headers=tokens["inspector"],
        )
        assert created.status_code == 201
        deadline = time.monotonic() + 60
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
    assert [r.data["kind"] for r in receiver.received] == ["issue_created"]
    assert receiver.received[0].data["data"]["village"] == "E01"
    receiver.close()


def test_a_paused_webhook_keeps_its_messages_until_resumed(two_villages_url, tokens):
    from geo.notify.queue import set_webhook_active

    receiver = HookReceiver()
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        add_webhook(conn, name="hub", url=receiver.url("/hub"), secret="s" * 20)
        post(
            conn,
            Message(kind="verdict", key="paused:1", title_zh="暂停前", title_en="before"),
            Audience(roles=("admin",)),
            email=False,
        )
        set_webhook_active(conn, "hub", active=False)
        post(
            conn,
            Message(kind="verdict", key="paused:2", title_zh="暂停时", title_en="while paused"),
            Audience(roles=("admin",)),
            email=False,
        )
    settings = ServiceSettings(database_url=two_villages_url, notify_worker=False)
    assert run_once(engine, settings).sent == 0 and receiver.received == []
    with engine.begin() as conn:
        set_webhook_active(conn, "hub", active=True)
    assert run_once(engine, settings).sent == 1
    assert [r.data["key"] for r in receiver.received] == ["paused:1"]
    receiver.close()
    engine.dispose()


def test_a_statement_that_cannot_be_told_does_not_hold_up_the_others(two_villages_url, tokens):
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        _issues_with_events(conn, n=1, on=date.today(), prefix="BAD-")
        _issues_with_events(conn, n=1, on=date.today(), prefix="GOOD-")
        bad = conn.execute(
            text(
                "SELECT e.id FROM issue_event e JOIN issue i ON i.id = e.issue_id"
                " WHERE i.code = 'BAD-1'"
            )
        ).scalar_one()
        # the database refuses this one message (as it would a bug's)
        conn.execute(
            text(
                "ALTER TABLE notification ADD CONSTRAINT test_refuse"
                f" CHECK (key <> 'event:{int(bad)}')"
            )
        )
    with engine.begin() as conn:
        done = fan_out(conn, bulk_events=100, max_age_days=7, email=False)
    assert done.statements == 1
    with engine.connect() as conn:
        titles = [t for _, t in _inbox(conn, "west")]
        left = conn.execute(text("SELECT count(*) FROM notify_outbox")).scalar_one()
    assert len(titles) == 1 and "GOOD-1" in titles[0]
    assert left == 1  # kept for the next pass and for a person to look at
    engine.dispose()


def test_office_messages_stay_in_their_town(two_villages_url, tokens):
    from geo.towns import add_town
    from geo.users import create_user

    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        town = conn.execute(text("SELECT code, district_code FROM town")).one()
        add_town(conn, code="120113109", name="第二镇", district_name="北辰区")
        create_user(conn, name="admin2", role="admin", town_code="120113109")
        create_user(conn, name="district", role="leader", district_code=town.district_code)
        w01 = conn.execute(text("SELECT id FROM village WHERE code = 'W01'")).scalar_one()
        post(
            conn,
            Message(kind="interview_due", key="t:1", title_zh="约谈", title_en="i", village_id=w01),
            Audience(roles=("admin", "leader"), village_id=w01),
            email=False,
        )
        got = set(
            conn.execute(
                text(
                    "SELECT u.name FROM notification n JOIN app_user u ON u.id = n.user_id"
                    " WHERE n.key = 't:1'"
                )
            ).scalars()
        )
    assert got == {"admin", "leader", "district", "west"}
    engine.dispose()


def test_the_office_sees_and_retries_only_its_own_towns_deliveries(two_villages_url, tokens):
    """A webhook delivery about W01 is listed, counted and retried for W01's town; for an
    admin of another town it does not exist (not listed, not counted, 404 on retry)."""
    from geo.errors import NotFound
    from geo.notify.queue import deliveries, delivery_counts, retry
    from geo.towns import add_town

    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        home = conn.execute(text("SELECT id FROM town")).scalar_one()
        other = add_town(conn, code="120113110", name="第三镇", district_name="北辰区")
        other_id = other.id
        add_webhook(
            conn, name="hub-scope", url="http://127.0.0.1:9/hook", secret="s" * 16, town_id=home
        )
        w01 = conn.execute(text("SELECT id FROM village WHERE code = 'W01'")).scalar_one()
        post(
            conn,
            Message(
                kind="interview_due", key="scope:1", title_zh="约谈", title_en="i", village_id=w01
            ),
            Audience(roles=("admin",), village_id=w01),
            email=False,
        )
        mine = deliveries(conn, status="pending", towns=[home])
        assert [d["key"] for d in mine if d["key"] == "scope:1"] == ["scope:1"]
        assert not [d for d in deliveries(conn, status="pending", towns=[other_id])]
        assert delivery_counts(conn, towns=[other_id]) == {"dead": 0, "pending": 0, "sent": 0}
        assert delivery_counts(conn, towns=[home])["pending"] >= 1
        delivery_id = next(d["id"] for d in mine if d["key"] == "scope:1")
        with pytest.raises(NotFound):
            retry(conn, delivery_id, towns=[other_id])
        retry(conn, delivery_id, towns=[home])  # its own town's office may
    engine.dispose()


def test_a_recheck_waiting_message_opens_that_village_s_recheck_walk():
    """The inspector's 待复核 message links to the village's recheck page, not to the page
    that first asks which village (the message already knows it)."""
    row = {
        "id": 7,
        "issue_id": "0b6c1f52-4d7e-4c0c-9a55-1f7f5e0c0c01",
        "village_id": 3,
        "kind": "submitted",
        "code": "DZZ07-202412-0002",
        "village_code": "DZZ07",
        "village_name": "小毕庄",
        "category_code": "clutter",
        "label_zh": "乱堆乱放",
        "label_en": "Clutter",
        "deadline": date(2024, 12, 20),
        "on": date(2024, 12, 13),
        "actor": "DZZ07",
        "description": "",
        "note": None,
    }
    made = event_message(row)
    assert made is not None
    message, audience = made
    assert message.kind == "recheck_waiting"
    assert message.link == "/pages/recheck?village=DZZ07"
    assert audience.village_id is None and audience.roles
