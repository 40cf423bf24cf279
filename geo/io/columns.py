"""Which column of a file means what: header aliases in Chinese and English, per kind of import."""

from __future__ import annotations

import re
from collections.abc import Iterable

KINDS = ("villages", "grids", "roads", "entrances", "waterbodies", "issues")

LON = ("lon", "lng", "long", "longitude", "x", "经度", "东经", "gpsx", "x坐标")
LAT = ("lat", "latitude", "y", "纬度", "北纬", "gpsy", "y坐标")
WKT = ("wkt", "geometry", "geom", "shape", "几何", "边界", "范围", "坐标串")

_COMMON: dict[str, tuple[str, ...]] = {"lon": LON, "lat": LAT, "wkt": WKT}

ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "villages": {
        "code": ("code", "村编码", "村代码", "编码", "编号", "代码", "village_code", "villagecode"),
        "name": (
            "name",
            "村名",
            "村庄名称",
            "村名称",
            "名称",
            "村",
            "村庄",
            "village",
            "village_name",
        ),
        "community": ("community", "党建共同体", "共同体", "所属共同体", "community_name"),
        "community_code": ("community_code", "共同体编码", "共同体代码"),
        "party_secretary": ("party_secretary", "secretary", "村支部书记", "支部书记", "书记"),
        "households": ("households", "户数", "总户数", "农户数"),
        "population": ("population", "人口", "人口数", "总人口"),
    },
    "grids": {
        "code": ("code", "网格编码", "网格编号", "编码", "编号", "grid_code"),
        "village": ("village", "village_code", "村编码", "所属村", "村代码", "村", "村名"),
        "name": ("name", "网格名称", "网格", "名称", "grid", "grid_name"),
        "leader": ("leader", "网格长", "负责人", "grid_leader"),
        "households": ("households", "户数", "总户数", "农户数"),
    },
    "roads": {
        "code": ("code", "道路编码", "编码", "编号", "road_code"),
        "kind": ("kind", "类型", "等级", "道路等级", "道路类型", "class", "type", "highway"),
        "name": ("name", "道路名称", "路名", "名称", "road_name"),
        "village": ("village", "village_code", "村编码", "所属村", "村"),
    },
    "entrances": {
        "name": ("name", "卡口名称", "卡口", "名称", "entrance"),
        "village": ("village", "village_code", "村编码", "所属村", "村"),
    },
    "waterbodies": {
        "kind": ("kind", "类型", "水体类型", "type", "water"),
        "name": ("name", "名称", "水体名称", "河流名称", "河名"),
    },
    "issues": {
        "id": ("id", "uuid", "issue_id"),
        "code": ("code", "问题编号", "编号", "编码", "issue_code"),
        "category": ("category", "category_code", "类别", "问题类别", "问题类型", "类型", "分类"),
        "description": ("description", "描述", "问题描述", "内容", "问题", "desc", "备注"),
        "address": ("address", "地址", "位置", "地点", "具体位置"),
        "source": ("source", "来源", "问题来源"),
        "found_on": ("found_on", "date", "发现日期", "发现时间", "日期", "检查日期", "found"),
        "found_by": ("found_by", "发现人", "检查人", "记录人", "inspector"),
        "deadline": ("deadline", "整改期限", "期限", "整改时限", "due"),
        "responsible": ("responsible", "责任人", "整改责任人"),
        "status": ("status", "状态", "整改状态"),
        "closed_on": ("closed_on", "销号日期", "销号时间", "closed"),
        "photos": ("photos", "photo", "照片", "照片名称", "图片", "现场照片", "photo_names"),
    },
}


_NOISE = re.compile(r"[\s_\-·.]+|[（(\[【].*?[)）\]】]")


def normalise(header: object) -> str:
    """A header reduced for matching: no spaces, underscores or bracketed units, lower case."""
    return _NOISE.sub("", str(header)).lower()


def canonical_names(kind: str, headers: Iterable[object]) -> dict[str, str]:
    """Map each recognised header of a file to its canonical field (first match wins)."""
    table = {**ALIASES[kind], **_COMMON}
    lookup: dict[str, str] = {}
    for canonical, aliases in table.items():
        for alias in aliases:
            lookup.setdefault(normalise(alias), canonical)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        field = lookup.get(normalise(header))
        if field is not None and field not in taken:
            mapping[str(header)] = field
            taken.add(field)
    return mapping


def looks_like_header(kind: str, cells: Iterable[object]) -> bool:
    """Whether a spreadsheet row is the header row (names at least two known fields)."""
    names = [c for c in cells if c is not None and str(c).strip()]
    return len(canonical_names(kind, names)) >= 2
