"""Chinese wording of the sample issues: descriptions, addresses and the notes of each step."""

from __future__ import annotations

import random

DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "household_garbage": (
        "{place}门前堆放生活垃圾约{n}袋，未及时入桶",
        "{place}房后乱倒垃圾，面积约{m}平方米",
        "{place}垃圾桶满溢，周边散落垃圾",
        "{place}墙根处有塑料袋、包装盒等生活垃圾",
    ),
    "clutter": (
        "{place}门前乱堆杂物、废弃建材",
        "{place}房后柴草堆放杂乱，占用巷道",
        "{place}门口堆放废旧家具、轮胎",
        "{place}院外堆放砖瓦、沙石未苫盖",
    ),
    "weeds": (
        "{place}房前屋后杂草丛生",
        "{road}两侧绿化带杂草未清理",
        "{place}绿化带内枯枝杂草较多",
    ),
    "hanging_items": (
        "{place}在电线杆上乱拉绳索晾晒衣物",
        "{place}外墙乱悬挂广告横幅",
        "{place}树木上乱悬挂杂物",
    ),
    "standing_water": (
        "{place}门前路面积水，淤泥未清",
        "{place}低洼处积水污泥，蚊蝇滋生",
        "{road}边沟堵塞，雨后积水",
    ),
    "loose_livestock": (
        "{place}鸡鸭街道散养，沿街有粪便",
        "{place}羊只在街道散放",
        "{place}犬只散养，粪便未清理",
    ),
    "illegal_structure": (
        "{place}私搭简易棚，占用公共空间",
        "{place}门前违规搭建彩钢棚",
        "{place}临时设施长期未拆除",
    ),
    "zombie_facility": (
        "{public}旁废弃售货亭长期闲置",
        "{public}附近僵尸车长期停放",
        "{public}闲置破损宣传栏未拆除",
    ),
    "agri_waste": (
        "{field}田间地头散落废旧反光膜",
        "{field}地头堆放秸秆、农药包装物",
        "{field}废弃地膜未回收",
    ),
    "public_space_clutter": (
        "{public}周边闲置杂物堆放无序",
        "{road}两侧公共场所堆放砖瓦",
        "{public}旁闲置石料、木料堆放杂乱",
    ),
    "tangled_wires": (
        "{place}电线、网线杂乱交织，形成“空中蜘蛛网”",
        "{place}私拉乱接电线",
        "{place}废弃线缆垂落未清理",
    ),
    "street_sewage": (
        "{place}生活污水沿街横流",
        "{place}洗衣污水直排路面",
        "{road}边沟污水外溢",
    ),
    "idle_homestead": (
        "{place}空闲宅基地杂草丛生、堆放垃圾",
        "{place}残垣断壁未清理",
        "{place}废弃房屋院墙倒塌",
    ),
    "waterbody_waste": (
        "{water}岸坡堆积垃圾",
        "{water}水面漂浮物未打捞",
        "{water}内倾倒建筑垃圾",
        "{water}边堆放秸秆、杂物",
    ),
    "road_obstruction": (
        "{road}路面泥土、杂物未清扫",
        "{road}被杂物占压，通行不畅",
        "{road}路面遗撒渣土",
    ),
    "other": (
        "{place}墙面乱涂乱画",
        "{place}废弃广告牌未拆除",
        "{place}小广告张贴较多",
    ),
}
"""Templates per category; each is filled with the place where the issue was found."""

STREETS = ("前街", "后街", "中街", "东街", "西街", "南街", "北街", "一巷", "二巷", "三巷", "四巷")
PUBLIC_PLACES = ("村委会", "文化广场", "健身广场", "村卫生室", "超市", "村小学", "党群服务中心")

SUBMIT_NOTES: dict[str, tuple[str, ...]] = {
    "easy": (
        "已清理完毕，附整改后照片",
        "已组织网格员清理，现场已恢复整洁",
        "已安排保洁员清运",
        "已督促户主清理到位",
    ),
    "hard": (
        "已联系户主拆除，附整改后照片",
        "已联系供电所、通信公司规整线路",
        "已清理残垣、平整场地",
        "已拆除临时设施，场地已清理",
        "已清运并设置警示牌",
    ),
}

INADEQUATE_NOTES = (
    "整改不到位：清理不彻底，仍有残留",
    "整改不到位：仅部分整改",
    "整改不到位：整改后又有新增杂物",
    "整改不到位：整改照片与现场不符",
)

UNRECTIFIED_NOTES = (
    "复核未整改",
    "复核现场未见整改",
    "未整改，已反馈村支部书记",
)

CLOSED_NOTES = ("复核已整改到位，予以销号", "现场复核合格，销号", "已整改到位，销号")

HARD_CATEGORIES = frozenset(
    {"illegal_structure", "zombie_facility", "tangled_wires", "street_sewage", "idle_homestead"}
)


def describe(rng: random.Random, category: str, places: dict[str, str]) -> str:
    """A description of an issue of `category` at `places` (keys: place, road, public, …)."""
    template = rng.choice(DESCRIPTIONS[category])
    return template.format(n=rng.randint(2, 8), m=rng.choice((2, 3, 5, 8, 10)), **places)


def house_address(rng: random.Random, village: str) -> str:
    """后韩家庄前街12号."""
    return f"{village}{rng.choice(STREETS)}{rng.randint(1, 120)}号"


def submit_note(rng: random.Random, category: str) -> str:
    """What the village wrote when it submitted the rectification."""
    return rng.choice(SUBMIT_NOTES["hard" if category in HARD_CATEGORIES else "easy"])
