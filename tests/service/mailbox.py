"""A local SMTP server and a local webhook receiver for the notification tests.

`Mailbox` is aiosmtpd's SMTP server in its own thread, on a fixed port so that it can be
stopped (the mail server is down) and started again on the same address. `HookReceiver` is
http.server in a thread; it records every POST and answers with the status set for its path.
"""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Collect:
    def __init__(self, box: Mailbox):
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content)
        with self.box.lock:
            self.box.messages.append(message)
        return "250 Message accepted for delivery"


class Mailbox:
    """An SMTP server on 127.0.0.1:`port` collecting what it receives in `messages`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        """Listen (again) on the same port."""
        self._controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        """Stop listening: connections are refused until `start`."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[Message]:
        """The messages received for `address`."""
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    def keys(self, address: str) -> list[str]:
        """The X-Cunrong-Key of every message received for `address`, in order."""
        return [str(m["X-Cunrong-Key"]) for m in self.to(address)]


@dataclass
class Received:
    """One webhook POST as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def data(self) -> dict[str, Any]:
        """The JSON body."""
        return dict(json.loads(self.body))


@dataclass
class HookReceiver:
    """An HTTP server recording POSTs; `status[path]` is the answer (default 204)."""

    status: dict[str, int] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    delay_s: float = 0.0
    """How long each answer takes (to make two senders overlap)."""

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received(self.path, dict(self.headers.items()), body))
                time.sleep(receiver.delay_s)
                self.send_response(receiver.status.get(self.path, 204))
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        """The address of `path` on this receiver."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        """What arrived at `path`."""
        return [r for r in self.received if r.path == path]

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
