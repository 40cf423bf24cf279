"""Request bodies: refused early when too large, and read without monopolising the event loop.

Starlette parses a multipart body on the event loop before a `def` route runs in the
threadpool; when the body has already arrived (loopback, a fast network) every chunk is
parsed back to back without yielding, so a 4 MiB photo kept the loop busy for 0.1 s of CPU
(seconds on a loaded machine) and `/health` waited. This middleware yields to the loop after
each chunk it hands on, and refuses a body larger than the largest upload limit (plus room
for the multipart framing) from its Content-Length, or as soon as it passes it.
"""

from __future__ import annotations

import json

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geo.errors import TooLarge, mib
from service.settings import ServiceSettings

FRAMING_BYTES = 1024 * 1024
"""Room for the multipart boundaries, headers and form fields around the file itself."""


def max_body_bytes(settings: ServiceSettings) -> int:
    """The largest body any route accepts: the largest upload limit plus the framing."""
    largest = max(settings.max_upload_mib, settings.max_photo_mib, settings.max_sheet_mib)
    return int(largest * 2**20) + FRAMING_BYTES


class BodyLimit:
    """Pure ASGI middleware: 413 for oversized bodies; a yield after every body chunk."""

    def __init__(self, app: ASGIApp, *, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send, int(declared))
            return
        seen = 0
        refused = False

        async def receive_in_turn() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # A body without Content-Length that passed the limit: answer 413 now,
                    # and tell the app the client left so it stops reading.
                    refused = True
                    await self._refuse(send, seen)
                    return {"type": "http.disconnect"}
                await anyio.sleep(0)  # let the loop serve other requests between chunks
            return message

        async def send_unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        await self.app(scope, receive_in_turn, send_unless_refused)

    def _error(self, size: int) -> TooLarge:
        return TooLarge(
            f"the request body is larger than {mib(self.max_bytes)} (at least {mib(size)})",
            limit="CUNRONG_MAX_UPLOAD_MIB / CUNRONG_MAX_PHOTO_MIB / CUNRONG_MAX_SHEET_MIB",
            field="file",
        )

    async def _refuse(self, send: Send, size: int) -> None:
        error = self._error(size)
        body = json.dumps(
            {"error": error.code, "message": str(error), "field": error.field},
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
