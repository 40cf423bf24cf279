"""Settings for storage and spatial analysis, read from the environment (prefix CUNRONG_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo.assign import GPS_TOLERANCE_M
from geo.loop import DUPLICATE_RADIUS_M, REBOUND_DAYS, REBOUND_RADIUS_M
from geo.models import METRIC_SRID


def project_root() -> Path:
    """The checkout this package runs from, or the working directory when installed elsewhere."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "pyproject.toml").exists() else Path.cwd()


class GeoSettings(BaseSettings):
    """Where the data lives and how the town is measured."""

    model_config = SettingsConfigDict(env_prefix="CUNRONG_", extra="ignore")

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    data_dir: Path = Field(default_factory=lambda: project_root() / "data")
    metric_srid: int = METRIC_SRID
    gps_tolerance_m: float = GPS_TOLERANCE_M
    rebound_radius_m: float = REBOUND_RADIUS_M
    rebound_days: int = REBOUND_DAYS
    duplicate_radius_m: float = DUPLICATE_RADIUS_M

    @property
    def photo_dir(self) -> Path:
        """Where photos are stored by content hash (outside any web root)."""
        return self.data_dir / "photos"

    @property
    def pgdata(self) -> Path:
        """The local PostGIS cluster's data directory (also holds its socket)."""
        return self.data_dir / "pgdata"


@lru_cache
def get_settings() -> GeoSettings:
    """The settings of this process (read once)."""
    return GeoSettings()
