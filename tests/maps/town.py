"""A tiny synthetic town for map tests: nine square villages, grids, issues (no database)."""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import MultiPolygon, Point, box

from geo.categories import CATEGORIES
from geo.models import ISSUE_STATUSES

WEST, SOUTH = 117.20, 39.10
STEP = 0.02  # about 1.7 km × 2.2 km per village
TODAY = date(2024, 5, 15)
XSS_SCRIPT = "<script>window.__xss = 1</script>堆放杂物"
XSS_IMG = '<img src=x onerror="window.__xss = 2">乱搭乱建'


def villages(cols: int = 3, rows_: int = 3) -> gpd.GeoDataFrame:
    """Villages in a `cols` × `rows_` block (nine by default), one community per row."""
    rows = []
    for i in range(cols * rows_):
        col, row = i % cols, i // cols
        geom = box(
            WEST + col * STEP, SOUTH + row * STEP, WEST + (col + 1) * STEP, SOUTH + (row + 1) * STEP
        )
        rows.append(
            {
                "code": f"V{i + 1:02d}",
                "name": f"第{i + 1}村" if i != 4 else "<b>中</b>心村",
                "community_code": f"C{row + 1}",
                "community_name": f"共同体{row + 1}",
                "households": 300 + 10 * i,
                "geometry": MultiPolygon([geom]),
            }
        )
    return gpd.GeoDataFrame(rows, crs=4326)


def grids() -> gpd.GeoDataFrame:
    """Two grids (west and east half) per village."""
    rows = []
    for v in villages().itertuples():
        w, s, e, n = v.geometry.bounds
        mid = (w + e) / 2
        for j, (a, b) in enumerate(((w, mid), (mid, e))):
            rows.append(
                {
                    "village_code": v.code,
                    "village_name": v.name,
                    "name": f"{v.name}第{j + 1}网格",
                    "leader": "王网格长",
                    "geometry": MultiPolygon([box(a, s, b, n)]),
                }
            )
    return gpd.GeoDataFrame(rows, crs=4326)


def issues(n: int = 90, *, seed: int = 7) -> gpd.GeoDataFrame:
    """`n` issues spread over the villages, every status present, two of them hostile."""
    rng = np.random.default_rng(seed)
    lon = WEST + rng.uniform(0.001, 3 * STEP - 0.001, n)
    lat = SOUTH + rng.uniform(0.001, 3 * STEP - 0.001, n)
    found = [date(2024, 3, 1) + timedelta(days=int(d)) for d in rng.integers(0, 60, n)]
    status = [ISSUE_STATUSES[i % len(ISSUE_STATUSES)] for i in range(n)]
    cats = [CATEGORIES[i % 7].code for i in range(n)]
    desc = [f"第{i}号问题：路边堆放" for i in range(n)]
    desc[0], desc[1] = XSS_SCRIPT, XSS_IMG
    frame = gpd.GeoDataFrame(
        {
            "code": [f"Q{i:04d}" for i in range(n)],
            "category": cats,
            "status": status,
            "description": desc,
            "found_on": found,
            "deadline": [f + timedelta(days=15) for f in found],
            "closed_on": [
                f + timedelta(days=20) if s == "closed" else None
                for f, s in zip(found, status, strict=True)
            ],
            "rebound": [i % 11 == 3 for i in range(n)],
            "history": ["03-02 登记 → 03-20 提交整改" for _ in range(n)],
            "photos": [["/photos/abc/thumb.jpg"] if i % 5 == 0 else [] for i in range(n)],
            "village_name": "第1村",
            "grid_name": "第1网格",
        },
        geometry=[Point(x, y) for x, y in zip(lon, lat, strict=True)],
        crs=4326,
    )
    frame["found_on"] = pd.to_datetime(frame["found_on"]).dt.date
    return frame


def ranking(
    villages: gpd.GeoDataFrame, periods: tuple[str, ...] = ("2024-03", "2024-04")
) -> pd.DataFrame:
    """A monthly ranking with shared ranks, top five and bottom ten (the M2/M3 rules)."""
    rng = np.random.default_rng(3)
    out = []
    previous: dict[str, int] = {}
    for period in periods:
        scores = dict(
            zip(villages["code"], np.round(rng.uniform(70, 96, len(villages)), 2), strict=True)
        )
        ordered = sorted(scores.values())
        ranks = {c: 1 + sum(v > s for v in ordered) for c, s in scores.items()}
        for code, score in scores.items():
            lower = sum(v < score for v in ordered)
            out.append(
                {
                    "village": code,
                    "period": period,
                    "score": score,
                    "rank": ranks[code],
                    "top_five": ranks[code] <= 5,
                    "bottom_ten": lower < 10,
                    "previous_rank": previous.get(code),
                    "items": f"M1 观摩均分 {score:.2f}\nM4 后十名 −3"
                    if lower < 10
                    else f"M1 观摩均分 {score:.2f}",
                    "interview": "分管领导约谈村支部书记" if lower < 10 else None,
                }
            )
        previous = ranks
    frame = pd.DataFrame(out)
    frame["previous_rank"] = frame["previous_rank"].astype("Int64")
    return frame
