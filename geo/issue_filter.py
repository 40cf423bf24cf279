"""Which issues a request or a map asks for: one filter, turned into SQL conditions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, false, func, or_, select

from geo.errors import InvalidInput
from geo.models import (
    ISSUE_SOURCES,
    ISSUE_STATUSES,
    OPEN_STATUSES,
    SRID,
    Community,
    Issue,
    Village,
)
from scoring.inputs import EARLIEST_YEAR, LATEST_YEAR, MONTH_PATTERN, next_month


@dataclass(frozen=True)
class BBox:
    """A lon/lat box in EPSG:4326."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def parse(cls, value: str, *, field: str = "bbox") -> BBox:
        """Parse 'west,south,east,north' in degrees, naming what is wrong."""
        parts = value.split(",")
        try:
            west, south, east, north = (float(p) for p in parts)
        except ValueError:
            raise InvalidInput(
                f"expected four numbers 'west,south,east,north' in degrees, got {value!r}",
                field=field,
            ) from None
        if not (-180 <= west <= 180 and -180 <= east <= 180):
            raise InvalidInput("longitudes must lie within -180..180", field=field)
        if not (-90 <= south <= 90 and -90 <= north <= 90):
            hint = " (lon and lat swapped?)" if -90 <= west <= 90 and -90 <= east <= 90 else ""
            raise InvalidInput(f"latitudes must lie within -90..90{hint}", field=field)
        if west > east or south > north:
            raise InvalidInput("expected west ≤ east and south ≤ north", field=field)
        return cls(west, south, east, north)


def parse_month(value: str, *, field: str = "month") -> date:
    """'2024-04' → date(2024, 4, 1), or InvalidInput naming the field (years 2000–2100)."""
    match = MONTH_PATTERN.match(value.strip())
    if not match:
        raise InvalidInput(f"expected a month as YYYY-MM, got {value!r}", field=field)
    if not EARLIEST_YEAR <= int(match[1]) <= LATEST_YEAR:
        raise InvalidInput(
            f"expected a month from {EARLIEST_YEAR}-01 to {LATEST_YEAR}-12, got {value!r}",
            field=field,
        )
    return date(int(match[1]), int(match[2]), 1)


def check_date(day: date, *, field: str) -> date:
    """`day`, or InvalidInput naming the field when it lies outside the years 2000–2100."""
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput(
            f"expected a date from {EARLIEST_YEAR}-01-01 to {LATEST_YEAR}-12-31, got {day}",
            field=field,
        )
    return day


def _next_month(month: date) -> date:
    following = next_month(f"{month:%Y-%m}")
    return date(int(following[:4]), int(following[5:7]), 1)


@dataclass(frozen=True)
class IssueFilter:
    """A selection of issues; empty lists mean 'any'."""

    villages: Sequence[str] = field(default_factory=tuple)
    communities: Sequence[str] = field(default_factory=tuple)
    categories: Sequence[str] = field(default_factory=tuple)
    statuses: Sequence[str] = field(default_factory=tuple)
    sources: Sequence[str] = field(default_factory=tuple)
    month: date | None = None
    overdue: bool | None = None
    bbox: BBox | None = None
    as_of: date | None = None
    towns: Sequence[int] | None = None
    """The caller's town scope (town ids): None, every town; filled from the user by
    `service.filters.issue_filter`, so every reader of a request is scoped."""

    def __post_init__(self) -> None:
        for value in self.statuses:
            if value not in ISSUE_STATUSES:
                raise InvalidInput(
                    f"unknown status {value!r}; expected one of {', '.join(ISSUE_STATUSES)}",
                    field="status",
                )
        for value in self.sources:
            if value not in ISSUE_SOURCES:
                raise InvalidInput(
                    f"unknown source {value!r}; expected one of {', '.join(ISSUE_SOURCES)}",
                    field="source",
                )

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on `issue` (joined to nothing else) for this filter."""
        conds: list[ColumnElement[bool]] = []
        if self.towns is not None:
            conds.append(Issue.town_id.in_(tuple(self.towns)) if self.towns else false())
        if self.villages:
            conds.append(
                Issue.village_id.in_(select(Village.id).where(Village.code.in_(self.villages)))
            )
        if self.communities:
            conds.append(
                Issue.village_id.in_(
                    select(Village.id)
                    .join(Community, Community.id == Village.community_id)
                    .where(
                        or_(
                            Community.code.in_(self.communities),
                            Community.name.in_(self.communities),
                        )
                    )
                )
            )
        if self.categories:
            conds.append(Issue.category_code.in_(self.categories))
        if self.statuses:
            conds.append(Issue.status.in_(self.statuses))
        if self.sources:
            conds.append(Issue.source.in_(self.sources))
        if self.month is not None:
            conds.append(
                and_(Issue.found_on >= self.month, Issue.found_on < _next_month(self.month))
            )
        if self.overdue is not None:
            today = self.as_of or date.today()
            late = and_(Issue.status.in_(OPEN_STATUSES), Issue.deadline < today)
            conds.append(late if self.overdue else ~late)
        if self.bbox is not None:
            b = self.bbox
            conds.append(
                Issue.geom.intersects(func.ST_MakeEnvelope(b.west, b.south, b.east, b.north, SRID))
            )
        return conds
