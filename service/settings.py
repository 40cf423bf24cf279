"""Settings of the HTTP service (prefix CUNRONG_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.assign import GPS_TOLERANCE_M
from geo.loop import DUPLICATE_RADIUS_M, REBOUND_DAYS, REBOUND_RADIUS_M
from geo.models import METRIC_SRID


class ServiceSettings(BaseSettings):
    """How the service runs."""

    model_config = SettingsConfigDict(env_prefix="CUNRONG_", extra="ignore")

    environment: str = "development"
    secret_key: str = "change-me"
    database_url: str | None = None
    max_page_size: int = 5000
    anonymous_read: bool = True
    """Allow reads without a token (the demo); set CUNRONG_ANONYMOUS_READ=false in production."""
    title: str = "村容 cunrong"
    rules_file: Path | None = None
    """The town's assessment rules (default: scoring/rules.toml)."""
    metric_srid: int = METRIC_SRID
    """The metric CRS (EPSG code) distances are measured in (default CGCS2000 GK zone 39)."""
    gps_tolerance_m: float = GPS_TOLERANCE_M
    """A point this far outside every village boundary still goes to the nearest, flagged."""
    rebound_radius_m: float = REBOUND_RADIUS_M
    """A new issue this close to a recently closed one of its category is a rebound (反弹)."""
    rebound_days: int = REBOUND_DAYS
    """… when that one was closed at most this many days before."""
    duplicate_radius_m: float = DUPLICATE_RADIUS_M
    """Open issues of the same category this close to a new one are listed as duplicates."""

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> ServiceSettings:
        if self.environment != "development" and self.secret_key == "change-me":
            raise ValueError("set CUNRONG_SECRET_KEY: the default secret is for development only")
        return self
