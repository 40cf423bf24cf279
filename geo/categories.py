"""The problem categories of the notice (二(一) household, 二(二) village), with map styling."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CategoryDef:
    """One category as seeded into the `category` table."""

    code: str
    label_zh: str
    label_en: str
    scope: str
    clause: str | None
    color: str
    icon: str


CATEGORIES: tuple[CategoryDef, ...] = (
    CategoryDef(
        "household_garbage",
        "房前屋后生活垃圾/乱倒垃圾",
        "Household garbage / dumping",
        "household",
        "二(一)",
        "#8c564b",
        "trash",
    ),
    CategoryDef(
        "clutter",
        "乱堆乱放(杂物、废弃物、柴草、建材)",
        "Clutter (debris, firewood, materials)",
        "household",
        "二(一)(二)",
        "#d62728",
        "cubes",
    ),
    CategoryDef(
        "weeds",
        "杂草/绿化带不整洁",
        "Weeds / untidy green strip",
        "household",
        "二(一)",
        "#2ca02c",
        "leaf",
    ),
    CategoryDef(
        "hanging_items",
        "乱悬挂",
        "Items hung at random",
        "household",
        "二(一)",
        "#e377c2",
        "tshirt",
    ),
    CategoryDef(
        "standing_water",
        "积水污泥",
        "Standing water and mud",
        "household",
        "二(一)",
        "#17becf",
        "tint",
    ),
    CategoryDef(
        "loose_livestock",
        "家禽家畜街道散养",
        "Poultry/livestock loose in the street",
        "household",
        "二(一)",
        "#bcbd22",
        "paw",
    ),
    CategoryDef(
        "illegal_structure",
        "乱搭乱建/临时设施",
        "Unauthorised shed / temporary structure",
        "household",
        "二(一)(二)",
        "#ff7f0e",
        "home",
    ),
    CategoryDef(
        "zombie_facility",
        "\u201c僵尸\u201d设施",
        "Abandoned (\u201czombie\u201d) facility",
        "village",
        "二(二)",
        "#7f7f7f",
        "ban",
    ),
    CategoryDef(
        "agri_waste",
        "农业废弃物/反光膜",
        "Farm waste / reflective film",
        "village",
        "二(二)",
        "#9467bd",
        "tractor",
    ),
    CategoryDef(
        "public_space_clutter",
        "公共场所闲置杂物",
        "Idle items in public space",
        "village",
        "二(二)",
        "#c49c94",
        "archive",
    ),
    CategoryDef(
        "tangled_wires",
        "线路散乱、乱搭乱接(\u201c空中蜘蛛网\u201d)",
        "Tangled wires (\u201csky spider web\u201d)",
        "village",
        "二(二)",
        "#1f1f1f",
        "bolt",
    ),
    CategoryDef(
        "street_sewage",
        "生活污水沿街横流",
        "Sewage running in the street",
        "village",
        "二(二)",
        "#6b4c1e",
        "water",
    ),
    CategoryDef(
        "idle_homestead",
        "空闲宅基地、残垣断壁",
        "Idle homestead / ruined walls",
        "village",
        "二(二)",
        "#a0522d",
        "house-damage",
    ),
    CategoryDef(
        "waterbody_waste",
        "河塘沟渠垃圾、岸坡垃圾、漂浮物",
        "Waste in ponds, ditches, on banks",
        "village",
        "二(二)",
        "#1f77b4",
        "fish",
    ),
    CategoryDef(
        "road_obstruction",
        "主干道/巷道不畅、路面不洁",
        "Blocked or dirty road/lane",
        "village",
        "二(二)",
        "#ffbf00",
        "road",
    ),
    CategoryDef("other", "其他", "Other", "village", None, "#999999", "question"),
)

CATEGORY_CODES: frozenset[str] = frozenset(c.code for c in CATEGORIES)


def category_rows() -> list[dict[str, object]]:
    """Rows for seeding the `category` table, in display order."""
    return [{**c.__dict__, "sort_order": i} for i, c in enumerate(CATEGORIES, start=1)]
