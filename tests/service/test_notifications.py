"""Notifications end to end: a scripted loop, a local SMTP server that goes down for part
of it, a local webhook receiver, the daily job run twice, a webhook that always fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from geo.notify.queue import add_webhook, set_email
from service.app import create_app
from service.cli import app as cli
from service.notify.transport import verify_webhook
from service.notify.worker import run_once
from service.settings import ServiceSettings
from tests.cli import runner_for
from tests.service.mailbox import HookReceiver, Mailbox
from tests.service.test_loop_api import jpeg

SECRET = "hub-secret-0123456789"
BROKEN_SECRET = "broken-secret-0123456789"
EMAILS = {
    "west": "west@w01.test",
    "east": "east@e01.test",
    "admin": "office@town.test",
    "inspector": "inspector@town.test",
    "leader": "leader@town.test",
}
MAX_ATTEMPTS = 4


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def hooks() -> Iterator[HookReceiver]:
    receiver = HookReceiver(status={"/broken": 500})
    yield receiver
    receiver.close()


def notify_settings(url: str, mailbox: Mailbox, tmp_path, **extra) -> ServiceSettings:
    """Settings for a test: the local SMTP server, retries due at once, no worker thread."""
    values = {
        "database_url": url,
        "data_dir": tmp_path,
        "smtp_host": "127.0.0.1",
        "smtp_port": mailbox.port,
        "notify_worker": False,
        "notify_retry_base_s": 0.0,
        "notify_max_attempts": MAX_ATTEMPTS,
    } | extra
    return ServiceSettings(**values)


@pytest.fixture
def subscribed(two_villages_url: str, tokens, hooks: HookReceiver) -> str:
    """The two-village town with e-mail addresses and two webhooks: `hub` (answers 204)
    and `broken` (answers 500, new issues only)."""
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        for name, address in EMAILS.items():
            set_email(conn, name, address)
        add_webhook(conn, name="hub", url=hooks.url("/hub"), secret=SECRET)
        add_webhook(
            conn,
            name="broken",
            url=hooks.url("/broken"),
            secret=BROKEN_SECRET,
            kinds=("issue_created",),
        )
    engine.dispose()
    return two_villages_url


def kinds_of(mailbox: Mailbox, who: str) -> list[str]:
    return sorted(str(m["X-Cunrong-Kind"]) for m in mailbox.to(EMAILS[who]))


def test_a_loop_mails_and_posts_once_per_event_and_survives_a_mail_outage(
    subscribed, tokens, mailbox, hooks, tmp_path
):
    settings = notify_settings(subscribed, mailbox, tmp_path)
    today = date.today()
    with TestClient(create_app(settings)) as client:
        engine: Engine = client.app.state.engine

        # 1. an inspector records an issue in W01 → the village hears of it
        created = client.post(
            "/issues",
            json={
                "category": "clutter",
                "geometry": {"type": "Point", "coordinates": [117.195, 39.2855]},
                "found_on": today.isoformat(),
                "deadline": today.isoformat(),
                "description": "门口堆放建材",
            },
            headers=tokens["inspector"],
        )
        assert created.status_code == 201, created.text
        issue = created.json()["id"]
        run_once(engine, settings)
        assert kinds_of(mailbox, "west") == ["issue_created"]
        assert kinds_of(mailbox, "east") == []

        # 2. the mail server goes down; the village submits, the inspector gives a verdict
        mailbox.stop()
        photo = client.post(
            f"/issues/{issue}/photos",
            files={"file": ("after.jpg", jpeg(), "image/jpeg")},
            data={"kind": "after"},
            headers=tokens["west"],
        )
        assert photo.status_code == 201, photo.text
        submitted = client.post(
            f"/issues/{issue}/transitions",
            json={"action": "submit", "version": 1, "photo_ids": [photo.json()["id"]]},
            headers=tokens["west"],
        )
        assert submitted.status_code == 200, submitted.text
        run_once(engine, settings)
        verdict = client.post(
            f"/issues/{issue}/transitions",
            json={"action": "inadequate", "version": 2, "note": "仍有杂物"},
            headers=tokens["inspector"],
        )
        assert verdict.status_code == 200, verdict.text
        counts = run_once(engine, settings)
        assert counts.failed >= 3  # the mails of both steps wait; nothing was lost
        waiting = _mail_states(engine)
        assert waiting == {"pending": 3, "sent": 1}, waiting

        # 3. the mail server is back: the retries deliver, each once
        mailbox.start()
        run_once(engine, settings)
        assert _mail_states(engine) == {"sent": 4}
        assert kinds_of(mailbox, "west") == ["issue_created", "verdict"]
        assert kinds_of(mailbox, "inspector") == ["recheck_waiting"]
        assert kinds_of(mailbox, "admin") == ["recheck_waiting"]
        body = mailbox.to(EMAILS["west"])[-1].get_payload(decode=True).decode()
        assert "整改不到位" in body and "仍有杂物" in body

        # 4. the deadline passes and the month's ranking calls for interviews: the daily job,
        #    run twice, sends each reminder once
        run_day = today + timedelta(days=1)
        month = (run_day.replace(day=1) - timedelta(days=1)).replace(day=1)
        with engine.begin() as conn:
            for code, score in (("W01", 61.5), ("E01", 78.0)):
                conn.execute(
                    text(
                        "INSERT INTO observation_score (month, village_id, group_name, score)"
                        " SELECT :m, id, '第一组', :s FROM village WHERE code = :c"
                    ),
                    {"m": month, "s": score, "c": code},
                )
        runner = runner_for(
            subscribed,
            smtp_host="127.0.0.1",
            smtp_port=mailbox.port,
            notify_retry_base_s=0.0,
            notify_max_attempts=MAX_ATTEMPTS,
        )
        for _ in range(2):
            ran = runner.invoke(cli, ["notify", "due", "--today", run_day.isoformat()])
            assert ran.exit_code == 0, ran.output
        assert kinds_of(mailbox, "west") == [
            "deadline_passed",
            "interview_due",
            "issue_created",
            "verdict",
        ]
        assert kinds_of(mailbox, "east") == ["interview_due"]
        assert kinds_of(mailbox, "admin") == [
            "deadline_passed",
            "interview_due",
            "interview_due",
            "recheck_waiting",
        ]
        assert kinds_of(mailbox, "leader") == ["interview_due", "interview_due"]
        assert kinds_of(mailbox, "inspector") == ["recheck_waiting"]

        # every message reached the hub once, signed; nothing was sent twice
        hub = hooks.at("/hub")
        assert sorted(r.data["kind"] for r in hub) == [
            "deadline_passed",
            "interview_due",
            "interview_due",
            "issue_created",
            "recheck_waiting",
            "verdict",
        ]
        assert len({r.data["key"] for r in hub}) == len(hub)
        for r in hub:
            assert verify_webhook(SECRET, r.body, r.headers)
            assert not verify_webhook(BROKEN_SECRET, r.body, r.headers)
            assert r.headers["X-Cunrong-Timestamp"] == str(r.data["timestamp"])
        assert hub[0].data["data"]["village"] == "W01"

        # 5. the broken webhook failed every attempt: a dead letter on the office's page
        for _ in range(MAX_ATTEMPTS):
            run_once(engine, settings)
        assert len(hooks.at("/broken")) == MAX_ATTEMPTS
        page = client.get("/pages/office/deliveries", headers=tokens["admin"])
        assert page.status_code == 200
        assert 'id="count-dead" class="bad">1<' in page.text
        dead_id = _dead_ids(engine)
        assert len(dead_id) == 1 and f'data-delivery="{dead_id[0]}"' in page.text
        attempts = _attempts(engine, dead_id[0])
        assert [a.ok for a in attempts] == [False] * MAX_ATTEMPTS
        assert all(a.status_code == 500 for a in attempts)

        # the office retries it once the receiver is fixed; it is delivered
        hooks.status["/broken"] = 200
        retried = client.post(
            f"/pages/office/deliveries/{dead_id[0]}/retry",
            headers=tokens["admin"],
            follow_redirects=False,
        )
        assert retried.status_code == 303
        run_once(engine, settings)
        assert _dead_ids(engine) == []
        assert verify_webhook(
            BROKEN_SECRET, hooks.at("/broken")[-1].body, hooks.at("/broken")[-1].headers
        )

        # the inboxes hold the same messages
        west = client.get("/me/notifications", headers=tokens["west"]).json()
        assert west["unread"] == 4
        assert sorted(i["kind"] for i in west["items"]) == kinds_of(mailbox, "west")


def _mail_states(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM delivery WHERE channel = 'email' GROUP BY 1")
        )
        return {r[0]: r[1] for r in rows}


def _dead_ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT id FROM delivery WHERE status = 'dead'")).scalars())


def _attempts(engine: Engine, delivery_id: int) -> list:
    with engine.connect() as conn:
        return list(
            conn.execute(
                text("SELECT ok, status_code FROM delivery_attempt WHERE delivery_id = :d"),
                {"d": delivery_id},
            )
        )


def test_a_signature_with_non_ascii_characters_is_not_verified_and_raises_nothing():
    """A receiver's check of a forged header: False, never a TypeError from compare_digest."""
    body = b'{"kind": "new_issue"}'
    assert not verify_webhook(SECRET, body, {"X-Cunrong-Signature": "sha256=签名"})
