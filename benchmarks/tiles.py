"""Benchmark: vector tiles at 1,000,000 issues — time per tile, cells against points, the map.

Run by hand (not in the tests); bounded by the sample sizes below:

    .venv/bin/python -m benchmarks.tiles                     # 1,000,000 issues
    .venv/bin/python -m benchmarks.tiles --issues 50000 --per-zoom 6

Works in a throwaway database (never in yours): the benchmark villages of benchmarks.ingest,
N issues loaded through the importer's bulk path with a mix of statuses and deadlines, the
service started on a local port. Then:

1. per tile: a seeded sample of `--per-zoom` tiles at each zoom 8–16 over the villages,
   each fetched over HTTP (`GET /tiles/issues/z/x/y.mvt`, no cache) — p50/p90 per zoom and
   overall (target p90 ≤ 100 ms), the cells tiles summed from the tile summary (refreshed
   first, as `cunrong tiles refresh` does); then (1b) the same tiles cold from a second
   service that reads live (no summary, no cache), with the ratio, and (1c) the cells
   tiles filtered by one category, summary against live;
2. cells against points: for up to `--raw-per-zoom` of the aggregated tiles per zoom, the
   same tile encoded with every point (what it would weigh without aggregation) — sizes and
   their ratio (target ≥ 10× smaller);
3. the bbox filter: one z12 tile selected by the `geom` index (tile envelope → 4326) against
   a filter on ST_Transform(geom, 3857) with no index (and, with `--functional-index`, with
   a GiST index on that expression);
4. the issue map (/maps/issues, drawn from tiles) ready in headless Chromium (target ≤ 3 s).
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import create_engine, text

from benchmarks.ingest import load_villages, random_points, timed, village_source
from geo import issue_reader, tile_summary
from geo.io import issues as issue_io
from geo.tiles import Tile
from service.app import create_app
from service.settings import ServiceSettings
from tests.browser import Browser
from tests.postgis import PostgisServer

ZOOMS = range(8, 17)


def tile_range(bounds: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """Every tile x/y at zoom z over a lon/lat box."""
    west, south, east, north = bounds

    def xy(lon: float, lat: float) -> tuple[int, int]:
        n = 2**z
        rad = math.radians(lat)
        y = (1 - math.log(math.tan(rad) + 1 / math.cos(rad)) / math.pi) / 2 * n
        return int((lon + 180) / 360 * n), int(y)

    x0, y0 = xy(west, north)
    x1, y1 = xy(east, south)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of a list, by the nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def vary_issues(url: str) -> None:
    """A mix of statuses, deadlines (15 days after found) and closing days."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE issue SET deadline = found_on + 15,"
                " status = s, closed_on = CASE WHEN s = 'closed' THEN found_on + 12 END"
                " FROM (SELECT id AS sid,"
                "  (ARRAY['open','submitted','closed','closed','unrectified'])"
                "  [1 + abs(hashtext(code)) % 5] AS s FROM issue) pick WHERE pick.sid = issue.id"
            )
        )
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE issue"))
    engine.dispose()


def serve(url: str, tmp: Path, **settings: object) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The service on a free local port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The access log off: a line per tile would bury the figures.
    app = create_app(
        ServiceSettings(database_url=url, data_dir=tmp, log_level="WARNING", **settings)  # type: ignore[arg-type]
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


def main() -> None:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=1_000_000)
    parser.add_argument("--per-zoom", type=int, default=8, help="tiles sampled per zoom")
    parser.add_argument("--raw-per-zoom", type=int, default=2, help="cells-vs-points pairs")
    parser.add_argument("--functional-index", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    n = args.issues
    rng = random.Random(args.seed)

    settings = ServiceSettings()
    server_pg = PostgisServer.start(settings.database_url, pgdata=settings.pgdata)
    source, squares = village_source(None)
    name = server_pg.create_migrated(then=lambda url: load_villages(url, source, squares))
    url = server_pg.url_of(name)
    engine = create_engine(url)
    tmp = Path(f"/tmp/cunrong-bench-tiles-{name}")
    tmp.mkdir(exist_ok=True)
    service = live_service = None
    try:
        print(f"throwaway database {name}: villages from {source}")
        _, frame = timed(
            f"generate {n:,} points inside the villages", lambda: random_points(engine, n)
        )
        with engine.connect() as conn:
            trans = conn.begin()
            timed("load them (importer bulk path)", lambda: issue_io.copy_issue_points(conn, frame))
            issue_io.place_staged_issues(conn, tolerance_m=30.0)
            issue_io.load_staged_issues(conn, rows=n, note="benchmark ")
            trans.commit()
        timed("statuses, deadlines; VACUUM ANALYZE", lambda: vary_issues(url))
        with engine.connect() as conn:
            bounds = tuple(
                conn.execute(
                    text(
                        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
                        " FROM (SELECT ST_Extent(geom) AS e FROM village) t"
                    )
                ).one()
            )
        base = ServiceSettings(database_url=url)
        points_zoom, cell_px = base.tile_points_zoom, base.tile_cell_px
        print(f"tiles: cells below zoom {points_zoom} ({cell_px} px), points from it on")

        summary_s, _ = timed(
            "refresh the tile summary (cunrong tiles refresh)",
            lambda: tile_summary.refresh(engine),
        )
        with engine.connect() as conn:
            print(f"  summary: {tile_summary.row_count(conn):,} rows")
        service, _thread, base_url = serve(
            url,
            tmp,
            map_tiles_over=min(base.map_tiles_over, n - 1),
            tile_summary_max_age_s=86_400,  # no refresh while measuring
        )
        live_service, _live_thread, live_url = serve(
            url, tmp, tile_summary=False, tile_cache_tiles=0
        )

        # 1. time per tile over HTTP
        sample: list[tuple[int, int, int]] = []
        for z in ZOOMS:
            xy = tile_range(bounds, z)  # type: ignore[arg-type]
            sample += [(z, x, y) for x, y in rng.sample(xy, min(args.per_zoom, len(xy)))]
        times: dict[int, list[float]] = {z: [] for z in ZOOMS}
        warm: dict[int, list[float]] = {z: [] for z in ZOOMS}
        sizes: dict[int, list[int]] = {z: [] for z in ZOOMS}
        kinds: dict[int, set[str]] = {z: set() for z in ZOOMS}
        sources: dict[int, set[str]] = {z: set() for z in ZOOMS}
        with httpx.Client(base_url=base_url, timeout=300) as client:
            client.get("/tiles/issues/12/0/0.mvt")  # connections, plans
            for into in (times, warm):  # first made, then again (aggregated ones cached)
                for z, x, y in sample:
                    start = time.perf_counter()
                    r = client.get(f"/tiles/issues/{z}/{x}/{y}.mvt")
                    into[z].append((time.perf_counter() - start) * 1000)
                    r.raise_for_status()
                    if into is times:
                        sources[z].add(r.headers["x-tile-source"])
                        sizes[z].append(len(r.content))
                        kinds[z].add(r.headers["x-tile-kind"])
        live: dict[int, list[float]] = {z: [] for z in ZOOMS}
        with httpx.Client(base_url=live_url, timeout=300) as client:
            client.get("/tiles/issues/12/0/0.mvt")
            for z, x, y in sample:
                start = time.perf_counter()
                r = client.get(f"/tiles/issues/{z}/{x}/{y}.mvt")
                live[z].append((time.perf_counter() - start) * 1000)
                r.raise_for_status()
        print("\n1. time per tile over HTTP: made (cold), then asked again (cells from the cache)")
        print(
            f"  {'zoom':>4} {'kind':>12} {'tiles':>5} {'p50 ms':>8} {'p90 ms':>8}"
            f" {'again p90':>10} {'mean KB':>8}"
        )
        for z in ZOOMS:
            kind = "/".join(sorted(kinds[z]))
            print(
                f"  {z:>4} {kind:>12} {len(times[z]):>5} {quantile(times[z], 0.5):>8.1f}"
                f" {quantile(times[z], 0.9):>8.1f} {quantile(warm[z], 0.9):>10.1f}"
                f" {statistics.mean(sizes[z]) / 1024:>8.1f}"
            )
        every = [t for z in ZOOMS for t in times[z]]
        again = [t for z in ZOOMS for t in warm[z]]
        p50, p90 = quantile(every, 0.5), quantile(every, 0.9)
        w50, w90 = quantile(again, 0.5), quantile(again, 0.9)
        print(f"  all {len(every)} tiles made: p50 {p50:.1f} ms, p90 {p90:.1f} ms")
        print(f"  asked again:          p50 {w50:.1f} ms, p90 {w90:.1f} ms (target p90 ≤ 100 ms)")

        print("\n1b. cold tiles: cells summed from the summary against read live (no cache)")
        print(
            f"  {'zoom':>4} {'source':>14} {'p50 ms':>8} {'p90 ms':>8}"
            f" {'live p50':>9} {'live p90':>9} {'p90 ratio':>9}"
        )
        for z in ZOOMS:
            src = "/".join(sorted(sources[z]))
            l90 = quantile(live[z], 0.9)
            print(
                f"  {z:>4} {src:>14} {quantile(times[z], 0.5):>8.1f}"
                f" {quantile(times[z], 0.9):>8.1f} {quantile(live[z], 0.5):>9.1f} {l90:>9.1f}"
                f" {l90 / max(quantile(times[z], 0.9), 0.01):>8.1f}×"
            )
        every_live = [t for z in ZOOMS for t in live[z]]
        l50, l90 = quantile(every_live, 0.5), quantile(every_live, 0.9)
        print(
            f"  z8–z16 cold: summary p50 {p50:.1f} / p90 {p90:.1f} ms; live p50 {l50:.1f} /"
            f" p90 {l90:.1f} ms; p90 live / summary {l90 / max(p90, 0.01):.1f}×"
        )

        # 1c. a filtered map (one category): the summary's rows by every dimension
        with engine.connect() as conn:
            category = str(conn.execute(text("SELECT min(category_code) FROM issue")).scalar_one())
        filtered = [t for t in sample if t[0] < points_zoom]
        by_source: dict[str, list[float]] = {"summary": [], "live": []}
        for label, at in (("summary", base_url), ("live", live_url)):
            with httpx.Client(base_url=at, timeout=300) as client:
                for z, x, y in filtered:
                    start = time.perf_counter()
                    r = client.get(f"/tiles/issues/{z}/{x}/{y}.mvt", params={"category": category})
                    by_source[label].append((time.perf_counter() - start) * 1000)
                    r.raise_for_status()
                    assert r.headers["x-tile-source"] == label, r.headers
        f50, f90 = quantile(by_source["summary"], 0.5), quantile(by_source["summary"], 0.9)
        g50, g90 = quantile(by_source["live"], 0.5), quantile(by_source["live"], 0.9)
        print(f"\n1c. cold cells tiles z8–z{points_zoom - 1} filtered by category={category}")
        print(
            f"  summary p50 {f50:.1f} / p90 {f90:.1f} ms; live p50 {g50:.1f} / p90 {g90:.1f} ms;"
            f" p90 live / summary {g90 / max(f90, 0.01):.1f}×"
        )

        # 2. cells against points, same tiles
        print("\n2. aggregated tile against the same tile with every point")
        print(f"  {'tile':>16} {'cells KB':>9} {'points KB':>10} {'ratio':>7} {'points ms':>10}")
        ratios = []
        with engine.connect() as conn:
            for z in ZOOMS:
                if z >= points_zoom:
                    continue
                tiles = [t for t in sample if t[0] == z]
                for _, x, y in tiles[: args.raw_per_zoom]:
                    tile = Tile(z, x, y)
                    q = issue_reader.IssueQuery()
                    cells = issue_reader.mvt_cells(
                        conn, q, tile, levels={16: 4, 32: 3, 64: 2, 128: 1}[cell_px]
                    )
                    start = time.perf_counter()
                    raw = issue_reader.mvt_points(conn, q, tile)
                    raw_ms = (time.perf_counter() - start) * 1000
                    if not raw:
                        continue
                    ratio = len(raw) / max(len(cells), 1)
                    ratios.append(ratio)
                    print(
                        f"  {f'{z}/{x}/{y}':>16} {len(cells) / 1024:>9.1f} {len(raw) / 1024:>10.1f}"
                        f" {ratio:>6.0f}× {raw_ms:>10.0f}"
                    )
        if ratios:
            print(
                f"  aggregated tiles are {min(ratios):.0f}× to {max(ratios):.0f}× smaller"
                f" (median {statistics.median(ratios):.0f}×; target ≥ 10×)"
            )

        # 3. the bbox filter: the geom index against a transform per row
        print("\n3. selecting one z12 tile's points")
        z12 = next(t for t in sample if t[0] == 12)
        x, y = z12[1], z12[2]
        env = f"ST_TileEnvelope(12, {x}, {y})"
        queries = {
            "geom && ST_Transform(envelope, 4326)  (geom GiST index)": (
                f"SELECT count(*) FROM issue WHERE geom && ST_Transform({env}, 4326)"
            ),
            "ST_Transform(geom, 3857) && envelope  (no index)": (
                f"SELECT count(*) FROM issue WHERE ST_Transform(geom, 3857) && {env}"
            ),
        }
        with engine.connect() as conn:
            if args.functional_index:
                timed(
                    "CREATE INDEX … USING gist (ST_Transform(geom, 3857))",
                    lambda: conn.execute(
                        text(
                            "CREATE INDEX issue_geom_3857 ON issue"
                            " USING gist (ST_Transform(geom, 3857))"
                        )
                    ),
                )
                conn.execute(text("ANALYZE issue"))
                queries["ST_Transform(geom, 3857) && envelope  (functional index)"] = queries.pop(
                    "ST_Transform(geom, 3857) && envelope  (no index)"
                )
            for label, sql in queries.items():
                conn.execute(text(sql)).scalar_one()
                start = time.perf_counter()
                found = conn.execute(text(sql)).scalar_one()
                ms = (time.perf_counter() - start) * 1000
                print(f"  {label:<62} {ms:8.1f} ms  ({found:,} points)")
            if args.functional_index:
                conn.rollback()

        # 4. the map in Chromium
        print("\n4. the issue map in headless Chromium")
        with Browser() as browser:
            page = browser.open(f"{base_url}/maps/issues?basemap=plain")
            ready_ms = browser.wait_for_map(page)
            tiled = page.evaluate("() => !!window.cunrong.lastTiles")
            shown = page.locator(".leaflet-overlay-pane canvas.leaflet-tile").count()
            browser.close_page(page)
        print(
            f"  ready in {ready_ms / 1000:.2f} s from tiles={tiled} ({shown} canvas tiles;"
            " target ≤ 3 s)"
        )

        print("\nSummary")
        print(f"  issues                      {n:>12,}")
        print(f"  summary refresh             {summary_s:>10.1f} s")
        print(f"  per tile made p50 / p90     {p50:>8.1f} / {p90:.1f} ms   (target p90 ≤ 100 ms)")
        print(f"  same, live p50 / p90        {l50:>8.1f} / {l90:.1f} ms   (no summary, no cache)")
        print(
            f"  filtered cells p50 / p90    {f50:>8.1f} / {f90:.1f} ms"
            f"   (live {g50:.1f} / {g90:.1f}, one category)"
        )
        print(f"  per tile again p50 / p90    {w50:>8.1f} / {w90:.1f} ms   (cells from the cache)")
        if ratios:
            median = statistics.median(ratios)
            print(f"  cells vs points, median     {median:>10.0f}×      (target ≥ 10×)")
        print(f"  map ready                   {ready_ms / 1000:>10.2f} s      (target ≤ 3 s)")
    finally:
        if service is not None:
            service.should_exit = True
        if live_service is not None:
            live_service.should_exit = True
        engine.dispose()
        server_pg.drop(name)


if __name__ == "__main__":
    main()
