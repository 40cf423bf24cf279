"""Stable names for places: a candidate key must survive a re-run of the finder."""

from __future__ import annotations

import math

from shapely.geometry import Point

from geo.sites.kinds import SITE_KINDS

_SECTORS = ("E", "NE", "N", "NW", "W", "SW", "S", "SE")


def position_ref(point: Point) -> str:
    """'x,y' of a point in the metric CRS, to the metre."""
    return f"{round(point.x)},{round(point.y)}"


def sector(origin: Point, towards: Point) -> str:
    """The compass sector (E, NE, N, …) from `origin` towards `towards`."""
    angle = math.degrees(math.atan2(towards.y - origin.y, towards.x - origin.x)) % 360.0
    return _SECTORS[int(((angle + 22.5) % 360.0) // 45.0)]


def candidate_key(village_code: str, kind: str, *parts: str) -> str:
    """'V01:micro_spot:issue:DZZ07-202403-0012' and the like."""
    return ":".join((village_code, kind, *parts))


def village_code_of(key: str) -> str | None:
    """The village code a candidate key starts with (None when the key is malformed)."""
    parts = key.split(":")
    for i, part in enumerate(parts):
        if part in SITE_KINDS and i > 0:
            return ":".join(parts[:i])
    return None
