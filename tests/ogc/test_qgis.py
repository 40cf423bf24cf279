"""QGIS itself (Debian's python3-qgis, headless) opens the OGC API layers of the service.

QGIS runs in a subprocess with the system Python (`make qgis` installs it), offscreen.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.ogc.conftest import LiveTown

SYSTEM_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("qgis_open.py")


def run_qgis(*args: str) -> dict:
    """What tests/ogc/qgis_open.py read, as a dict (fails the test on any error)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": "/tmp"}
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    done = subprocess.run(
        [SYSTEM_PYTHON, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, (done.stdout[-2000:], done.stderr[-2000:])
    return json.loads(lines[-1])


def _count(db_url: str, sql: str, **params) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        n = conn.execute(text(sql), params).scalar_one()
    engine.dispose()
    return int(n)


def test_qgis_opens_the_layers_and_counts_features(live_town: LiveTown):
    read = run_qgis("layers", live_town.base, live_town.tokens["office"], "issues", "villages")
    issues, villages = read["layers"]
    assert issues["valid"] and villages["valid"], read
    assert issues["provider"].lower() == "oapif"
    assert issues["count"] == _count(live_town.db_url, "SELECT count(*) FROM issue")
    assert villages["count"] == _count(live_town.db_url, "SELECT count(*) FROM village")
    assert {"code", "category", "status", "found_on"} <= set(issues["fields"])


def test_qgis_as_a_village_user_sees_one_village(live_town: LiveTown):
    read = run_qgis("basic", live_town.base, live_town.tokens["vill"], "issues")
    (issues,) = read["layers"]
    assert issues["valid"], read
    assert issues["villages"] == [live_town.village]
    assert issues["count"] == _count(
        live_town.db_url,
        "SELECT count(*) FROM issue i JOIN village v ON v.id = i.village_id WHERE v.code = :v",
        v=live_town.village,
    )
