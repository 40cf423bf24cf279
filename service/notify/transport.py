"""Sending one delivery: an e-mail over SMTP, or a signed webhook POST.

Both use the standard library: `smtplib` and `urllib.request`. The worker sends from its
own thread, one message at a time, so a blocking client is the simple and right tool; an
asyncio client (aiosmtplib, httpx) would only matter if sending ran on the event loop, which
it never does. Each call returns an `Outcome` instead of raising: a failure is recorded and
retried, never propagated to whoever caused the message.

Webhook requests carry:

- `X-Cunrong-Signature: sha256=<hex HMAC-SHA256(secret, body)>`;
- `X-Cunrong-Timestamp: <unix seconds>` — the same number is the body's `timestamp`, so it
  is covered by the signature; a receiver refuses a timestamp more than a few minutes old
  (a replay) and may keep `X-Cunrong-Delivery` to drop a repeat of one it has seen
  (a retry after a lost answer).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from service.settings import ServiceSettings

SIGNATURE_HEADER = "X-Cunrong-Signature"
TIMESTAMP_HEADER = "X-Cunrong-Timestamp"
DELIVERY_HEADER = "X-Cunrong-Delivery"
KIND_HEADER = "X-Cunrong-Kind"
REPLAY_WINDOW_S = 300
"""How old a webhook's timestamp may be for `verify_webhook` to accept it."""


@dataclass(frozen=True)
class Outcome:
    """How an attempt went."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    duration_ms: int | None = None


def _absolute(link: str | None, base_url: str | None) -> str | None:
    if link and base_url and link.startswith("/"):
        return base_url.rstrip("/") + link
    return link


def email_message(
    payload: dict[str, Any], *, address: str, sender: str, message_id: str, base_url: str | None
) -> EmailMessage:
    """The e-mail of a message: Chinese first, then English, then the link."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = address
    msg["Subject"] = f"【村容】{payload['title_zh']} / {payload['title_en']}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = f"<{message_id}@cunrong>"
    msg["X-Cunrong-Key"] = payload["key"]
    msg["X-Cunrong-Kind"] = payload["kind"]
    link = _absolute(payload.get("link"), base_url)
    parts = [
        payload["title_zh"],
        payload.get("body_zh") or "",
        "",
        payload["title_en"],
        payload.get("body_en") or "",
    ]
    if link:
        parts += ["", link]
    msg.set_content("\n".join(parts) + "\n")
    return msg


def send_email(
    settings: ServiceSettings, *, address: str, payload: dict[str, Any], delivery_id: int
) -> Outcome:
    """Send one e-mail through the configured SMTP server."""
    if not settings.smtp_host:
        return Outcome(False, error="no SMTP server configured (CUNRONG_SMTP_HOST)")
    msg = email_message(
        payload,
        address=address,
        sender=settings.smtp_from,
        message_id=f"delivery-{delivery_id}",
        base_url=settings.notify_base_url,
    )
    started = time.monotonic()
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_s
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(msg)
    except smtplib.SMTPResponseException as exc:
        return Outcome(
            False, exc.smtp_code, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", _ms(started)
        )
    except (smtplib.SMTPException, OSError) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}", _ms(started))
    return Outcome(True, 250, None, _ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def webhook_body(payload: dict[str, Any], *, delivery_id: int, timestamp: int) -> bytes:
    """The JSON body of a webhook: the message, the delivery's id and the signed timestamp."""
    body = {"delivery": delivery_id, "timestamp": timestamp, **payload}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of the body under the subscription's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_webhook(
    secret: str,
    body: bytes,
    headers: dict[str, str],
    *,
    now: float | None = None,
    window_s: int = REPLAY_WINDOW_S,
) -> bool:
    """What a receiver checks: the signature, and a fresh timestamp that matches the body's."""
    sent = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower()) or ""
    stamp = headers.get(TIMESTAMP_HEADER) or headers.get(TIMESTAMP_HEADER.lower()) or ""
    if not hmac.compare_digest(sent.encode(), signature(secret, body).encode()):
        return False
    try:
        data = json.loads(body)
        timestamp = int(stamp)
    except ValueError:
        return False
    if data.get("timestamp") != timestamp:
        return False
    return abs((now if now is not None else time.time()) - timestamp) <= window_s


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A webhook that answers with a redirect failed (a POST is not followed elsewhere)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def post_webhook(
    *, url: str, secret: str, payload: dict[str, Any], delivery_id: int, kind: str, timeout_s: float
) -> Outcome:
    """POST one signed webhook; any 2xx answer is success."""
    timestamp = int(time.time())
    body = webhook_body(payload, delivery_id=delivery_id, timestamp=timestamp)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "cunrong-webhook/1",
            SIGNATURE_HEADER: signature(secret, body),
            TIMESTAMP_HEADER: str(timestamp),
            DELIVERY_HEADER: str(delivery_id),
            KIND_HEADER: kind,
        },
    )
    started = time.monotonic()
    try:
        with _OPENER.open(request, timeout=timeout_s) as answer:
            code = answer.status
    except urllib.error.HTTPError as exc:
        return Outcome(False, exc.code, f"HTTP {exc.code} {exc.reason}", _ms(started))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Outcome(False, None, f"{type(exc).__name__}: {reason}", _ms(started))
    if not 200 <= code < 300:
        return Outcome(False, code, f"HTTP {code}", _ms(started))
    return Outcome(True, code, None, _ms(started))
