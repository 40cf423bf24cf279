"""category synonyms: the words the town writes for each category, editable, seeded

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 05:00:00

Seeded from the wording of the notice (张政发〔2024〕10号, clauses 二(一) and 二(二)) and the
words inspectors use in their spreadsheets. Town staff add more with
`cunrong category synonym-add` or POST /categories/synonyms.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEED: dict[str, tuple[str, ...]] = {
    "household_garbage": (
        "生活垃圾",
        "垃圾乱倒",
        "乱倒垃圾",
        "乱扔垃圾",
        "房前屋后垃圾",
        "垃圾未入桶",
        "垃圾未放入垃圾桶",
    ),
    "clutter": (
        "乱堆乱放",
        "乱堆放",
        "杂物",
        "脏乱杂物",
        "废弃物",
        "柴草",
        "柴草堆",
        "柴草乱堆",
        "建材",
        "建筑材料",
        "建筑材料乱堆",
    ),
    "weeds": ("杂草", "绿化带", "绿化带不整洁", "绿化带脏乱"),
    "hanging_items": ("乱悬挂", "悬挂物品", "乱悬挂物品", "乱挂乱晒"),
    "standing_water": ("积水", "污泥", "积水污泥"),
    "loose_livestock": ("散养", "街道散养", "家禽散养", "家畜散养", "家禽家畜散养"),
    "illegal_structure": ("乱搭乱建", "私搭乱建", "临时设施", "违建"),
    "zombie_facility": ("僵尸设施", "僵尸车", "废弃设施"),
    "agri_waste": ("农业废弃物", "反光膜", "农膜", "地膜"),
    "public_space_clutter": ("公共场所杂物", "闲置杂物", "占用公共场所"),
    "tangled_wires": (
        "蜘蛛网",
        "空中蜘蛛网",
        "线路散乱",
        "乱搭乱接",
        "乱拉电线",
        "飞线",
    ),
    "street_sewage": ("生活污水", "污水横流", "污水沿街横流", "污水外排"),
    "idle_homestead": ("空闲宅基地", "残垣断壁", "断壁残垣", "废弃宅基地"),
    "waterbody_waste": (
        "河塘沟渠",
        "河塘沟渠垃圾",
        "岸坡垃圾",
        "漂浮物",
        "河道垃圾",
        "坑塘垃圾",
        "沟渠垃圾",
    ),
    "road_obstruction": ("道路不畅", "巷道不畅", "主干道不畅", "路面不洁", "路面脏乱"),
}


def upgrade() -> None:
    table = op.create_table(
        "category_synonym",
        sa.Column("synonym", sa.String(length=100), nullable=False),
        sa.Column("category_code", sa.String(length=40), nullable=False),
        sa.Column("added_by", sa.String(length=100), nullable=True),
        sa.Column(
            "added_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("length(btrim(synonym)) > 0", name="synonym_not_blank"),
        sa.ForeignKeyConstraint(["category_code"], ["category.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("synonym"),
    )
    known = set(op.get_bind().execute(sa.text("SELECT code FROM category")).scalars())
    op.bulk_insert(
        table,
        [
            {"synonym": word, "category_code": code, "added_by": "seed"}
            for code, words in SEED.items()
            if code in known
            for word in words
        ],
    )


def downgrade() -> None:
    op.drop_table("category_synonym")
