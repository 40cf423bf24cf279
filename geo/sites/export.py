"""Candidates as files for planners: GeoJSON (EPSG:4326) and XLSX with Chinese headers."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geo.sites.kinds import decision_label
from geo.xlsx import titled_table

XLSX_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("village_code", "村编码", 10),
    ("village_name", "村", 10),
    ("rank", "村内排名", 8),
    ("kind_label", "类型", 10),
    ("score", "得分", 8),
    ("reasons_zh", "理由", 70),
    ("area_m2", "面积(m²)", 10),
    ("length_m", "长度(m)", 10),
    ("distance_to_main_m", "距主干道(m)", 11),
    ("from_closed_issue", "来自销号问题", 10),
    ("issue_code", "来源问题编号", 18),
    ("cleared_codes", "周边已销号问题", 24),
    ("lonlat", "中心经纬度", 22),
    ("decision", "规划决定", 10),
    ("note", "备注", 30),
    ("decided_by", "决定人", 10),
    ("decided_at", "决定时间", 18),
    ("candidate_key", "候选编号", 44),
)
"""(column, Chinese header, width)."""


def _plain(value: Any) -> Any:
    """A value JSON and spreadsheets take: no NaN, no numpy, dates as ISO text."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return None
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def candidates_geojson(candidates: gpd.GeoDataFrame) -> str:
    """A FeatureCollection of the candidates with every column as a property."""
    features = []
    columns = [c for c in candidates.columns if c != candidates.geometry.name]
    for row, geom in zip(
        candidates[columns].to_dict("records"), candidates.geometry.values, strict=True
    ):
        features.append(
            {
                "type": "Feature",
                "geometry": json.loads(shapely.to_geojson(geom)),
                "properties": {k: _plain(v) for k, v in row.items()},
            }
        )
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)


def _cell(key: str, row: dict[str, Any], centre: shapely.Point) -> Any:
    if key == "lonlat":
        return f"{centre.x:.6f}, {centre.y:.6f}"
    value = _plain(row.get(key))
    if key == "from_closed_issue":
        return "是" if value else "否"
    if key == "cleared_codes":
        return "、".join(value or [])
    if key == "decision":
        return decision_label(value)
    if key == "reasons_zh" and value:
        return value.replace("；", "\n")
    if key == "decided_at" and value:
        return str(value)[:19].replace("T", " ")
    return value


def candidates_workbook(candidates: gpd.GeoDataFrame, *, title: str) -> bytes:
    """An XLSX of the candidates: a title line, bold frozen Chinese headers, a filter."""
    centres = shapely.point_on_surface(candidates.geometry.values)
    rows = (
        [_cell(key, row, centre) for key, _, _ in XLSX_COLUMNS]
        for row, centre in zip(candidates.to_dict("records"), centres, strict=True)
    )
    return titled_table(
        sheet="景观点位候选",
        title=title,
        columns=XLSX_COLUMNS,
        rows=rows,
        freeze="D3",
        wrap=("reasons_zh", "note"),
        header_fill="E2EFDA",
    )
