"""Request and response models of the API (schema families per resource)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PointGeometry(BaseModel):
    """A GeoJSON Point in WGS-84 (or GCJ-02 with coords=gcj02): [lon, lat]."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["Point"]
    coordinates: tuple[float, float]


class IssueCreate(BaseModel):
    """What an inspector sends to record an issue (a GeoJSON Point or lon/lat)."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(None, description="client UUID: a retry never duplicates")
    category: str = Field(..., min_length=1, max_length=40, examples=["clutter"])
    description: str = Field("", max_length=4000)
    geometry: PointGeometry | None = None
    lon: float | None = None
    lat: float | None = None
    coords: Literal["wgs84", "gcj02"] = "wgs84"
    found_on: date | None = Field(None, description="default today")
    deadline: date | None = Field(None, description="default found_on + 15 days")
    source: str = "inspection"
    address: str | None = Field(None, max_length=400)
    responsible: str | None = Field(None, max_length=100)
    round_id: int | None = None

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


class TransitionIn(BaseModel):
    """One step of the loop, with the version the client last saw."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["submit", "close", "unrectified", "inadequate", "reopen"]
    version: int = Field(..., ge=1)
    note: str | None = Field(None, max_length=4000)
    photo_ids: list[uuid.UUID] = []
    on: date | None = None
    round_id: int | None = None


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
    at: datetime
    actor: str | None
    note: str | None
    photo_ids: list[uuid.UUID] = []
