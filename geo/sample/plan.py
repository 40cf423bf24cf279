"""The sample town as plain records, before it is written to files."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from shapely.geometry import MultiLineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry


@dataclass
class CommunityPlan:
    """党建共同体 with its secretary (一线指挥长) and deputy secretary."""

    code: str
    name: str
    secretary: str
    deputy_secretary: str


@dataclass
class VillagePlan:
    """A village: its people, its boundary (lon/lat) and where its houses stand (metres)."""

    code: str
    name: str
    community: str
    party_secretary: str
    households: int
    population: int
    boundary: MultiPolygon
    region_m: Polygon | MultiPolygon
    centre_m: Point
    core_m: Polygon
    old_core_m: Polygon
    heading: float
    badness: float
    """Above 1: more problems than the town's average village, below 1: fewer."""

    @property
    def quality(self) -> float:
        """How reliably the village rectifies (0–1)."""
        return min(0.97, max(0.45, 0.93 - 0.22 * (self.badness - 1.0)))


@dataclass
class GridPlan:
    """网格 of a village with its grid leader (网格长)."""

    code: str
    village: str
    name: str
    leader: str
    boundary: MultiPolygon


@dataclass
class RoadPlan:
    """主干道 (town level), 次干道 or 巷道 (of one village)."""

    code: str
    kind: str
    name: str
    village: str | None
    line: MultiLineString
    line_m: MultiLineString


@dataclass
class EntrancePlan:
    """卡口: where a main road enters a village."""

    code: str
    village: str
    road: str
    name: str
    point: Point


@dataclass
class WaterPlan:
    """河塘沟渠: a river, canal, ditch or pond as a polygon."""

    code: str
    kind: str
    name: str
    area: BaseGeometry
    area_m: BaseGeometry


@dataclass
class Town:
    """Everything on the map of the sample town."""

    name: str
    outline: Polygon
    communities: list[CommunityPlan]
    villages: list[VillagePlan]
    grids: list[GridPlan]
    roads: list[RoadPlan] = field(default_factory=list)
    entrances: list[EntrancePlan] = field(default_factory=list)
    waters: list[WaterPlan] = field(default_factory=list)


@dataclass
class RoundPlan:
    """月度检查 of one month: when it ran and which day each village was visited."""

    month: str
    started_on: date
    ended_on: date
    inspectors: list[str]
    visits: dict[str, date]


@dataclass
class EventPlan:
    """One step of an issue's closed loop."""

    kind: str
    from_status: str | None
    to_status: str
    at: datetime
    actor: str
    note: str = ""
    round: str = ""


@dataclass
class IssuePlan:
    """问题 with its whole history."""

    id: uuid.UUID
    code: str
    village: str
    grid: str
    category: str
    description: str
    address: str
    lon: float
    lat: float
    found_on: date
    found_by: str
    source: str
    deadline: date
    responsible: str
    round: str = ""
    status: str = "open"
    closed_on: date | None = None
    rebound_of: uuid.UUID | None = None
    events: list[EventPlan] = field(default_factory=list)


@dataclass
class ScorePlan:
    """观摩打分 of one group for one village in one month."""

    month: str
    village: str
    group: str
    score: float


@dataclass
class ThirdPartyPlan:
    """市第三方测评 of one village."""

    village: str
    evaluated: bool
    problems_found: int
    problems_unrectified: int


@dataclass
class HonorPlan:
    """形成典型 / 承担县现场观摩点评."""

    village: str
    date: date
    kind: str
    note: str
