"""TRANSITIONAL — delete once geo/loop.py, geo/assign.py and geo/io/load.py take their numbers
as keyword arguments (issue 11, "one placement rule").

The settings of cunrong are `service.settings.ServiceSettings`, built once and passed down.
This module reads no environment: it only hands those three files the defaults of
geo/defaults.py until they are converted. Nothing else may import it.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo import defaults


@dataclass(frozen=True)
class GeoSettings:
    """The defaults of the measuring settings (see ServiceSettings for their meaning)."""

    metric_srid: int = defaults.METRIC_SRID
    gps_tolerance_m: float = defaults.GPS_TOLERANCE_M
    rebound_radius_m: float = defaults.REBOUND_RADIUS_M
    rebound_days: int = defaults.REBOUND_DAYS
    duplicate_radius_m: float = defaults.DUPLICATE_RADIUS_M


def get_settings() -> GeoSettings:
    """The defaults (no environment read)."""
    return GeoSettings()
