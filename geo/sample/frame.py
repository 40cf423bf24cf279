"""The sample town's local metric frame: metres east/north of the town centre ↔ WGS-84.

A plain affine approximation (about 0.1 % off over the town's 15 km) rather than a PROJ
transformation, so the generated coordinates are the same on every machine.
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import shapely
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

G = TypeVar("G", bound=BaseGeometry)

CENTRE_LON = 117.21
CENTRE_LAT = 39.29
"""Near the middle of 大张庄镇, 天津市北辰区."""

M_PER_DEG_LON = 86_266.0
M_PER_DEG_LAT = 111_021.0
"""Length of one degree at 39.29°N (WGS-84 ellipsoid)."""

DECIMALS = 7
GRID_SIZE = 1e-7
"""Coordinates are written with 7 decimals (about 1 cm); shared edges stay identical."""

_SCALE = np.array([M_PER_DEG_LON, M_PER_DEG_LAT])
_ORIGIN = np.array([CENTRE_LON, CENTRE_LAT])


def xy_to_lonlat(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    """Metres east/north of the centre → lon/lat degrees (n×2 array)."""
    return xy / _SCALE + _ORIGIN


def lonlat_to_xy(lonlat: NDArray[np.float64]) -> NDArray[np.float64]:
    """Lon/lat degrees → metres east/north of the centre (n×2 array)."""
    return (lonlat - _ORIGIN) * _SCALE


def to_degrees(geom: G) -> G:
    """A geometry in the local frame → the same in lon/lat degrees (not rounded)."""
    return shapely.transform(geom, xy_to_lonlat)


def to_metres(geom: G) -> G:
    """A geometry in lon/lat degrees → the local frame in metres."""
    return shapely.transform(geom, lonlat_to_xy)


def rounded(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Degrees rounded to the 7 decimals the files carry."""
    return np.round(values, DECIMALS)


def round_geometry(geom: G) -> G:
    """A lon/lat line or point geometry with its coordinates rounded to 7 decimals."""
    return shapely.transform(geom, rounded)


def snap_polygonal(geom: BaseGeometry) -> BaseGeometry:
    """A lon/lat polygonal geometry on the 7-decimal grid, kept valid."""
    return shapely.set_precision(geom, GRID_SIZE)
