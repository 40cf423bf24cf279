"""A real database outage: the server of a cluster of the test's own is stopped and started.

While it is down every request gets a 503 in the error shape with Retry-After, on a
keep-alive connection that stays open; /health names the part that is down; once the
server is back the same app answers again without a restart (the pool pre-pings).
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from urllib.parse import urlparse

import pytest

from geo.cluster import LocalCluster
from geo.migrate import upgrade
from service.app import create_app
from service.logs import json_handler
from service.settings import ServiceSettings
from tests.server import serving


@pytest.fixture
def own_cluster() -> Iterator[LocalCluster]:
    """A migrated PostGIS cluster nobody else uses (stopping it disturbs no other test)."""
    base = Path(tempfile.mkdtemp(prefix="cunrong-outage-", dir="/tmp"))
    base.chmod(0o755)  # the server may run as the postgres user
    cluster = LocalCluster(base / "pgdata")
    try:
        cluster.start()
        upgrade(cluster.url())
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def served(own_cluster: LocalCluster, tmp_path: Path) -> Iterator[int]:
    """The service on that cluster, on a local port (a real HTTP server, keep-alive on)."""
    app = create_app(ServiceSettings(database_url=own_cluster.url(), data_dir=tmp_path))
    with serving(app, log_level="error") as url:
        port = urlparse(url).port
        assert port is not None
        yield port


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, Message, dict]:
    conn.request("GET", path)
    response = conn.getresponse()
    body = json.loads(response.read())
    return response.status, response.headers, body


def test_outage_is_a_503_on_a_kept_connection_and_the_pool_recovers(
    own_cluster: LocalCluster, served: int
) -> None:
    errors = io.StringIO()
    handler = json_handler(errors)
    logging.getLogger("cunrong").addHandler(handler)
    conn = http.client.HTTPConnection("127.0.0.1", served, timeout=30)
    try:
        status, _, body = _get(conn, "/health")
        assert status == 200 and body["parts"]["database"] == "ok"
        assert _get(conn, "/issues")[0] == 200
        socket_before = conn.sock

        own_cluster.stop()
        status, headers, body = _get(conn, "/issues")
        assert status == 503
        assert headers["Retry-After"] == "5"
        assert body["error"] == "unavailable" and body["request_id"] == headers["X-Request-ID"]
        assert "try again" in body["message"]
        status, headers, body = _get(conn, "/health")
        assert status == 503 and headers["Retry-After"] == "5"
        assert body["parts"] == {
            "service": "ok",
            "database": "down",
            "postgis": "unknown",
            "schema": "unknown",
        }
        # the anonymous caller learns which part, not where the database lives
        assert body["message"].startswith("the database is down")
        assert str(own_cluster.socket_dir) not in body["message"]
        assert "socket" not in body["message"] and "server" not in body["message"]
        assert conn.sock is socket_before  # the same keep-alive connection throughout

        own_cluster.start()
        status, _, body = _get(conn, "/issues")
        assert status == 200 and body["type"] == "FeatureCollection"
        status, _, body = _get(conn, "/health")
        assert status == 200 and set(body["parts"].values()) == {"ok"}
        assert conn.sock is socket_before
        # the access line is written just after the response is sent: wait for the last one
        deadline = time.monotonic() + 10
        while errors.getvalue().count('"cunrong.access"') < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        conn.close()
        logging.getLogger("cunrong").removeHandler(handler)
    logged = _access_logged(errors, count=6)
    assert any(
        line["logger"] == "cunrong.errors" and "database unavailable" in line["message"]
        for line in logged
    )
    # the reason /health withheld is in the log, for the operator
    assert any(
        line["logger"] == "cunrong.errors"
        and line["message"].startswith("health: the database is down: ")
        and len(line["message"]) > len("health: the database is down: ")
        for line in logged
    )
    assert [line["status"] for line in logged if line["logger"] == "cunrong.access"] == [
        200,
        200,
        503,
        503,
        200,
        200,
    ]


def _access_logged(stream: io.StringIO, *, count: int, wait_s: float = 10.0) -> list[dict]:
    """The log lines, once `count` access lines are in: a request's access line is written
    just after its response is sent, so the last one may trail the client by a moment."""
    deadline = time.monotonic() + wait_s
    while True:
        logged = [json.loads(line) for line in stream.getvalue().splitlines()]
        access = [line for line in logged if line["logger"] == "cunrong.access"]
        if len(access) >= count or time.monotonic() > deadline:
            return logged
        time.sleep(0.05)
