"""Every request's context: an id, an access log line, security headers, a last-resort 500.

A pure ASGI middleware (no response buffering, so streamed files stay streamed):

- the request id: the caller's `X-Request-ID` when it is short and plain, else a new one;
  kept in `request.state.request_id`, quoted in error bodies, sent back as `X-Request-ID`;
- one JSON log line per request (`cunrong.access`): id, user, method, route template,
  status, duration — never the query string, headers or body;
- a NUL character in the query string or path is refused up front (422 naming the
  parameter): PostgreSQL cannot store or compare it;
- any exception no handler took becomes a logged 500 in the one error shape, on a
  connection that stays open;
- security headers: `X-Content-Type-Options`, `Referrer-Policy`, and on HTML pages a
  Content-Security-Policy allowing this origin and the basemaps' tile hosts only, whose
  scripts must carry this response's nonce (`csp_nonce(request)`, made here per request;
  the page templates and the map pages put it on each of their `<script>` elements);
- `X-Cunrong-User` (the user's id) on every answer made for a signed-in user, which the
  service worker (static/sw.js) needs to key its offline copies to that user.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Iterable
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.users import User

access_log = logging.getLogger("cunrong.access")
error_log = logging.getLogger("cunrong.errors")

USER_HEADER = "X-Cunrong-User"
"""Names the signed-in user an answer was made for: the service worker keeps offline copies
of the field pages only for a named user and never serves one user's copy to another."""

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


NONCE_KEY = "csp_nonce"
"""Where the response's script nonce is kept in the request's state."""


def content_security_policy(tile_origins: Iterable[str], *, nonce: str) -> str:
    """The pages' CSP: everything from this origin, map tiles from their hosts, nothing else.

    A script runs only when it comes from this origin or carries `nonce` (a new one for
    every response): a script injected into a page, inline handlers (`onclick=`) and
    `javascript:` URLs never run. Styles may be inline (`style-src 'unsafe-inline'`):
    folium and Leaflet set `style="…"` on nearly every element they make (map panes,
    markers, tooltips, the layer control) and inline `<style>` blocks, so a nonce cannot
    cover them; an injected style cannot run code, which is what this policy guards
    against. No remote script, style, font or connection is allowed.
    """
    tiles = " ".join(tile_origins)
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src 'self' data: blob: {tiles}".strip(),
            "font-src 'self' data:",
            "connect-src 'self'",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        )
    )


def new_nonce() -> str:
    """A fresh script nonce: 128 random bits, URL-safe base64 (fits an HTML attribute)."""
    return secrets.token_urlsafe(16)


def csp_nonce(request: Request) -> str:
    """This response's script nonce, for every `<script>` element of an HTML page.

    Made by `RequestContext` when the request came in; the same value is in the page's
    Content-Security-Policy header."""
    state = request.scope.setdefault("state", {})
    nonce = state.get(NONCE_KEY)
    if nonce is None:  # the app without its middleware (never in service.app)
        nonce = state[NONCE_KEY] = new_nonce()
    return str(nonce)


def _nul_parameter(scope: Scope) -> str | None:
    """The query parameter (or `path`) carrying a NUL character, if any."""
    if "\x00" in scope.get("path", ""):
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" not in query and "\x00" not in query:
        return None
    for key, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in key or "\x00" in value:
            return key.replace("\x00", "") or "query"
    return None


def _error_body(error: str, message: str, field: str | None, rid: str) -> bytes:
    body = {"error": error, "message": message, "field": field, "request_id": rid}
    return json.dumps(body, ensure_ascii=False).encode()


class RequestContext:
    """The middleware (see the module's docstring)."""

    def __init__(self, app: ASGIApp, *, tile_origins: Iterable[str]) -> None:
        self.app = app
        self.tile_origins = tuple(tile_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"").decode(
            "latin-1"
        )
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        state[NONCE_KEY] = new_nonce()
        started = time.perf_counter()
        sent: dict[str, int] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                user = scope.get("state", {}).get("user")
                if isinstance(user, User):
                    headers[USER_HEADER] = str(user.id)
                if headers.get("content-type", "").startswith("text/html"):
                    nonce = str(scope["state"][NONCE_KEY])
                    csp = content_security_policy(self.tile_origins, nonce=nonce)
                    headers.setdefault("Content-Security-Policy", csp)
                    headers.setdefault("X-Frame-Options", "SAMEORIGIN")
            await send(message)

        async def respond(status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        *extra,
                    ],
                }
            )
            await send_with_headers({"type": "http.response.body", "body": body})

        try:
            if (param := _nul_parameter(scope)) is not None:
                message = f"{param}: NUL characters are not allowed"
                await respond(422, _error_body("invalid_input", message, param, rid), [])
            else:
                await self.app(scope, receive, send_with_headers)
        except Exception:
            error_log.exception(
                "unexpected error",
                extra={"request_id": rid, "method": scope.get("method"), "route": _route(scope)},
            )
            if "status" in sent:
                raise  # the response has begun: nothing sensible can be sent any more
            message = f"an unexpected error occurred; quote request id {rid} when reporting it"
            await respond(500, _error_body("internal_error", message, None, rid), [])
        finally:
            user = scope.get("state", {}).get("user")
            access_log.info(
                "request",
                extra={
                    "request_id": rid,
                    "user": getattr(user, "name", None),
                    "role": getattr(user, "role", None),
                    "method": scope.get("method"),
                    "route": _route(scope),
                    "status": sent.get("status"),
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )


def _route(scope: Scope) -> str:
    """The route's template (`/issues/{issue_id}`), never the URL with its values."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "(unmatched)"
