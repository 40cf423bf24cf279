"""Issue points as one compact payload: what each pin shows and what its popup says.

The issue frame (a GeoDataFrame in EPSG:4326, one Point per issue) needs `category` and
`status`; these columns are used when present: `code`, `description`, `found_on`,
`deadline`, `closed_on`, `days_overdue` (else computed from `deadline` and `today`),
`rebound` (bool) or `rebound_of`, `history` (a one-line summary), `photos` (a list of
thumbnail URLs), `village_name`, `grid_name`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.categories import CATEGORIES, CategoryDef
from geo.errors import InvalidInput, UnknownCategory
from geo.maps.basemaps import Basemap
from geo.maps.labels import (
    Lang,
    category_glyph,
    category_label,
    status_label,
    texts,
)
from geo.maps.payload import (
    check_color,
    check_frame,
    day_numbers,
    point_columns,
    string_table,
)
from geo.models import ISSUE_STATUSES, OPEN_STATUSES

DESCRIPTION_CHARS = 80
"""Descriptions longer than this are cut in the popup (the full text is in the issue page)."""

_POPUP_TEXTS = (
    "legend_filter",
    "category",
    "status",
    "marks",
    "overdue",
    "overdue_days",
    "days",
    "rebound",
    "found_on",
    "deadline",
    "closed_on",
    "village",
    "grid",
    "history",
    "photos",
)
_SAFE_URL = ("http://", "https://", "/", "data:image/")


def days_overdue(issues: pd.DataFrame, *, today: date) -> np.ndarray:
    """Days past the deadline for issues still to rectify, 0 for the others."""
    if "days_overdue" in issues.columns:
        return issues["days_overdue"].fillna(0).clip(lower=0).astype(np.int64).to_numpy()
    if "deadline" not in issues.columns:
        return np.zeros(len(issues), dtype=np.int64)
    deadline = pd.to_datetime(issues["deadline"]).to_numpy().astype("datetime64[D]")
    late = (np.datetime64(today, "D") - deadline).astype(np.int64)
    still_open = issues["status"].isin(OPEN_STATUSES).to_numpy()
    late = np.where(np.isnat(deadline) | ~still_open, 0, late)
    return np.clip(late, 0, None)


def rebound_flags(issues: pd.DataFrame) -> np.ndarray:
    """Whether each issue is a rebound (反弹) of a closed one."""
    if "rebound" in issues.columns:
        return issues["rebound"].fillna(False).astype(bool).to_numpy()
    if "rebound_of" in issues.columns:
        return issues["rebound_of"].notna().to_numpy()
    return np.zeros(len(issues), dtype=bool)


def check_issues(issues: gpd.GeoDataFrame, categories: dict[str, CategoryDef]) -> None:
    """InvalidInput naming the row when a frame cannot be drawn as issues."""
    check_frame(issues, name="issues", columns=("category", "status"), geom_types=("Point",))
    unknown = ~issues["category"].isin(list(categories))
    if unknown.any():
        row = int(np.flatnonzero(unknown.to_numpy())[0])
        raise UnknownCategory(
            f"unknown category {issues['category'].iloc[row]!r}", field="category", row=row
        )
    bad = ~issues["status"].isin(ISSUE_STATUSES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidInput(
            f"unknown status {issues['status'].iloc[row]!r}; "
            f"expected one of {', '.join(ISSUE_STATUSES)}",
            field="status",
            row=row,
        )


def _photos(values: pd.Series) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for i, urls in enumerate(values.tolist()):
        if urls is None or (not isinstance(urls, (list, tuple, np.ndarray)) and pd.isna(urls)):
            continue
        if isinstance(urls, str):
            urls = [urls]
        good = [str(u) for u in urls if str(u).lower().startswith(_SAFE_URL)]
        if good:
            out[str(i)] = good
    return out


def issue_payload(
    issues: gpd.GeoDataFrame,
    *,
    lang: Lang,
    today: date,
    basemap: Basemap,
    categories: tuple[CategoryDef, ...] = CATEGORIES,
    cluster: bool = True,
    legend: bool = True,
    name: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The data (columns) and options for `cunrong.issues` in the page."""
    by_code = {c.code: c for c in categories}
    check_issues(issues, by_code)
    lon, lat = basemap.shift_xy(issues.geometry.x.to_numpy(), issues.geometry.y.to_numpy())
    data: dict[str, Any] = point_columns(lon, lat)
    cat_index = {c.code: i for i, c in enumerate(categories)}
    status_index = {s: i for i, s in enumerate(ISSUE_STATUSES)}
    data["c"] = issues["category"].map(cat_index).astype(np.int64).tolist()
    data["s"] = issues["status"].map(status_index).astype(np.int64).tolist()
    late = days_overdue(issues, today=today)
    data["od"] = late.tolist()
    data["f"] = (
        (late > 0).astype(np.int64) | (rebound_flags(issues).astype(np.int64) << 1)
    ).tolist()
    date_cols = [c for c in ("found_on", "deadline", "closed_on") if c in issues.columns]
    if date_cols:
        firsts = [pd.to_datetime(issues[c]).min() for c in date_cols if issues[c].notna().any()]
        origin = int(np.datetime64(min(firsts).date(), "D").astype(np.int64)) if firsts else 0
        data["d0"] = origin
        for col, key in (("found_on", "fo"), ("deadline", "dl"), ("closed_on", "cl")):
            if col in issues.columns:
                data[key] = day_numbers(issues[col], origin)
    if "code" in issues.columns:
        data["code"] = issues["code"].astype("string").fillna("").tolist()
    tables: dict[str, Any] = {}
    for col, key, limit in (
        ("description", "ds", DESCRIPTION_CHARS),
        ("history", "hi", None),
        ("village_name", "vn", None),
        ("grid_name", "gn", None),
    ):
        if col in issues.columns:
            table = string_table(issues[col], max_chars=limit)
            if table is not None:
                tables[key] = table
    data["t"] = tables
    if "photos" in issues.columns:
        data["p"] = _photos(issues["photos"])
    options = {
        "name": name,
        "cluster": cluster,
        "legend": legend,
        "categories": [
            {
                "code": c.code,
                "label": category_label(c, lang),
                "color": check_color(c.color, field=f"category {c.code} color"),
                "glyph": category_glyph(c, lang),
            }
            for c in categories
        ],
        "statuses": [{"code": s, "label": status_label(s, lang)} for s in ISSUE_STATUSES],
        "text": texts(lang, *_POPUP_TEXTS),
    }
    return data, options
