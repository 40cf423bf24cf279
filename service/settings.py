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
    anonymous_read: bool | None = None
    """Allow reads without signing in: on by default only when environment is development
    (the demo); elsewhere off unless CUNRONG_ANONYMOUS_READ=true."""
    session_hours: float = 12.0
    """A sign-in lasts this long; then the browser must sign in again."""
    login_max_failures: int = 10
    """Failed sign-ins for one user name or one address within `login_window_minutes`
    after which further attempts are refused until the window has passed."""
    login_window_minutes: float = 15.0
    """The window over which failed sign-ins are counted (and the lock-out lasts)."""
    login_delay_seconds: float = 0.5
    """Delay of an answer to a failed sign-in after the third failure; doubles per failure."""
    login_delay_max_seconds: float = 4.0
    """The longest such delay."""
    title: str = "村容 cunrong"
    rules_file: Path | None = None
    """The town's assessment rules (default: scoring/rules.toml)."""

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> ServiceSettings:
        if self.environment != "development" and self.secret_key == "change-me":
            raise ValueError("set CUNRONG_SECRET_KEY: the default secret is for development only")
        if self.anonymous_read is None:
            self.anonymous_read = self.environment == "development"
        return self
