"""Fixtures of the sample-town tests: one fresh generation per test run."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.sample.generate import generate_sample_town
from geo.sample.load import sample_folder


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a fresh generation with the default seed."""
    out = tmp_path_factory.mktemp("sample_town")
    generate_sample_town(out)
    return out


@pytest.fixture(scope="session")
def committed() -> Path:
    """The committed sample town (data/sample)."""
    return sample_folder()
