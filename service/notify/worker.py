"""The notification worker: fan out new events, then send what is due.

`run_once` is one pass (what `cunrong notify run` does); `NotifyWorker` repeats it every
`notify_poll_s` seconds in a background thread of the service (started in the app's
lifespan unless CUNRONG_NOTIFY_WORKER=false). Requests never wait for it: whatever a mail
server or a webhook does, the write that caused the message was committed long before.
Several workers (threads, processes, machines) may run at once: outbox rows and deliveries
are taken with `FOR UPDATE SKIP LOCKED`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from geo.notify.fanout import fan_out
from geo.notify.queue import Claimed, claim_next, record_attempt
from service.notify.transport import Outcome, post_webhook, send_email
from service.settings import ServiceSettings

log = logging.getLogger("cunrong.notify")


@dataclass
class RunCounts:
    """What a pass did."""

    statements: int = 0
    messages: int = 0
    inbox: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0


def fan_out_all(engine: Engine, settings: ServiceSettings, counts: RunCounts) -> None:
    """Fan out every outbox row there is, a batch per transaction."""
    while True:
        with engine.begin() as conn:
            done = fan_out(
                conn,
                bulk_events=settings.notify_bulk_events,
                max_age_days=settings.notify_max_age_days,
                email=bool(settings.smtp_host),
            )
        counts.statements += done.statements
        counts.messages += done.messages
        counts.inbox += done.inbox
        counts.queued += done.deliveries
        if done.statements == 0:
            return


def send(settings: ServiceSettings, item: Claimed) -> Outcome:
    """One attempt to deliver `item` by its channel."""
    if item.channel == "email":
        return send_email(settings, address=item.address, payload=item.payload, delivery_id=item.id)
    return post_webhook(
        url=item.address,
        secret=item.secret or "",
        payload=item.payload,
        delivery_id=item.id,
        kind=item.kind,
        timeout_s=settings.webhook_timeout_s,
    )


def deliver_due(
    engine: Engine,
    settings: ServiceSettings,
    counts: RunCounts,
    *,
    stop: threading.Event | None = None,
) -> None:
    """Try every delivery due now once: sent, or back in the queue for later, or dead."""
    tried: list[int] = []
    while stop is None or not stop.is_set():
        with engine.begin() as conn:
            item = claim_next(conn, skip=tried)
            if item is None:
                return
            tried.append(item.id)
            outcome = send(settings, item)
            status = record_attempt(
                conn,
                item.id,
                ok=outcome.ok,
                error=outcome.error,
                status_code=outcome.status_code,
                duration_ms=outcome.duration_ms,
                max_attempts=settings.notify_max_attempts,
                base_s=settings.notify_retry_base_s,
                max_s=settings.notify_retry_max_s,
            )
        if outcome.ok:
            counts.sent += 1
        else:
            counts.failed += 1
            counts.dead += status == "dead"
            log.warning(
                "notification delivery failed",
                extra={"delivery": item.id, "channel": item.channel, "error": outcome.error},
            )


def run_once(
    engine: Engine, settings: ServiceSettings, *, stop: threading.Event | None = None
) -> RunCounts:
    """Fan out new events, then try every delivery due."""
    counts = RunCounts()
    fan_out_all(engine, settings, counts)
    deliver_due(engine, settings, counts, stop=stop)
    return counts


class NotifyWorker:
    """`run_once` every `notify_poll_s` seconds in a daemon thread, until `stop`."""

    def __init__(self, engine: Engine, settings: ServiceSettings):
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cunrong-notify", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        """Ask the thread to finish its current delivery and wait for it."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                run_once(self.engine, self.settings, stop=self._stop)
            except Exception:  # the database may be down: say so, try again next time
                log.exception("notification worker pass failed")
            self._stop.wait(self.settings.notify_poll_s)
