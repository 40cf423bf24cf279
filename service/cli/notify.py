"""`cunrong notify …`: deliver pending notifications, the daily reminders, subscriptions."""

from __future__ import annotations

import json
from datetime import date, datetime

import typer
from sqlalchemy import Connection

from geo.notify.kinds import NOTIFY_KINDS
from service.cli.common import fail, run_job, settings_of

app = typer.Typer(
    help="Notifications: run (deliver pending), due (daily reminders), email, webhook-add, "
    "webhooks, dead, retry.",
    no_args_is_help=True,
)


def _deliver(ctx: typer.Context) -> None:
    from geo.db import make_engine
    from service.notify.worker import run_once

    settings = settings_of(ctx)
    engine = make_engine(settings.engine_url())
    try:
        counts = run_once(engine, settings)
    except Exception as exc:
        if exc.__class__.__module__.startswith(("sqlalchemy", "psycopg")):
            fail(f"cannot use the database ({exc.__class__.__name__}: {exc})")
        raise
    finally:
        engine.dispose()
    typer.echo(
        f"{counts.messages} new messages ({counts.inbox} in inboxes), {counts.queued} queued;"
        f" sent {counts.sent}, failed {counts.failed} ({counts.dead} now dead letters)"
    )


@app.command()
def run(ctx: typer.Context) -> None:
    """Fan out new events into messages and deliver every e-mail and webhook due now."""
    _deliver(ctx)


def _day(value: str | None) -> date:
    if value is None:
        return date.today()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        fail(f"--today: expected a date like 2024-05-31, got {value!r}")


@app.command()
def due(
    ctx: typer.Context,
    today: str = typer.Option(None, help="the day to run for (YYYY-MM-DD; default today)"),
    send: bool = typer.Option(True, help="deliver right away (--no-send: only queue)"),
) -> None:
    """Daily: deadlines near or passed and interviews due → messages (idempotent)."""
    from service.cli.common import town_rules_text
    from service.notify.due import queue_due

    settings = settings_of(ctx)
    day = _day(today)

    def job(conn: Connection) -> None:
        counts = queue_due(
            conn,
            settings,
            rules_of=lambda town, year: town_rules_text(town, settings, year=year, conn=conn),
            today=day,
        )
        typer.echo(
            f"{day}: {counts.messages} reminders, {counts.inbox} new in inboxes,"
            f" {counts.queued} e-mails/webhooks queued"
        )

    run_job(settings, job, write=True)
    if send:
        _deliver(ctx)


@app.command()
def email(
    ctx: typer.Context,
    user: str,
    address: str = typer.Argument(None, help="the address; leave out to stop e-mails"),
) -> None:
    """Set (or clear) where a user's notifications are mailed."""
    from geo.notify.queue import set_email

    def job(conn: Connection) -> None:
        set_email(conn, user, address)
        typer.echo(f"{user}: {address or 'no e-mail'}")

    run_job(settings_of(ctx), job, write=True)


@app.command("webhook-add")
def webhook_add(
    ctx: typer.Context,
    name: str,
    url: str,
    secret: str = typer.Option(
        ..., prompt=True, hide_input=True, help="the HMAC key (at least 16 characters)"
    ),
    kind: list[str] = typer.Option(
        [], help=f"only these kinds (repeatable; default all): {', '.join(NOTIFY_KINDS)}"
    ),
    town: str | None = typer.Option(
        None,
        "--town",
        help="the town whose messages it gets (行政区划代码 or name). Leave out for every"
        " town's messages: a district's or the deployment's own integration (its URL is then"
        " shown only to users who read every town).",
    ),
) -> None:
    """Subscribe a URL to the messages of a town (or of every town), signed with the secret."""
    from geo.notify.queue import add_webhook
    from geo.towns import town_by_code

    def job(conn: Connection) -> None:
        found = town_by_code(conn, town) if town is not None else None
        hook = add_webhook(
            conn,
            name=name,
            url=url,
            secret=secret,
            kinds=tuple(kind),
            town_id=found.id if found else None,
        )
        typer.echo(
            f"webhook {hook} {name} → {url}"
            f" ({'messages of ' + found.label if found else 'messages of every town'})"
        )

    run_job(settings_of(ctx), job, write=True)


@app.command("webhook-pause")
def webhook_pause(
    ctx: typer.Context, name: str, resume: bool = typer.Option(False, help="resume instead")
) -> None:
    """Pause (or --resume) a webhook subscription."""
    from geo.notify.queue import set_webhook_active

    def job(conn: Connection) -> None:
        set_webhook_active(conn, name, active=resume)
        typer.echo(f"webhook {name}: {'active' if resume else 'paused'}")

    run_job(settings_of(ctx), job, write=True)


@app.command()
def webhooks(ctx: typer.Context) -> None:
    """List the webhook subscriptions (JSON lines, without secrets; town_code null: every
    town)."""
    from geo.notify.queue import webhooks as list_webhooks

    def job(conn: Connection) -> None:
        for hook in list_webhooks(conn):
            typer.echo(json.dumps(hook, default=str, ensure_ascii=False))

    run_job(settings_of(ctx), job)


@app.command()
def dead(ctx: typer.Context) -> None:
    """List the dead letters: deliveries that failed every attempt (JSON lines)."""
    from geo.notify.queue import deliveries

    def job(conn: Connection) -> None:
        for item in deliveries(conn, status="dead"):
            typer.echo(json.dumps(item, default=str, ensure_ascii=False))

    run_job(settings_of(ctx), job)


@app.command()
def retry(ctx: typer.Context, delivery_id: int) -> None:
    """Send a dead letter again (on the next `notify run` or worker pass)."""
    from geo.notify.queue import retry as retry_delivery

    def job(conn: Connection) -> None:
        retry_delivery(conn, delivery_id)
        typer.echo(f"delivery {delivery_id}: queued again")

    run_job(settings_of(ctx), job, write=True)
