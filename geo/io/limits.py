"""Limits on what one import may make the server hold: rows and vertices.

The numbers come from the caller (the service's settings, or the CLI's); `None` means no
limit. Each refusal is a TooLarge naming the setting, raised before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geo.errors import TooLarge


@dataclass(frozen=True)
class ImportLimits:
    """How big one imported file may be."""

    max_rows: int | None = None
    max_polygon_vertices: int | None = None
    max_file_vertices: int | None = None


def check_size(
    rows: np.ndarray, geometry: np.ndarray | None, limits: ImportLimits, *, unit: str
) -> None:
    """Refuse a table with too many rows, or a geometry / file with too many vertices."""
    if limits.max_rows is not None and len(rows) > limits.max_rows:
        raise TooLarge(
            f"the file has {len(rows):,} {unit}s; at most {limits.max_rows:,} per upload",
            limit="CUNRONG_MAX_UPLOAD_ROWS",
            field="file",
        )
    if geometry is None or len(geometry) == 0:
        return
    counts = shapely.get_num_coordinates(np.asarray(geometry, dtype=object))
    if limits.max_polygon_vertices is not None and len(counts):
        worst = int(np.argmax(counts))
        if counts[worst] > limits.max_polygon_vertices:
            raise TooLarge(
                f"{unit} {int(rows[worst])} has a geometry of {int(counts[worst]):,} vertices;"
                f" at most {limits.max_polygon_vertices:,} (simplify it, e.g. QGIS 简化 /"
                " Simplify, or split it)",
                limit="CUNRONG_MAX_POLYGON_VERTICES",
                field="geometry",
                row=int(rows[worst]),
            )
    total = int(counts.sum())
    if limits.max_file_vertices is not None and total > limits.max_file_vertices:
        raise TooLarge(
            f"the file's geometries have {total:,} vertices in all;"
            f" at most {limits.max_file_vertices:,} (simplify or split the file)",
            limit="CUNRONG_MAX_FILE_VERTICES",
            field="geometry",
        )
