"""Nothing slow runs on the event loop (issue 10.1): under a real uvicorn, /health answers
within 0.5 s (nine polls in ten; none held for a large part of the work) while a large import
and a photo upload are being processed.

This is the one timing assertion the issue asks for; speed itself is measured in benchmarks/.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

HEALTH_WITHIN_S = 0.5


def _issues_csv(rows: int) -> bytes:
    rng = np.random.default_rng(7)
    lon = 117.19 + rng.random(rows) * 0.02
    lat = 39.28 + rng.random(rows) * 0.01
    lines = ["category,lon,lat,found_on,description"]
    words = ["垃圾乱倒", "蜘蛛网", "杂草", "clutter"]
    lines += [
        f"{words[i % 4]},{lon[i]:.6f},{lat[i]:.6f},2024-03-{1 + i % 28:02d},门口堆放 {i}"
        for i in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


def _big_jpeg() -> bytes:
    """A 24-megapixel photo: decoding, re-encoding and the thumbnail take a while."""
    x = np.linspace(0, 255, 6000, dtype=np.float32)
    y = np.linspace(0, 255, 4000, dtype=np.float32)[:, None]
    noise = np.random.default_rng(1).integers(0, 24, (4000, 6000), dtype=np.uint8)
    channel = ((x + y) / 2).astype(np.uint8) + noise
    image = Image.fromarray(np.dstack([channel, channel[::-1], channel[:, ::-1]]), "RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


class _Server:
    """`uvicorn service.app:create_app` in a process of its own, on 127.0.0.1 (a free port).

    A separate process, as in production: the client's threads here do not compete with the
    server for its interpreter lock.
    """

    def __init__(self, database_url: str, data_dir: Path):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CUNRONG_DATABASE_URL": database_url,
            "CUNRONG_DATA_DIR": str(data_dir),
        }
        fd = self.sock.fileno()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "service.app:create_app",
                "--factory",
                "--fd",
                str(fd),
                "--log-level",
                "warning",
            ],
            env=env,
            pass_fds=(fd,),
        )

    def __enter__(self) -> _Server:
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, "uvicorn exited"
            try:
                if httpx.get(f"{self.url}/health", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.sock.close()


def _one_run(
    server: _Server, tokens, csv: bytes, photo: bytes, rows: int
) -> tuple[list[float], float]:
    """Upload the import and the photo at once; poll /health until both are done."""
    results: dict[str, httpx.Response] = {}
    with httpx.Client(base_url=server.url, timeout=120) as client:
        issue = client.post(
            "/issues",
            json={"category": "clutter", "lon": 117.195, "lat": 39.2855},
            headers=tokens["inspector"],
        ).json()

        def run(name: str, **request: object) -> None:
            with httpx.Client(base_url=server.url, timeout=300) as own:
                results[name] = own.post(**request)  # type: ignore[arg-type]

        workers = [
            threading.Thread(
                target=run,
                args=("import",),
                kwargs={
                    "url": "/import/issues",
                    "files": {"file": ("issues.csv", csv, "text/csv")},
                    "headers": tokens["admin"],
                },
            ),
            threading.Thread(
                target=run,
                args=("photo",),
                kwargs={
                    "url": f"/issues/{issue['id']}/photos",
                    "files": {"file": ("big.jpg", photo, "image/jpeg")},
                    "headers": tokens["inspector"],
                },
            ),
        ]
        began = time.perf_counter()
        for worker in workers:
            worker.start()
        latencies = []
        while any(w.is_alive() for w in workers):
            started = time.perf_counter()
            response = client.get("/health")
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text
            time.sleep(0.05)
        for worker in workers:
            worker.join()
        busy = time.perf_counter() - began
    assert results["import"].status_code == 200, results["import"].text
    assert results["import"].json()["inserted"] == rows
    assert results["photo"].status_code == 201, results["photo"].text
    assert len(latencies) >= 5, "the import and upload ended before /health was polled"
    return latencies, busy


ATTEMPTS = 3
"""Runs allowed to reach the bound. The machine running the suite may be shared (CI, or two
cores for several test runs at once): the scheduler can then stall any process for a moment,
the client included. A route doing its work on the event loop stalls /health for seconds in
every run; scheduler noise does not repeat, so one clean run out of three is the proof."""


def _clean(latencies: list[float], busy: float) -> bool:
    """Nine /health answers in ten within the bound, and none held for a large part of the
    uploads' time: work on the event loop would hold every poll until the upload is done,
    while two busy cores only delay a poll now and then."""
    ordered = sorted(latencies)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return p90 < HEALTH_WITHIN_S and ordered[-1] < busy / 4


def test_health_answers_while_an_import_and_a_photo_upload_run(two_villages_url, tokens, tmp_path):
    rows = 40_000
    csv = _issues_csv(rows)
    photo = _big_jpeg()
    runs: list[tuple[list[float], float]] = []
    with _Server(two_villages_url, tmp_path) as server:
        for _ in range(ATTEMPTS):
            runs.append(_one_run(server, tokens, csv, photo, rows))
            if _clean(*runs[-1]):
                break
    assert _clean(*runs[-1]), [
        (f"busy {busy:.1f} s", [round(x, 2) for x in sorted(lat)[-5:]]) for lat, busy in runs
    ]
