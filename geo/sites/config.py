"""How candidates are found, spaced and scored: the numbers of sites.toml, checked on load."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from geo.categories import CATEGORY_CODES
from geo.errors import InvalidInput
from geo.models import ROAD_KINDS

DEFAULT_CONFIG = Path(__file__).with_name("sites.toml")


@dataclass(frozen=True)
class RoadRules:
    """Road widths, and when two roads meet."""

    half_width_m: dict[str, float]
    junction_snap_m: float


@dataclass(frozen=True)
class AvoidRules:
    """What a site keeps away from: water, open issues, other sites."""

    water_clearance_m: float
    water_line_half_width_m: float
    open_issue_buffer_m: float
    min_spacing_m: float


@dataclass(frozen=True)
class FlowerGateRules:
    """卡口花场: beds beside the main road just inside an entrance."""

    base: float
    entrance_snap_m: float
    length_m: float
    depth_m: float
    min_area_m2: float
    ideal_area_m2: float


@dataclass(frozen=True)
class MicroSpotRules:
    """小微景点: freed parcels and junction corners."""

    base: float
    min_area_m2: float
    ideal_area_m2: float
    max_road_distance_m: float
    cleared_half_side_m: dict[str, float]
    corner_half_side_m: float


@dataclass(frozen=True)
class LaneRules:
    """美学微巷: cleared lanes that connect to a main or secondary road."""

    base: float
    min_length_m: float
    ideal_length_m: float


@dataclass(frozen=True)
class ScoreWeights:
    """The points of each reason and the distances they fade over."""

    visibility: float
    visibility_range_m: float
    visible_within_m: float
    size: float
    cleared: float
    cleared_buffer_m: float
    entrance: float
    entrance_range_m: float
    core: float
    core_range_m: float


@dataclass(frozen=True)
class OutputRules:
    """How many candidates a village gets."""

    max_per_kind: int


@dataclass(frozen=True)
class SiteConfig:
    """Everything the finder needs from sites.toml."""

    roads: RoadRules
    avoid: AvoidRules
    flower_gate: FlowerGateRules
    micro_spot: MicroSpotRules
    aesthetic_lane: LaneRules
    score: ScoreWeights
    output: OutputRules
    source: str = str(DEFAULT_CONFIG)

    def base(self, kind: str) -> float:
        """The base points of a kind."""
        rules: FlowerGateRules | MicroSpotRules | LaneRules = getattr(self, kind)
        return rules.base


_SECTIONS: dict[str, type] = {
    "roads": RoadRules,
    "avoid": AvoidRules,
    "flower_gate": FlowerGateRules,
    "micro_spot": MicroSpotRules,
    "aesthetic_lane": LaneRules,
    "score": ScoreWeights,
    "output": OutputRules,
}
# Values that must be > 0 (they divide, or a zero would make the rule meaningless).
_POSITIVE = {
    "ideal_area_m2",
    "ideal_length_m",
    "visibility_range_m",
    "entrance_range_m",
    "core_range_m",
    "length_m",
    "depth_m",
    "corner_half_side_m",
}


def _number(value: Any, where: str, *, integer: bool = False) -> float:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok:
        kind = "a whole number" if integer else "a number"
        raise InvalidInput(f"expected {kind}, got {value!r}", field=where)
    if value < 0:
        raise InvalidInput(f"expected a number ≥ 0, got {value!r}", field=where)
    if where.rsplit(".", 1)[-1] in _POSITIVE and value == 0:
        raise InvalidInput("expected a number > 0", field=where)
    return int(value) if integer else float(value)


def _table(value: Any, where: str, allowed: frozenset[str] | tuple[str, ...]) -> dict[str, float]:
    if not isinstance(value, dict):
        raise InvalidInput(f"expected a table like {{ key = 1.0 }}, got {value!r}", field=where)
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise InvalidInput(
            f"unknown key(s) {', '.join(unknown)}; expected some of {', '.join(sorted(allowed))}",
            field=where,
        )
    return {k: _number(v, f"{where}.{k}") for k, v in value.items()}


def _section(data: dict[str, Any], name: str, cls: type) -> Any:
    raw = data.get(name)
    if not isinstance(raw, dict):
        raise InvalidInput(f"missing section [{name}]", field=name)
    names = [f.name for f in fields(cls)]
    unknown = sorted(set(raw) - set(names))
    if unknown:
        raise InvalidInput(
            f"unknown key(s) {', '.join(unknown)}; expected {', '.join(names)}", field=name
        )
    missing = [n for n in names if n not in raw]
    if missing:
        raise InvalidInput(f"missing key(s) {', '.join(missing)}", field=name)
    values: dict[str, Any] = {}
    for f in fields(cls):
        where = f"{name}.{f.name}"
        if f.name == "half_width_m":
            values[f.name] = _table(raw[f.name], where, ROAD_KINDS)
            absent = [k for k in ROAD_KINDS if k not in values[f.name]]
            if absent:
                raise InvalidInput(f"missing road kind(s) {', '.join(absent)}", field=where)
        elif f.name == "cleared_half_side_m":
            values[f.name] = _table(raw[f.name], where, CATEGORY_CODES)
        else:
            values[f.name] = _number(raw[f.name], where, integer=f.name == "max_per_kind")
    return cls(**values)


def parse_site_config(data: dict[str, Any], *, source: str = "<table>") -> SiteConfig:
    """A SiteConfig from parsed TOML, or InvalidInput naming the section and key."""
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise InvalidInput(
            f"{source}: unknown section(s) {', '.join(unknown)}; expected {', '.join(_SECTIONS)}",
            field="sites.toml",
        )
    try:
        parts = {name: _section(data, name, cls) for name, cls in _SECTIONS.items()}
    except InvalidInput as exc:
        raise InvalidInput(f"{source}: {exc.message}", field=exc.field) from None
    config = SiteConfig(**parts, source=source)
    if config.roads.junction_snap_m >= config.roads.half_width_m["main"]:
        raise InvalidInput(
            f"{source}: junction_snap_m must be smaller than the main road's half width",
            field="roads.junction_snap_m",
        )
    return config


def load_site_config(path: str | Path | None = None) -> SiteConfig:
    """The site rules from `path` (default: geo/sites/sites.toml)."""
    path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"no such file: {path}", field="config") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: not valid TOML ({exc})", field="config") from None
    return parse_site_config(data, source=str(path))
