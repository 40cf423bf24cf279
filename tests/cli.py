"""A CLI runner bound to one settings object (typer's ctx.obj), instead of environment variables."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from service.settings import ServiceSettings


class SettingsRunner(CliRunner):
    """`invoke` runs every command with these settings (the root callback keeps them)."""

    def __init__(self, settings: ServiceSettings) -> None:
        super().__init__()
        self.settings = settings

    def invoke(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("obj", self.settings)
        return super().invoke(*args, **kwargs)


def runner_for(url: str, **settings: Any) -> SettingsRunner:
    """A runner whose commands use the database at `url` (and any other settings given)."""
    return SettingsRunner(ServiceSettings(database_url=url, **settings))
