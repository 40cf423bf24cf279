"""The service on a real port for a test (browser tests, clients like OWSLib): uvicorn in a
thread on 127.0.0.1, started and stopped around the `with` block."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, *, start_within_s: float = 20, log_level: str = "warning") -> Iterator[str]:
    """Serve `app` on a free loopback port; yields its base URL, e.g. http://127.0.0.1:4711
    (`urlparse(url).port` for the port alone). `log_level`: uvicorn's ("error" keeps a test
    that breaks the database on purpose quiet)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_within_s
    while not server.started:
        assert time.monotonic() < deadline, "the service did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def deployed_app(database_url: str, *, photo_root: Any = None, **settings: Any) -> Any:
    """The app as deployed (`environment="production"`: anonymous reads off, a secret key
    of its own) on `database_url`, without the sign-in delay (tests sign in many times).
    `settings`: other ServiceSettings fields (`data_dir` defaults to a new temporary folder,
    never the checkout's data/); `photo_root`: where uploaded photos go."""
    import tempfile

    from service.app import create_app
    from service.settings import ServiceSettings

    values: dict[str, Any] = {
        "environment": "production",
        "secret_key": "t" * 40,
        "login_delay_seconds": 0.0,
        "data_dir": Path(tempfile.mkdtemp(prefix="cunrong-app-")),
    }
    app = create_app(ServiceSettings(database_url=database_url, **{**values, **settings}))
    if photo_root is not None:
        app.state.photo_root = photo_root
    return app
