"""Settings of the HTTP service (prefix CUNRONG_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    # Limits on what one request may make the server read, unpack, decode or store. Each
    # refusal is a 413 naming the setting (CUNRONG_<NAME>), and nothing is stored.
    max_upload_mib: float = 100.0
    """Largest file accepted by an admin import (POST /import/…), in MiB."""
    max_sheet_mib: float = 5.0
    """Largest score / third-party / honor sheet (CSV or XLSX) upload, in MiB."""
    max_photo_mib: float = 15.0
    """Largest photo upload, in MiB."""
    max_unzipped_mib: float = 256.0
    """Total uncompressed size of the members of an uploaded .zip, in MiB."""
    max_zip_member_mib: float = 256.0
    """Uncompressed size of any one member of an uploaded .zip, in MiB."""
    max_zip_members: int = 50
    """Number of files in an uploaded .zip (a Shapefile is 3–7)."""
    max_polygon_vertices: int = 100_000
    """Vertices of one imported geometry (a village boundary traced by hand has a few thousand)."""
    max_file_vertices: int = 2_000_000
    """Vertices of all the geometries of one imported file."""
    max_image_pixels: int = 40_000_000
    """Pixels (width × height) of a photo, checked from its header before it is decoded."""
    max_upload_rows: int = 1_000_000
    """Rows (or features) of one uploaded file: imports and score / honor sheets."""

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> ServiceSettings:
        if self.environment != "development" and self.secret_key == "change-me":
            raise ValueError("set CUNRONG_SECRET_KEY: the default secret is for development only")
        return self
