"""Fictional Chinese names for the synthetic sample town: villages, people, places.

Every name is drawn from small pools by a seeded `random.Random`, so the same seed gives
the same names. The names are made up; any likeness to a real village or person is chance.
"""

from __future__ import annotations

import random

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马胡朱郭何高林罗郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
    "石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
)
"""Common surnames, weighted only by repetition-free order."""

_GIVEN_FIRST = "建国志立海春秋宝德振永长玉秀桂淑丽凤金文明红军新庆福广树占学连"
_GIVEN_SECOND = "华强军平明杰刚伟勇涛峰林生山东海成英兰芝梅荣娟霞敏静芳云龙辉波"

_VILLAGE_PREFIXES = ("东", "西", "南", "北", "前", "后", "小", "大", "中", "上", "下", "新")
_VILLAGE_CORES = "韩宋贾柴邢耿葛郝樊卜毕苗霍钮翟祁郜阎桑岳蔺庞芦冀闵靳栾鞠牛"
_VILLAGE_SUFFIXES = (
    "庄",
    "家庄",
    "辛庄",
    "店",
    "营",
    "屯",
    "务",
    "沽",
    "坨",
    "堡",
    "口",
    "家圈",
    "家场",
    "各庄",
)
_RESERVED_VILLAGE_NAMES = frozenset({"大张庄", "小张庄"})
"""The town's own name is not used for a village."""

COMMUNITY_AREAS = ("东片", "西片", "南片", "北片", "中心片", "河东片", "河西片", "东北片")

SCORING_GROUPS = ("镇领导班子第一组", "镇领导班子第二组", "镇领导班子第三组")

INSPECTION_TEAM = "镇整治办、执法队联合检查组"

GRID_NUMERALS = "一二三四五六七八九十"

MAIN_ROAD_NAMES = ("兴镇大道", "永宁路", "丰收路", "宜居路", "北环路")
RIVER_NAME = "永丰河"
CANAL_NAMES = ("东干渠", "西干渠", "南排干", "北排干", "中干渠")


class NameBook:
    """Hands out unique fictional names from one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._people: set[str] = set()
        self._villages: set[str] = set()

    def person(self) -> str:
        """A new person's name (surname + one or two characters), unique in this book."""
        rng = self._rng
        while True:
            given = rng.choice(_GIVEN_FIRST)
            if rng.random() < 0.8:
                given += rng.choice(_GIVEN_SECOND)
            name = rng.choice(SURNAMES) + given
            if name not in self._people:
                self._people.add(name)
                return name

    def village(self) -> str:
        """A new village name in the style of the plain around Tianjin, e.g. 后韩家庄."""
        rng = self._rng
        while True:
            prefix = rng.choice(_VILLAGE_PREFIXES) if rng.random() < 0.55 else ""
            name = prefix + rng.choice(_VILLAGE_CORES) + rng.choice(_VILLAGE_SUFFIXES)
            if name not in self._villages and name not in _RESERVED_VILLAGE_NAMES:
                self._villages.add(name)
                return name


def grid_name(number: int) -> str:
    """第N网格 with a Chinese numeral (1–10)."""
    return f"第{GRID_NUMERALS[number - 1]}网格"


def community_name(area: str) -> str:
    """党建共同体 name of a part of the town."""
    return f"{area}党建共同体"
