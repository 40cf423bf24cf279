"""How the issue map scales: build time, HTML size and time to ready in headless Chromium.

    .venv/bin/python -m benchmarks.maps              # 5,000 / 50,000 / 200,000 issues
    .venv/bin/python -m benchmarks.maps --sizes 5000 --naive-up-to 50000

Each size is built with `geo.maps.issues.issue_map` (one columnar JSON payload, clustered in
the browser) and, up to `--naive-up-to`, as the naive folium map (one `folium.Marker` with a
popup per issue, in a MarkerCluster) in the same run. Targets at 50,000 issues: HTML ≤ 3 MB,
build ≤ 1 s, ready in the browser ≤ 3 s. Needs Chromium (`apt-get install chromium`).
"""

from __future__ import annotations

import argparse
import html
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from folium.plugins import MarkerCluster
from shapely.geometry import MultiPolygon, box

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo.categories import CATEGORIES  # noqa: E402
from geo.maps.assets import TownMap  # noqa: E402
from geo.maps.base import RuntimeCall  # noqa: E402
from geo.maps.issues import issue_map  # noqa: E402
from geo.models import ISSUE_STATUSES  # noqa: E402
from tests.browser import Browser  # noqa: E402

WEST, SOUTH, STEP, COLS, ROWS = 117.10, 39.05, 0.02, 8, 6
TODAY = date(2024, 6, 1)
PLACES = ("村东头", "村西口", "主街北侧", "南大街", "小学门前", "河沟边", "文化广场旁", "巷道内")
THINGS = (
    "堆放建筑垃圾",
    "杂物乱堆",
    "柴草未清理",
    "生活垃圾散落",
    "私搭棚子",
    "污水外溢",
    "电线乱拉",
)


def villages() -> gpd.GeoDataFrame:
    """48 rectangular villages (the town has 44)."""
    rows = []
    for i in range(COLS * ROWS):
        c, r = i % COLS, i // COLS
        cell = box(WEST + c * STEP, SOUTH + r * STEP, WEST + (c + 1) * STEP, SOUTH + (r + 1) * STEP)
        rows.append(
            {"code": f"V{i + 1:02d}", "name": f"第{i + 1}村", "geometry": MultiPolygon([cell])}
        )
    return gpd.GeoDataFrame(rows, crs=4326)


def issues(n: int, *, seed: int = 1) -> gpd.GeoDataFrame:
    """`n` issues with the columns the map shows (templated descriptions, dated history)."""
    rng = np.random.default_rng(seed)
    lon = WEST + rng.uniform(0, COLS * STEP, n)
    lat = SOUTH + rng.uniform(0, ROWS * STEP, n)
    found = np.datetime64("2024-03-01") + rng.integers(0, 90, n).astype("timedelta64[D]")
    deadline = found + np.timedelta64(15, "D")
    status = rng.choice(ISSUE_STATUSES, n, p=[0.35, 0.15, 0.35, 0.1, 0.05])
    closed = np.where(status == "closed", found + np.timedelta64(12, "D"), np.datetime64("NaT"))
    village = (np.floor((lat - SOUTH) / STEP) * COLS + np.floor((lon - WEST) / STEP) + 1).astype(
        int
    )
    places = rng.integers(0, len(PLACES), n)
    things = rng.integers(0, len(THINGS), n)
    desc = [f"{PLACES[p]}{THINGS[t]}" for p, t in zip(places, things, strict=True)]
    fmt = pd.to_datetime(found).strftime("%m-%d")
    history = [
        f"{f} 登记" if s == "open" else f"{f} 登记 → 提交整改"
        for f, s in zip(fmt, status, strict=True)
    ]
    return gpd.GeoDataFrame(
        {
            "code": [f"V{v:02d}-{i:06d}" for i, v in enumerate(village)],
            "category": rng.choice([c.code for c in CATEGORIES], n),
            "status": status,
            "description": desc,
            "found_on": pd.to_datetime(found).date,
            "deadline": pd.to_datetime(deadline).date,
            "closed_on": pd.to_datetime(closed),
            "rebound": rng.random(n) < 0.02,
            "history": history,
            "village_name": [f"第{v}村" for v in village],
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )


class NaiveMap(TownMap):
    """A self-contained folium map that may hold folium Popups (with a `$` stand-in)."""

    allows_folium_popups = True


def naive_map(frame: gpd.GeoDataFrame, vills: gpd.GeoDataFrame) -> folium.Map:
    """The obvious folium map: one Marker, DivIcon and Popup per issue, in a MarkerCluster."""
    colors = {c.code: c.color for c in CATEGORIES}
    m = NaiveMap(location=[SOUTH + 0.06, WEST + 0.08], zoom_start=12)
    m.add_child(RuntimeCall("setup", {"maxZoom": 19, "detailZoom": 15, "lang": "zh"}))
    # folium.Popup parses its HTML with jQuery's $(…); jQuery is not vendored, so a
    # minimal stand-in (cheaper than jQuery, which flatters the naive map) takes its place.
    m.get_root().header.add_child(
        folium.Element(
            "<script>window.$ = (s) => { const t = document.createElement('template');"
            " t.innerHTML = s.trim(); return [t.content.firstChild]; };</script>"
        )
    )
    folium.GeoJson(vills[["name", "geometry"]].to_json()).add_to(m)
    cluster = MarkerCluster().add_to(m)
    for row in frame.itertuples():
        folium.Marker(
            [row.geometry.y, row.geometry.x],
            icon=folium.DivIcon(
                html=f'<span style="background:{colors[row.category]};width:16px;height:16px;'
                'display:block;border-radius:50%"></span>'
            ),
            popup=folium.Popup(
                f"<b>{html.escape(row.code)}</b><br>{html.escape(row.description)}<br>"
                f"{row.found_on} → {row.deadline}<br>{html.escape(row.history)}",
                max_width=300,
            ),
        ).add_to(cluster)
    m.get_root().script.add_child(
        folium.Element("window.cunrongReady = true; performance.mark('cunrong-ready');")
    )
    return m


def measure(build, browser: Browser, folder: Path, name: str) -> tuple[float, float, float]:
    """Build seconds, HTML megabytes, seconds from navigation to ready in Chromium."""
    start = time.perf_counter()
    m = build()
    page_html = m.get_root().render()
    built = time.perf_counter() - start
    path = folder / f"{name}.html"
    path.write_text(page_html, encoding="utf-8")
    page = browser.open(path)
    ready_ms = browser.wait_for_map(page, timeout_ms=600_000)
    browser.close_page(page)
    return built, path.stat().st_size / 1e6, ready_ms / 1000


def main() -> None:
    """Run the benchmark and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5_000, 50_000, 200_000])
    parser.add_argument("--naive-up-to", type=int, default=5_000)
    args = parser.parse_args()
    vills = villages()
    print(f"{'issues':>8} {'map':<8} {'build s':>8} {'HTML MB':>8} {'ready s':>8}  vs naive")
    with Browser() as browser, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        issue_map(issues(100), villages=vills, today=TODAY)  # warm imports
        for n in args.sizes:
            frame = issues(n)
            ours = measure(
                lambda frame=frame: issue_map(frame, villages=vills, today=TODAY, basemap="plain"),
                browser,
                folder,
                f"cunrong_{n}",
            )
            naive = None
            if n <= args.naive_up_to:
                naive = measure(
                    lambda frame=frame: naive_map(frame, vills), browser, folder, f"naive_{n}"
                )
            for label, row in (("cunrong", ours), ("naive", naive)):
                if row is None:
                    continue
                ratio = ""
                if naive is not None and label == "cunrong":
                    ratio = "  ".join(
                        f"{name} ×{b / a:.1f}" if a > 0 else ""
                        for name, a, b in zip(("build", "size", "ready"), ours, naive, strict=True)
                    )
                print(f"{n:>8} {label:<8} {row[0]:>8.2f} {row[1]:>8.2f} {row[2]:>8.2f}  {ratio}")
    print(
        f"(Chromium {browser.version}; 'vs naive' = how many times the naive map is larger/slower)"
    )


if __name__ == "__main__":
    main()
