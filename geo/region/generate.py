"""A synthetic region in GeoParquet: towns of villages on a jittered grid, issue points.

Vectorised from end to end (numpy and shapely's array functions), written in parts of
`chunk` points so ten million points take bounded memory. The layout is made to exercise
every branch of the placement rule:

- villages of a town tile its block (a grid whose inner nodes are jittered, so edges are
  slanted and neighbours share their vertices exactly); towns are separated by gaps of
  `gap_m` metres, so points in a gap lie outside every village;
- a share of the points sits exactly on grid nodes (on the edge of up to four villages:
  the lowest id wins), a share in the gaps (snapped when within the GPS tolerance, else
  left unplaced), the rest uniform over the towns plus clusters (hot spots).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.categories import CATEGORIES
from geo.errors import InvalidInput
from geo.region.inputs import ISSUES, TOWNS, VILLAGES
from geo.vocab import ISSUE_STATUSES

ORIGIN = (116.80, 38.90)
"""South-west corner of the generated region (lon, lat): around Tianjin, zone 39 (117°E)."""
M_PER_DEG_LAT = 111_000.0
STATUS_WEIGHTS = {"open": 0.30, "submitted": 0.15, "closed": 0.45, "unrectified": 0.06}
STATUS_WEIGHTS["inadequate"] = 1.0 - sum(STATUS_WEIGHTS.values())


@dataclass(frozen=True)
class Region:
    """What was generated: counts and where."""

    towns: int
    villages: int
    points: int
    path: Path


def _layout(villages: int, towns: int) -> tuple[int, int, int]:
    """(town columns, village columns, village rows per town)."""
    if towns < 1 or villages < towns:
        raise InvalidInput(
            f"expected at least one town and one village per town, got {towns} towns"
            f" and {villages} villages",
            field="villages",
        )
    per_town = villages / towns
    vc = max(1, round(math.sqrt(per_town)))
    vr = max(1, math.ceil(per_town / vc))
    tc = max(1, round(math.sqrt(towns)))
    return tc, vc, vr


def generate_region(
    path: Path,
    *,
    towns: int = 4,
    villages: int = 300,
    points: int = 30_000,
    village_m: float = 1500.0,
    gap_m: float = 60.0,
    seed: int = 1,
    chunk: int = 1_000_000,
    as_of: date = date(2026, 6, 30),
) -> Region:
    """Write towns.parquet, villages.parquet and issues/part-*.parquet under `path`.

    Villages number `towns` × (a grid of about villages/towns), so slightly more than asked
    when the division is not exact; points exactly `points`.
    """
    if points < 0:
        raise InvalidInput(f"expected a number of points >= 0, got {points}", field="points")
    rng = np.random.default_rng(seed)
    tc, vc, vr = _layout(villages, towns)
    lon0, lat0 = ORIGIN
    dlat = village_m / M_PER_DEG_LAT
    dlon = village_m / (M_PER_DEG_LAT * math.cos(math.radians(lat0 + 1.0)))
    glat = gap_m / M_PER_DEG_LAT
    glon = glat * dlon / dlat
    town_w, town_h = vc * dlon + glon, vr * dlat + glat

    frames = []
    village_id = 0
    boxes = []
    for t in range(towns):
        ti, tj = t % tc, t // tc
        x0, y0 = lon0 + ti * town_w, lat0 + tj * town_h
        # Grid nodes; inner ones jittered by up to 30 % of a cell (shared exactly).
        xs = x0 + np.arange(vc + 1) * dlon
        ys = y0 + np.arange(vr + 1) * dlat
        nx, ny = np.meshgrid(xs, ys)
        jitter = rng.uniform(-0.3, 0.3, size=(2, vr + 1, vc + 1))
        inner = np.zeros((vr + 1, vc + 1), dtype=bool)
        inner[1:-1, 1:-1] = True
        nx = np.where(inner, nx + jitter[0] * dlon, nx)
        ny = np.where(inner, ny + jitter[1] * dlat, ny)
        r, c = np.divmod(np.arange(vr * vc), vc)
        ring = np.stack(
            [
                np.stack([nx[r, c], ny[r, c]], axis=-1),
                np.stack([nx[r, c + 1], ny[r, c + 1]], axis=-1),
                np.stack([nx[r + 1, c + 1], ny[r + 1, c + 1]], axis=-1),
                np.stack([nx[r + 1, c], ny[r + 1, c]], axis=-1),
                np.stack([nx[r, c], ny[r, c]], axis=-1),
            ],
            axis=1,
        )
        polys = shapely.multipolygons(shapely.polygons(ring)[:, None])
        n = len(polys)
        ids = np.arange(village_id + 1, village_id + n + 1)
        village_id += n
        frames.append(
            pd.DataFrame(
                {
                    "id": ids,
                    "code": [f"T{t + 1:04d}V{k + 1:03d}" for k in range(n)],
                    "name": [f"{t + 1}镇{k + 1}村" for k in range(n)],
                    "town_id": t + 1,
                    "households": rng.integers(80, 900, size=n),
                    "geometry": polys,
                }
            )
        )
        boxes.append((x0, y0, x0 + vc * dlon, y0 + vr * dlat, nx.ravel(), ny.ravel()))
    village_frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
    village_frame["households"] = village_frame["households"].astype("Int64")
    path.mkdir(parents=True, exist_ok=True)
    (path / ISSUES).mkdir(exist_ok=True)
    for old in (path / ISSUES).glob("*.parquet"):
        old.unlink()
    village_frame.to_parquet(path / VILLAGES, index=False)
    town_frame = gpd.GeoDataFrame(
        {
            "id": np.arange(1, towns + 1),
            "code": [f"120113{100 + t + 1:03d}" for t in range(towns)],
            "name": [f"{t + 1}镇" for t in range(towns)],
        },
        geometry=village_frame.dissolve("town_id").geometry.to_numpy(),
        crs=4326,
    )
    town_frame.to_parquet(path / TOWNS, index=False)

    categories = np.array([c.code for c in CATEGORIES])
    statuses = np.array(list(STATUS_WEIGHTS))
    weights = np.array(list(STATUS_WEIGHTS.values()))
    assert set(statuses) == set(ISSUE_STATUSES)
    start = as_of.toordinal() - 365
    written = 0
    part = 0
    while written < points:
        n = min(chunk, points - written)
        town = rng.integers(0, towns, size=n)
        kind = rng.random(n)
        x = np.empty(n)
        y = np.empty(n)
        for k, (west, south, east, north, nxs, nys) in enumerate(boxes):
            sel = town == k
            m = int(sel.sum())
            if m == 0:
                continue
            k_kind = kind[sel]
            px = rng.uniform(west - glon * 0.5, east + glon * 0.5, size=m)
            py = rng.uniform(south - glat * 0.5, north + glat * 0.5, size=m)
            # 2 %: exactly on a grid node (an edge of up to four villages).
            node = k_kind < 0.02
            pick = rng.integers(0, len(nxs), size=int(node.sum()))
            px[node], py[node] = nxs[pick], nys[pick]
            # 30 %: around one of the town's hot centres.
            hot = (k_kind >= 0.02) & (k_kind < 0.32)
            cx = west + (east - west) * np.array([0.3, 0.7])
            cy = south + (north - south) * np.array([0.6, 0.25])
            which = rng.integers(0, 2, size=int(hot.sum()))
            px[hot] = cx[which] + rng.normal(0, dlon * 0.4, size=which.size)
            py[hot] = cy[which] + rng.normal(0, dlat * 0.4, size=which.size)
            # 1 %: strays up to 300 m outside the town's block (mostly left unplaced).
            stray = k_kind >= 0.99
            m_stray = int(stray.sum())
            side = rng.integers(0, 4, size=m_stray)
            out_lon = rng.uniform(0, 300 / M_PER_DEG_LAT * dlon / dlat, size=m_stray)
            out_lat = rng.uniform(0, 300 / M_PER_DEG_LAT, size=m_stray)
            along_x = rng.uniform(west, east, size=m_stray)
            along_y = rng.uniform(south, north, size=m_stray)
            px[stray] = np.select([side == 0, side == 1], [west - out_lon, east + out_lon], along_x)
            py[stray] = np.select(
                [side == 2, side == 3], [south - out_lat, north + out_lat], along_y
            )
            x[sel], y[sel] = px, py
        found = start + rng.integers(0, 365, size=n)
        status = rng.choice(len(statuses), size=n, p=weights)
        deadline = found + rng.integers(7, 45, size=n)
        no_deadline = rng.random(n) < 0.05
        frame = gpd.GeoDataFrame(
            {
                "code": _codes(written + 1, n),
                "category": pd.Categorical.from_codes(
                    rng.integers(0, len(categories), size=n), categories=categories
                ),
                "status": pd.Categorical.from_codes(status, categories=statuses),
                "found_on": _dates(found),
                "deadline": _dates(np.where(no_deadline, -1, deadline)),
                "town_id": (town + 1).astype(np.int64),
            },
            geometry=shapely.points(x, y),
            crs=4326,
        )
        frame.to_parquet(path / ISSUES / f"part-{part:05d}.parquet", index=False)
        written += n
        part += 1
    return Region(towns=towns, villages=len(village_frame), points=written, path=path)


def _codes(first: int, n: int) -> pd.Series:
    """Issue codes R000000001 … as Arrow strings, built in Arrow's compute kernels."""
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(first, first + n)), pa.string()), 9, "0")
    codes = pc.binary_join_element_wise("R", digits, "")
    return pd.Series(pd.arrays.ArrowStringArray(codes))


def _dates(ordinals: np.ndarray) -> pd.Series:
    """Proleptic ordinals as datetime64[D] days; negative ordinals are missing (NaT)."""
    epoch = date(1970, 1, 1).toordinal()
    days = (ordinals - epoch).astype("datetime64[D]")
    days = np.where(ordinals < 0, np.datetime64("NaT"), days)
    return pd.Series(days.astype("datetime64[s]"))
