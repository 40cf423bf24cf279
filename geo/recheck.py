"""The recheck list (复核清单): what the next round must look at, village by village, in order.

Every issue still in the loop (submitted, open, unrectified, inadequate) that was found
before the round's month is due. Within a village the stops follow a nearest-neighbour
walk (distances in the town's metric CRS) starting at the village entrance (卡口) when one
is recorded, else at the issue nearest the village's centroid.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection

from geo import issue_reader

DUE_STATUSES = ("submitted", "open", "unrectified", "inadequate")


@dataclass(frozen=True)
class RecheckStop:
    """One issue to look at, in visiting order."""

    order: int
    id: uuid.UUID
    code: str
    category: str
    category_zh: str
    category_en: str
    status: str
    description: str
    found_on: date
    deadline: date | None
    days_overdue: int
    lon: float
    lat: float
    walk_m: float
    """Distance from the previous stop (or from the start)."""


@dataclass(frozen=True)
class VillageRecheck:
    """A village's part of the round."""

    village: str
    name: str
    stops: list[RecheckStop] = field(default_factory=list)

    @property
    def walk_m(self) -> float:
        """Length of the whole walk."""
        return sum(s.walk_m for s in self.stops)


def _nearest_neighbour_order(
    start: tuple[float, float], points: list[tuple[float, float]]
) -> list[int]:
    """Indexes of `points` in greedy nearest-neighbour order from `start`."""
    left = set(range(len(points)))
    here = start
    order: list[int] = []
    while left:
        nxt = min(left, key=lambda i: (math.dist(here, points[i]), i))
        order.append(nxt)
        left.remove(nxt)
        here = points[nxt]
    return order


def recheck_list(
    conn: Connection,
    *,
    month: date,
    villages: tuple[str, ...] = (),
    as_of: date | None = None,
    metric_srid: int | None = None,
    towns: Sequence[int] | None = None,
) -> list[VillageRecheck]:
    """Due issues per village (of the towns `towns`; None: all) for the round of `month`,
    each village in walking order, walked in `metric_srid` (None: the village's town's
    metric CRS)."""
    as_of = as_of or month
    rows = issue_reader.due_for_recheck(
        conn,
        before=month,
        statuses=DUE_STATUSES,
        villages=villages,
        metric_srid=metric_srid,
        towns=towns,
    )
    by_village: dict[str, list] = {}
    for row in rows:
        by_village.setdefault(row["village"], []).append(row)
    result: list[VillageRecheck] = []
    for code, items in by_village.items():
        first = items[0]
        has_entrance = first["ex"] is not None
        start = (first["ex"], first["ey"]) if has_entrance else (first["cx"], first["cy"])
        points = [(r["x"], r["y"]) for r in items]
        here = start
        stops: list[RecheckStop] = []
        for n, index in enumerate(_nearest_neighbour_order(start, points), start=1):
            r = items[index]
            late = (
                (as_of - r["deadline"]).days if r["deadline"] and r["status"] != "submitted" else 0
            )
            stops.append(
                RecheckStop(
                    order=n,
                    id=r["id"],
                    code=r["code"],
                    category=r["category"],
                    category_zh=r["category_zh"],
                    category_en=r["category_en"],
                    status=r["status"],
                    description=r["description"],
                    found_on=r["found_on"],
                    deadline=r["deadline"],
                    days_overdue=max(late, 0),
                    lon=r["lon"],
                    lat=r["lat"],
                    walk_m=math.dist(here, points[index]),
                )
            )
            here = points[index]
        result.append(VillageRecheck(village=code, name=first["village_name"], stops=stops))
    return result
