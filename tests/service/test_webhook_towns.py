"""Webhooks belong to a town (issue 13.1: a user of town A sees nothing of town B).

Town A (大张庄镇, W01 and E01) and town B (二号镇, B01, `tests.town.second_town`); three
subscriptions: `hub-a` of A, `hub-b` of B and `hub-all` of every town (town NULL, a
district's integration). A's messages reach hub-a and hub-all, B's hub-b and hub-all, a
message of no town only hub-all; A's admin sees hub-a on the deliveries page, never hub-b
nor hub-all (nor their URLs); with one town only, its admin sees hub-all as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, text

from geo.notify.post import Audience, Message, post
from geo.notify.queue import add_webhook, webhooks
from service.app import create_app
from service.cli import app as cli
from service.notify.worker import run_once
from service.settings import ServiceSettings
from tests.cli import runner_for
from tests.service.mailbox import HookReceiver
from tests.town import SECOND_TOWN, second_town

SECRET = "town-secret-0123456789"


@pytest.fixture
def receiver() -> Iterator[HookReceiver]:
    hooks = HookReceiver()
    yield hooks
    hooks.close()


def _created(conn: Connection, code: str, *, town: str, village: str | None, lon: float) -> None:
    """An issue of `town` (in `village`, or in no village) and its `created` event today."""
    conn.execute(
        text(
            "INSERT INTO issue (town_id, code, category_code, geom, village_id, source,"
            " found_on, deadline, status, version) VALUES ((SELECT id FROM town WHERE code"
            " = :t), :code, 'clutter', ST_SetSRID(ST_MakePoint(:x, 39.285), 4326),"
            " (SELECT id FROM village WHERE code = :v), 'inspection', CURRENT_DATE,"
            " CURRENT_DATE, 'open', 1)"
        ),
        {"t": town, "code": code, "x": lon, "v": village},
    )
    conn.execute(
        text(
            'INSERT INTO issue_event (issue_id, kind, to_status, "on", actor)'
            " SELECT id, 'created', 'open', found_on, 'test' FROM issue WHERE code = :c"
        ),
        {"c": code},
    )


def _codes(receiver: HookReceiver, path: str) -> list[str]:
    return sorted(r.data["data"].get("issue_code") or r.data["key"] for r in receiver.at(path))


def test_a_towns_webhook_gets_its_towns_messages_only(two_villages_url, tokens, receiver):
    engine = second_town(two_villages_url)
    with engine.begin() as conn:
        a, b = (
            conn.execute(text("SELECT id FROM town WHERE code = :c"), {"c": c}).scalar_one()
            for c in ("120113108", SECOND_TOWN[0])
        )
        add_webhook(conn, name="hub-a", url=receiver.url("/a"), secret=SECRET, town_id=a)
        add_webhook(conn, name="hub-b", url=receiver.url("/b"), secret=SECRET, town_id=b)
        add_webhook(conn, name="hub-all", url=receiver.url("/all"), secret=SECRET)
    with engine.begin() as conn:
        _created(conn, "A-1", town="120113108", village="W01", lon=117.195)
        _created(conn, "B-1", town=SECOND_TOWN[0], village="B01", lon=117.305)
        # an issue of B outside every village: its town is the issue's own
        _created(conn, "B-2", town=SECOND_TOWN[0], village=None, lon=117.40)
        post(
            conn,
            Message(kind="verdict", key="nowhere:1", title_zh="无镇", title_en="no town"),
            Audience(roles=("admin",)),
            email=False,
        )
    settings = ServiceSettings(database_url=two_villages_url, notify_worker=False)
    counts = run_once(engine, settings)
    assert counts.failed == 0
    assert _codes(receiver, "/a") == ["A-1"]
    assert _codes(receiver, "/b") == ["B-1", "B-2"]
    assert _codes(receiver, "/all") == ["A-1", "B-1", "B-2", "nowhere:1"]
    with engine.connect() as conn:
        assert [w["name"] for w in webhooks(conn, towns=[a])] == ["hub-a"]
        assert [w["name"] for w in webhooks(conn, towns=[b])] == ["hub-b"]
        every = webhooks(conn, towns=[a, b])  # a scope over every town sees them all
        assert [(w["name"], w["town_code"]) for w in every] == [
            ("hub-a", "120113108"),
            ("hub-all", None),
            ("hub-b", SECOND_TOWN[0]),
        ]
        assert len(webhooks(conn)) == 3  # the CLI
    engine.dispose()


def test_an_admin_sees_only_their_towns_webhooks_and_deliveries(
    two_villages_url, tokens, receiver, tmp_path
):
    from geo.users import create_user

    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, notify_worker=False
    )
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        add_webhook(conn, name="hub-all", url=receiver.url("/all-xyz"), secret=SECRET)
    with TestClient(create_app(settings)) as client:
        # one town: its admin reads every town, and sees the deployment's webhook as before
        alone = client.get("/pages/office/deliveries", headers=tokens["admin"])
        assert alone.status_code == 200 and "/all-xyz" in alone.text and "hub-all" in alone.text
        engine = second_town(two_villages_url)
        with engine.begin() as conn:
            b = conn.execute(
                text("SELECT id FROM town WHERE code = :c"), {"c": SECOND_TOWN[0]}
            ).scalar_one()
            a = conn.execute(text("SELECT id FROM town WHERE code = '120113108'")).scalar_one()
            add_webhook(conn, name="hub-a", url=receiver.url("/a-xyz"), secret=SECRET, town_id=a)
            add_webhook(conn, name="hub-b", url=receiver.url("/b-xyz"), secret=SECRET, town_id=b)
            _, token_b = create_user(conn, name="admin-b", role="admin", town_code=SECOND_TOWN[0])
        with engine.begin() as conn:
            _created(conn, "A-1", town="120113108", village="W01", lon=117.195)
            _created(conn, "B-1", town=SECOND_TOWN[0], village="B01", lon=117.305)
        receiver.status = {"/a-xyz": 500, "/b-xyz": 500, "/all-xyz": 500}  # all stay listed
        run_once(engine, settings)
        page_a = client.get("/pages/office/deliveries", headers=tokens["admin"]).text
        page_b = client.get(
            "/pages/office/deliveries", headers={"Authorization": f"Bearer {token_b}"}
        ).text
    engine.dispose()
    assert 'data-webhook="hub-a"' in page_a and "/a-xyz" in page_a and "A-1" in page_a
    for other in ("hub-b", "/b-xyz", "B-1", "hub-all", "/all-xyz"):
        assert other not in page_a, other
    assert 'data-webhook="hub-b"' in page_b and "/b-xyz" in page_b and "B-1" in page_b
    for other in ("hub-a", "/a-xyz", "A-1", "hub-all", "/all-xyz"):
        assert other not in page_b, other


def test_webhook_add_takes_a_town_and_refuses_an_unknown_one(two_villages_url, tokens):
    engine = second_town(two_villages_url)
    runner = runner_for(two_villages_url)
    args = ["notify", "webhook-add", "--secret", SECRET]
    unknown = runner.invoke(cli, [*args, "--town", "999999999", "x", "http://127.0.0.1:9/x"])
    assert unknown.exit_code == 1
    assert "no town '999999999'" in unknown.output and SECOND_TOWN[0] in unknown.output
    assert "Traceback" not in unknown.output
    by_name = runner.invoke(cli, [*args, "--town", SECOND_TOWN[1], "b", "http://127.0.0.1:9/b"])
    assert by_name.exit_code == 0, by_name.output
    assert f"messages of {SECOND_TOWN[1]} ({SECOND_TOWN[0]})" in by_name.output
    every = runner.invoke(cli, [*args, "all", "http://127.0.0.1:9/all"])
    assert every.exit_code == 0 and "messages of every town" in every.output
    # a town given but the rest wrong: refused, nothing stored
    bad_url = runner.invoke(cli, [*args, "--town", SECOND_TOWN[0], "y", "ftp://127.0.0.1/y"])
    assert bad_url.exit_code == 1 and "http(s)" in bad_url.output
    listed = runner.invoke(cli, ["notify", "webhooks"])
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r["town_code"] for r in map(json.loads, listed.output.splitlines())}
    assert rows == {"all": None, "b": SECOND_TOWN[0]}
    engine.dispose()
