"""Fixtures for the map tests: one headless Chromium per session and a screenshot folder."""

from __future__ import annotations

import os
from pathlib import Path

import folium
import pytest


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: CUNRONG_SCREENSHOTS if set (to look at them), else a tmp dir."""
    keep = os.environ.get("CUNRONG_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        return Path(keep)
    return tmp_path_factory.mktemp("screenshots")


def save(m: folium.Map, path: Path) -> Path:
    """Write a map's standalone HTML and return the path."""
    m.save(str(path))
    return path
