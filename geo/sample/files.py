"""How the sample town is written to (and read from) CSV and GeoJSON, byte for byte stable."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

Value = str | int | float | bool | date | datetime | None


def cell(value: Value) -> str:
    """A value as written in a CSV cell (empty for None, ISO dates, true/false)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Value]]) -> None:
    """A UTF-8 CSV with a header row and `\\n` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"{path.name}: row {row!r} has {len(row)} cells, not {len(columns)}")
        writer.writerow([cell(v) for v in row])
    path.write_bytes(buffer.getvalue().encode("utf-8"))


def write_geojson(path: Path, features: Iterable[tuple[Mapping[str, Value], BaseGeometry]]) -> None:
    """A GeoJSON FeatureCollection (lon/lat), one feature a line."""
    lines = []
    for properties, geometry in features:
        feature = {
            "type": "Feature",
            "properties": {k: _json_value(v) for k, v in properties.items()},
            "geometry": mapping(geometry),
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_bytes(text.encode("utf-8"))


def _json_value(value: Value) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV written by `write_csv`, as dicts of text."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_geojson(path: Path) -> list[tuple[dict[str, Any], BaseGeometry]]:
    """The (properties, geometry) pairs of a GeoJSON FeatureCollection."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [(feature["properties"], shape(feature["geometry"])) for feature in data["features"]]
