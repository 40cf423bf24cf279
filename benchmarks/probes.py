"""Issue 10's probes, from outside, against `cunrong serve --workers 2` on the loopback.

Run by hand (never in the tests), bounded in time, loopback only:

    .venv/bin/python -m benchmarks.probes [--workers 2]

It builds a throwaway database with the sample town in its own local cluster
(data/bench-pgdata, never yours), starts the service the way an operator does, polls
`/health` every 50 ms the whole time while adding up the service's memory (the supervisor
and its workers), and sends, one after the other:

- a zip bomb: 1.1 MB that unpacks to 1.1 GB (`POST /import/villages`);
- a village of 500,000 vertices (20 MB of GeoJSON in one feature);
- months out of range (`0000-01`, `9999-12`) on the API, the maps, the rankings, the
  recheck and the dashboard; a body that is not JSON; a NUL in a free text;
- 30 creates each sent twice at once with the same client id (overlapping retries);
- a JPEG carrying EXIF GPS, a camera make and a body serial number; then the copy and
  the thumbnail readers get; and a 7700 × 7700 PNG of 7 KB;
- creates while PostgreSQL is stopped for 3 s and started again.

It prints each answer's status and message, then: the slowest `/health` (target ≤ 0.5 s),
the largest memory of the service (target < 1 GB), the count of 500s (target 0), the
overlapping retries stored once each, the outage's answers (503 with Retry-After, JSON,
the connection kept), and whether anything of the EXIF reached a reader.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import io
import json
import math
import os
import re
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import create_engine, text

from benchmarks.load import DB, HOST, free_port, fresh_database, stop_service, wait_serving
from geo.cluster import LocalCluster

ROOT = Path(__file__).resolve().parents[1]
CUNRONG = Path(sys.executable).with_name("cunrong")
HEALTH_EVERY_S = 0.05
HEALTH_TARGET_S = 0.5
MEMORY_TARGET_MIB = 1024


class Watch:
    """Polls /health and sums the service's resident memory until stopped."""

    def __init__(self, base: str, pid: int) -> None:
        self.base, self.pid = base, pid
        self.phase = "start"
        self.worst: dict[str, tuple[float, int]] = {}
        """phase → (slowest /health in s, most memory in bytes)."""
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def memory(self) -> int:
        """Resident bytes of the service's process and its children."""
        out = subprocess.run(
            ["ps", "-o", "rss=", "--ppid", str(self.pid), "-p", str(self.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return sum(int(x) for x in out.split()) * 1024

    def _run(self) -> None:
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                start = time.monotonic()
                with contextlib.suppress(httpx.HTTPError):
                    client.get(self.base + "/health")
                took = time.monotonic() - start
                slowest, most = self.worst.get(self.phase, (0.0, 0))
                self.worst[self.phase] = (max(slowest, took), max(most, self.memory()))
                time.sleep(HEALTH_EVERY_S)

    def done(self) -> None:
        self.stop.set()
        self.thread.join()


def token(env: dict[str, str], name: str, role: str) -> str:
    made = subprocess.run(
        [str(CUNRONG), "user", "add", name, "--role", role],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"token: (\S+)", made)
    if found is None:
        raise RuntimeError(f"no token in {made!r}")
    return found.group(1)


def start(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    """`cunrong serve` as an operator runs it; returns once every worker serves."""
    path = ROOT / "data" / "probes-service.log"
    log = path.open("ab")
    offset = path.stat().st_size
    proc = subprocess.Popen(
        [str(CUNRONG), "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    return wait_serving(proc, port, workers, path, offset)


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("villages.geojson", "w", force_zip64=True) as member,
    ):
        zeros = b"\0" * 2**20
        for _ in range(1100):
            member.write(zeros)
    return out.getvalue()


def big_village(vertices: int = 500_000) -> bytes:
    ring = [
        [
            117.1 + 0.01 * math.cos(2 * math.pi * i / vertices),
            39.3 + 0.01 * math.sin(2 * math.pi * i / vertices),
        ]
        for i in range(vertices)
    ]
    ring.append(ring[0])
    feature = {
        "type": "Feature",
        "properties": {"code": "BIG", "name": "大村"},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }
    return json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()


def exif_jpeg() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "ProbeCam"  # make
    exif[0xA431] = "SERIAL-12345"  # body serial number
    exif[0x8825] = {1: "N", 2: (39.0, 20.0, 1.0), 3: "E", 4: (117.0, 9.0, 2.0)}  # GPS
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (120, 160, 90)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def probe(base: str, env: dict[str, str], cluster: LocalCluster, watch: Watch) -> Counter[int]:
    admin = {"Authorization": f"Bearer {token(env, 'probe-admin', 'admin')}"}
    inspector = {"Authorization": f"Bearer {token(env, 'probe-inspector', 'inspector')}"}
    statuses: Counter[int] = Counter()
    client = httpx.Client(base_url=base, timeout=300)

    def show(name: str, send: Callable[[], httpx.Response]) -> httpx.Response:
        watch.phase = name
        answer = send()
        statuses[answer.status_code] += 1
        kind = answer.headers.get("content-type", "")
        message = ""
        if "json" in kind and answer.text.startswith("{"):
            message = json.loads(answer.text).get("message", "")
        elif "html" in kind:  # a page: its error box
            found = re.search(r'id="error-message">(.*?)</p>', answer.text, re.S)
            message = html.unescape(re.sub(r"<[^>]+>", "", found[1])) if found else ""
        print(f"  {name:34} {answer.status_code} {message[:110]}")
        return answer

    print("Uploads over the limits")
    bomb = zip_bomb()
    show(
        f"zip bomb ({len(bomb) / 1e6:.1f} MB → 1.1 GB)",
        lambda: client.post(
            "/import/villages", headers=admin, files={"file": ("v.zip", bomb, "application/zip")}
        ),
    )
    village = big_village()
    show(
        f"one village of 500,000 vertices ({len(village) / 1e6:.0f} MB)",
        lambda: client.post(
            "/import/villages",
            headers=admin,
            files={"file": ("v.geojson", village, "application/geo+json")},
        ),
    )
    print("Months out of range, bad bodies")
    for path in (
        "/issues?month=0000-01",
        "/issues?month=9999-12",
        "/maps/issues?month=0000-01",
        "/maps/status?month=9999-12",
        "/maps/ranking?month=0000-01",
        "/rankings/month/0000-01",
        "/rankings/month/9999-12",
        "/recheck?month=0000-01",
        "/?month=9999-12",
    ):
        show(path, lambda p=path: client.get(p, headers=admin))
    show(
        "a body that is not JSON",
        lambda: client.post(
            "/issues", headers=inspector | {"Content-Type": "application/json"}, content=b"{bad"
        ),
    )
    with create_engine(cluster.url(DB)).connect() as conn:
        category = conn.execute(text("SELECT min(code) FROM category")).scalar_one()
        lon, lat = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM village"
                " ORDER BY code LIMIT 1) s"
            )
        ).one()

    def create(issue_id: str, note: str = "") -> httpx.Response:
        body = {
            "id": issue_id,
            "category": category,
            "description": note,
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }
        return client.post("/issues", headers=inspector, json=body)

    show("a NUL in the description", lambda: create(str(uuid.uuid4()), "a\u0000b"))

    print("Overlapping retries: 30 ids, each sent twice at once")
    watch.phase = "overlapping retries"
    ids = [str(uuid.uuid4()) for _ in range(30)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(create, ids + ids))
    statuses.update(a.status_code for a in answers)
    own = all(a.json()["id"] in ids for a in answers if a.status_code in (200, 201))
    with create_engine(cluster.url(DB)).connect() as conn:
        stored, distinct = conn.execute(
            text("SELECT count(*), count(DISTINCT id) FROM issue WHERE id::text = ANY(:ids)"),
            {"ids": ids},
        ).one()
    print(
        f"  answers {dict(Counter(a.status_code for a in answers))}, each naming its own id:"
        f" {own}; stored {stored} rows for {distinct} ids (must be 30 and 30)"
    )

    print("Photos")
    photo = show(
        "a JPEG with EXIF GPS and a serial",
        lambda: client.post(
            f"/issues/{ids[0]}/photos",
            headers=inspector,
            files={"file": ("p.jpg", exif_jpeg(), "image/jpeg")},
        ),
    )
    if photo.status_code in (200, 201):
        for name in ("", "/thumbnail"):
            served = client.get(f"/photos/{photo.json()['id']}{name}", headers=admin).content
            tags = dict(Image.open(io.BytesIO(served)).getexif())
            leaked = [s for s in (b"SERIAL-12345", b"ProbeCam") if s in served]
            print(f"  served copy{name}: EXIF tags {tags or 'none'}, leaked {leaked or 'nothing'}")
    png = io.BytesIO()
    Image.new("1", (7700, 7700)).save(png, "PNG")
    show(
        f"a 7700 × 7700 PNG of {len(png.getvalue()) // 1024} KB",
        lambda: client.post(
            f"/issues/{ids[0]}/photos",
            headers=inspector,
            files={"file": ("big.png", png.getvalue(), "image/png")},
        ),
    )

    print("PostgreSQL stopped for 3 s while an inspector keeps creating")
    watch.phase = "outage"
    outage: Counter[str] = Counter()
    slowest = [0.0]

    def keep_creating() -> None:
        with httpx.Client(base_url=base, timeout=30) as own_client:
            until = time.monotonic() + 9
            while time.monotonic() < until:
                began = time.monotonic()
                body = {
                    "id": str(uuid.uuid4()),
                    "category": category,
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                }
                try:
                    r = own_client.post("/issues", headers=inspector, json=body)
                    kind = r.headers.get("content-type", "").split(";")[0]
                    after = r.headers.get("retry-after")
                    outage[
                        f"{r.status_code} {kind}" + (f" Retry-After {after}" if after else "")
                    ] += 1
                    statuses[r.status_code] += 1
                except httpx.HTTPError as exc:
                    outage[type(exc).__name__] += 1
                slowest[0] = max(slowest[0], time.monotonic() - began)
                time.sleep(0.02)

    creating = threading.Thread(target=keep_creating)
    creating.start()
    time.sleep(2)
    cluster.stop()
    down = httpx.get(base + "/health", timeout=10)
    print(f"  /health while down: {down.status_code} {down.text[:120]}")
    time.sleep(3)
    cluster.start()
    creating.join()
    print(f"  answers: {dict(outage)}; slowest {slowest[0]:.2f} s")
    client.close()
    return statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    cluster = LocalCluster(ROOT / "data" / "bench-pgdata")
    cluster.start()
    service = None
    try:
        url = fresh_database(cluster)
        env = os.environ | {
            "DATABASE_URL": url,
            "CUNRONG_DATABASE_URL": url,
            "CUNRONG_DATA_DIR": str(ROOT / "data" / "probes"),
        }
        port = free_port()
        base = f"http://{HOST}:{port}"
        service = start(env, port, args.workers)
        watch = Watch(base, service.pid)
        try:
            statuses = probe(base, env, cluster, watch)
        finally:
            watch.done()
        print("\nSummary")
        for phase, (slowest, most) in watch.worst.items():
            print(
                f"  {phase[:40]:40} /health ≤ {slowest * 1000:5.0f} ms,"
                f" memory ≤ {most / 2**20:5.0f} MiB"
            )
        slowest = max(s for s, _ in watch.worst.values())
        most = max(m for _, m in watch.worst.values())
        print(
            f"  slowest /health {slowest * 1000:.0f} ms (target ≤ {HEALTH_TARGET_S * 1000:.0f});"
            f" most memory {most / 2**20:.0f} MiB (target < {MEMORY_TARGET_MIB});"
            f" 500s: {statuses[500]} (target 0); answers {dict(sorted(statuses.items()))}"
        )
    finally:
        if service is not None:
            stop_service(service)
        cluster.stop()


if __name__ == "__main__":
    main()
