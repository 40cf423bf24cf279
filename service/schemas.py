"""Request and response models of the API (schema families per resource)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from geo.vocab import (
    ADDRESS_LEN,
    CATEGORY_CODE_LEN,
    DESCRIPTION_LEN,
    NAME_LEN,
    NOTE_LEN,
    Action,
)
from scoring.inputs import EARLIEST_YEAR, LATEST_YEAR


def _plausible(day: date) -> date:
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(
            f"expected a date from {EARLIEST_YEAR}-01-01 to {LATEST_YEAR}-12-31, got {day}"
        )
    return day


Day = Annotated[date, AfterValidator(_plausible)]
"""A date of the campaign's records (years 2000–2100): every date the API accepts."""

INT_MAX = 2**31 - 1
"""The largest PostgreSQL `integer`: ids, versions and counts the API accepts stay below."""
Id = Annotated[int, Field(ge=1, le=INT_MAX)]
"""A row id (an inspection round's, an event's)."""
Count = Annotated[int, Field(ge=0, le=INT_MAX)]
"""A count that is stored."""
YearPath = Annotated[
    int, Path(ge=EARLIEST_YEAR, le=LATEST_YEAR, description="the assessment year, e.g. 2024")
]
"""An assessment year in a route's path."""


def _no_nul(value: object) -> object:
    texts = value if isinstance(value, list | tuple) else [value]
    if any(isinstance(t, str) and "\x00" in t for t in texts):
        raise ValueError("NUL characters are not allowed")
    return value


class RequestModel(BaseModel):
    """Base of every request body: unknown fields refused, texts free of NUL characters
    (PostgreSQL cannot store them), so a bad value is a 422 naming its field."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: object) -> object:
        return _no_nul(value)


class PointGeometry(RequestModel):
    """A GeoJSON Point in WGS-84 (or GCJ-02 with coords=gcj02): [lon, lat]."""

    type: Literal["Point"]
    coordinates: tuple[float, float]


class IssueCreate(RequestModel):
    """What an inspector sends to record an issue (a GeoJSON Point or lon/lat)."""

    id: uuid.UUID | None = Field(None, description="client UUID: a retry never duplicates")
    category: str = Field(..., min_length=1, max_length=CATEGORY_CODE_LEN, examples=["clutter"])
    description: str = Field("", max_length=DESCRIPTION_LEN)
    geometry: PointGeometry | None = None
    lon: float | None = None
    lat: float | None = None
    coords: Literal["wgs84", "gcj02"] = "wgs84"
    found_on: Day | None = Field(None, description="default today")
    deadline: Day | None = Field(
        None,
        description="default: the rules' deadline (next_round: the next month's round in the "
        "village; or a number of days after found_on)",
    )
    source: str = "inspection"
    address: str | None = Field(None, max_length=ADDRESS_LEN)
    responsible: str | None = Field(None, max_length=NAME_LEN)
    round_id: Id | None = None
    batch_id: Id | None = Field(
        None,
        description="third-party batch (市第三方测评) the point belongs to; source third_party",
    )

    @model_validator(mode="after")
    def _one_location(self) -> IssueCreate:
        has_pair = self.lon is not None or self.lat is not None
        if self.geometry is None and not has_pair:
            raise ValueError("give a GeoJSON Point 'geometry' or 'lon' and 'lat'")
        if self.geometry is not None and has_pair:
            raise ValueError("give either 'geometry' or 'lon'/'lat', not both")
        if has_pair and (self.lon is None or self.lat is None):
            raise ValueError("'lon' and 'lat' go together")
        return self

    def point(self) -> tuple[float, float]:
        """(lon, lat) as sent."""
        if self.geometry is not None:
            return self.geometry.coordinates
        assert self.lon is not None and self.lat is not None
        return self.lon, self.lat


class NearbyPublic(BaseModel):
    """An existing issue near the new one."""

    id: uuid.UUID
    code: str
    status: str
    distance_m: float


class IssueCreated(BaseModel):
    """The recorded issue, with links and warnings for the inspector."""

    id: uuid.UUID
    code: str
    created: bool
    village: str
    outside_m: float | None
    rebound_of: NearbyPublic | None = None
    possible_duplicates: list[NearbyPublic] = []
    warnings: list[str] = []


class TransitionIn(RequestModel):
    """One step of the loop, with the version the client last saw."""

    action: Action
    version: int = Field(..., ge=1, le=INT_MAX)
    note: str | None = Field(None, max_length=NOTE_LEN)
    photo_ids: list[uuid.UUID] = []
    on: Day | None = Field(
        None,
        description="the day the action happened (办理日期): default today; not in the future,"
        " not before the issue was found",
    )
    round_id: Id | None = None


class TransitionOut(BaseModel):
    """The issue's state after the step."""

    id: uuid.UUID
    code: str
    status: str
    version: int
    event_id: int


class PhotoPublic(BaseModel):
    """A stored photo."""

    id: uuid.UUID
    kind: str
    sha256: str
    mime: str
    width: int | None
    height: int | None
    taken_at: datetime | None
    distance_m: float | None = None
    lon: float | None = None
    """Where it was taken (EXIF GPS, WGS-84); shown to admins and inspectors only."""
    lat: float | None = None
    url: str
    thumbnail_url: str
    warnings: list[str] = []


class EventPublic(BaseModel):
    """One line of an issue's history."""

    id: int
    kind: str
    from_status: str | None
    to_status: str | None
    on: date = Field(description="the day the action happened")
    recorded_at: datetime = Field(description="when it was recorded")
    actor: str | None
    note: str | None
    photo_ids: list[uuid.UUID] = []
