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

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> ServiceSettings:
        if self.environment != "development" and self.secret_key == "change-me":
            raise ValueError("set CUNRONG_SECRET_KEY: the default secret is for development only")
        return self
