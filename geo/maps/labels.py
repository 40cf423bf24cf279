"""What the maps say, in Chinese first and in English: titles, legends, popups, statuses."""

from __future__ import annotations

from typing import Literal

from geo.categories import CategoryDef
from geo.errors import InvalidInput
from geo.vocab import STATUS_LABELS as STATUS_LABELS  # re-exported for the maps
from geo.vocab import status_label as _status_label

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

# One character drawn inside an issue's pin, per category (the map's "icon").
CATEGORY_GLYPHS: dict[str, tuple[str, str]] = {
    "household_garbage": ("垃", "G"),
    "clutter": ("堆", "C"),
    "weeds": ("草", "W"),
    "hanging_items": ("挂", "H"),
    "standing_water": ("水", "S"),
    "loose_livestock": ("畜", "L"),
    "illegal_structure": ("建", "B"),
    "zombie_facility": ("僵", "Z"),
    "agri_waste": ("农", "A"),
    "public_space_clutter": ("杂", "P"),
    "tangled_wires": ("线", "E"),
    "street_sewage": ("污", "D"),
    "idle_homestead": ("宅", "R"),
    "waterbody_waste": ("河", "F"),
    "road_obstruction": ("路", "O"),
    "other": ("他", "?"),
}

TEXT: dict[str, tuple[str, str]] = {
    "category": ("类别", "Category"),
    "status": ("状态", "Status"),
    "marks": ("标记", "Marks"),
    "overdue": ("逾期", "Overdue"),
    "overdue_days": ("逾期天数", "Days overdue"),
    "rebound": ("反弹", "Rebound"),
    "found_on": ("发现日期", "Found on"),
    "deadline": ("整改期限", "Deadline"),
    "closed_on": ("销号日期", "Closed on"),
    "village": ("村", "Village"),
    "grid": ("网格", "Grid"),
    "history": ("处理经过", "History"),
    "photos": ("照片", "Photos"),
    "code": ("编号", "No."),
    "legend": ("图例", "Legend"),
    "legend_filter": ("图例 · 点选筛选", "Legend · click to filter"),
    "villages": ("村界", "Village boundaries"),
    "grids": ("网格", "Grids"),
    "grid_leader": ("网格长", "Grid leader"),
    "days": ("天", " days"),
    "communities": ("党建共同体", "Communities"),
    "issues": ("问题点位", "Issues"),
    "open_issues": ("未销号问题", "Open issues"),
    "plain": ("无底图", "Plain background"),
    "osm": ("OpenStreetMap", "OpenStreetMap"),
    "tianditu_vec": ("天地图 矢量", "Tianditu map"),
    "tianditu_img": ("天地图 影像", "Tianditu imagery"),
    "gaode_vec": ("高德 地图", "Amap"),
    "gaode_img": ("高德 影像", "Amap imagery"),
    "issue_map": ("问题分布图", "Issue map"),
    "ranking_map": ("村容排名", "Village ranking"),
    "hotspot_map": ("问题热点分析", "Issue hot spots"),
    "status_map": ("整改进度", "Rectification progress"),
    "score": ("得分", "Score"),
    "rank": ("名次", "Rank"),
    "change": ("较上月", "Change vs. last month"),
    "up": ("上升", "up"),
    "down": ("下降", "down"),
    "same": ("持平", "same"),
    "new": ("上月无排名", "not ranked last month"),
    "items": ("主要加减分", "Main line items"),
    "top_five": ("前5名", "Top 5"),
    "bottom_ten": ("后10名(约谈)", "Bottom 10 (interview)"),
    "top_five_year": ("前5名(奖励1500元)", "Top 5 (1,500 yuan reward)"),
    "bottom_five_year": ("后5名(扣发绩效)", "Bottom 5 (pay deduction)"),
    "panel_month": ("前5名 · 后10名", "Top 5 · bottom 10"),
    "panel_year": ("前5名 · 后5名", "Top 5 · bottom 5"),
    "not_scored": ("本期无得分", "No score this period"),
    "score_classes": ("得分(颜色越深越好)", "Score (darker is better)"),
    "period": ("期次", "Period"),
    "interview": ("约谈", "Interview"),
    "heat": ("问题密度", "Issue density"),
    "few_many": ("少 → 多", "few → many"),
    "gi_cells": ("Gi* 热点/冷点", "Gi* hot/cold spots"),
    "hot": ("热点", "Hot spot"),
    "cold": ("冷点", "Cold spot"),
    "confidence": ("置信度", "confidence"),
    "not_significant": ("不显著", "Not significant"),
    "count": ("问题数", "Issues"),
    "z_score": ("Gi* z 值", "Gi* z-score"),
    "p_value": ("p 值", "p-value"),
    "cell": ("格网", "Cell"),
    "rectification_rate": ("整改销号率", "Rectification rate"),
    "overdue_count": ("逾期未整改数", "Overdue issues"),
    "total": ("问题总数", "Issues"),
    "closed": ("已销号", "Closed"),
    "open_now": ("未销号", "Still open"),
    "no_issues": ("无问题", "No issues"),
    "symbol_size": ("圆圈大小 = 逾期数", "Circle size = overdue issues"),
    "community": ("共同体", "Community"),
    "per_cell": ("每格问题数", "Issues per cell"),
    "zoom_in": ("放大查看单个问题", "Zoom in to see single issues"),
    "loading": ("加载中…", "Loading…"),
    "not_loaded": ("详情未能加载", "Details could not be loaded"),
    "tiles_note": ("问题较多,按矢量瓦片分块加载", "Many issues: drawn from vector tiles"),
}


def check_lang(lang: str) -> Lang:
    """'zh' or 'en', or InvalidInput naming the parameter."""
    if lang not in LANGS:
        raise InvalidInput(f"expected 'zh' or 'en', got {lang!r}", field="lang")
    return "zh" if lang == "zh" else "en"


def text(key: str, lang: Lang) -> str:
    """One interface text in the chosen language."""
    zh, en = TEXT[key]
    return zh if lang == "zh" else en


def texts(lang: Lang, *keys: str) -> dict[str, str]:
    """Several interface texts, keyed as asked (for the browser runtime)."""
    return {key: text(key, lang) for key in keys}


def status_label(status: str, lang: Lang) -> str:
    """整改中 / Open … for one of ISSUE_STATUSES (the table is geo.vocab.STATUS_LABELS)."""
    return _status_label(status, lang)


def category_label(category: CategoryDef, lang: Lang) -> str:
    """The category's label in the chosen language."""
    return category.label_zh if lang == "zh" else category.label_en


def category_glyph(category: CategoryDef, lang: Lang) -> str:
    """The character drawn in the category's pins."""
    zh, en = CATEGORY_GLYPHS.get(category.code, (category.label_zh[:1], category.label_en[:1]))
    return zh if lang == "zh" else en
