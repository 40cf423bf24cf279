"""The assessment rules as numbers: load and check a rules file (default `rules.toml`)."""

from __future__ import annotations

import calendar
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from scoring.errors import RulesError

STREAK_MODES = ("replace", "add")
"""replace: a streak month costs streak_penalty; add: bottom_penalty plus streak_penalty."""

MISSING_SCORE_MODES = ("skip", "lowest", "error")
"""What a village without a score in a month that has scores means (docs/rules.md, M1a).

skip: left out of that month's ranking, bottom ten and year base (listed as 未评分);
lowest: scored as that month's lowest monthly score and ranked as if it had it;
error: the result is refused, naming the village and the month.
"""


@dataclass(frozen=True)
class MonthlyRules:
    """M2–M4: monthly ranking, bottom ten and its penalties."""

    rank_decimals: int
    bottom_n: int
    bottom_penalty: float
    streak_penalty: float
    streak_mode: str
    missing_score: str = "skip"


@dataclass(frozen=True)
class HonorRules:
    """M5: the bonus for a model village or a county site visit host."""

    bonus: float
    max_per_year: int


@dataclass(frozen=True)
class ThirdPartyRules:
    """T1–T2: the city's third-party evaluation."""

    baseline_problems: float
    points_per_problem: float
    points_per_unrectified: float
    cutoff: str = "12-31"
    """Month-day (`MM-DD`) of the assessed year by which a third-party point's loop is
    judged: ended 未整改/整改不到位, or still open past its deadline, counts as unrectified."""

    def cutoff_date(self, year: int) -> date:
        """The cut-off day in `year` (02-29 in a year without it: 02-28)."""
        month, day = int(self.cutoff[:2]), int(self.cutoff[3:5])
        if (month, day) == (2, 29) and not calendar.isleap(year):
            day = 28
        return date(year, month, day)


DEADLINE_NEXT_ROUND = "next_round"


@dataclass(frozen=True)
class LoopRules:
    """闭环: the rectification deadline — `"next_round"` (次月检查) or a number of days."""

    deadline: str | int = DEADLINE_NEXT_ROUND


@dataclass(frozen=True)
class YearEndRules:
    """Y3: year-end ranking, reward and pay deduction."""

    rank_decimals: int
    top_n: int
    reward_yuan: int
    bottom_n: int
    total_decimals: int


@dataclass(frozen=True)
class Rules:
    """Every number of the town's assessment, versioned by year."""

    year: int
    document: str
    monthly: MonthlyRules
    honors: HonorRules
    third_party: ThirdPartyRules
    year_end: YearEndRules
    loop: LoopRules = LoopRules()
    source: str = "scoring/rules.toml"


class _Section:
    """Typed reads from one table of a rules file, each failure naming its key."""

    def __init__(
        self, data: Mapping[str, Any], name: str, source: str, expected: tuple[str, ...]
    ) -> None:
        self.source = source
        self.name = name
        self.expected = expected
        table = data.get(name)
        if table is None:
            raise RulesError(source, f"[{name}]", "section is missing")
        if not isinstance(table, dict):
            raise RulesError(source, f"[{name}]", "expected a table")
        self.table: dict[str, Any] = table
        self.read: set[str] = set()

    def _value(self, key: str) -> Any:
        self.read.add(key)
        if key not in self.table:
            strangers = sorted(k for k in self.table if k not in self.expected)
            hint = f" (is {strangers[0]!r} a misspelling?)" if strangers else ""
            raise self.error(key, f"key is missing{hint}")
        return self.table[key]

    def error(self, key: str, problem: str) -> RulesError:
        """An error naming `[section] key`."""
        return RulesError(self.source, f"[{self.name}] {key}", problem)

    def integer(self, key: str, *, minimum: int = 0) -> int:
        """A whole number at least `minimum`."""
        value = self._value(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"expected an integer, got {value!r}")
        if value < minimum:
            raise self.error(key, f"expected an integer >= {minimum}, got {value}")
        return value

    def number(self, key: str) -> float:
        """A number at least 0."""
        value = self._value(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a number, got {value!r}")
        if value < 0:
            raise self.error(key, f"expected a number >= 0, got {value}")
        return float(value)

    def text(self, key: str, *, choices: tuple[str, ...] = (), default: str | None = None) -> str:
        """A string, one of `choices` when given; `default` when the key is absent."""
        if default is not None and key not in self.table:
            self.read.add(key)
            return default
        value = self._value(key)
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {value!r}")
        if choices and value not in choices:
            raise self.error(key, f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    def has(self, key: str) -> bool:
        """Whether an optional key is given."""
        return key in self.table

    def month_day(self, key: str) -> str:
        """A day of the year written `MM-DD` (e.g. `12-31`)."""
        value = self.text(key)
        match = re.fullmatch(r"(\d{2})-(\d{2})", value)
        valid = False
        if match:
            try:
                date(2000, int(match[1]), int(match[2]))  # a leap year: 02-29 allowed
                valid = True
            except ValueError:
                valid = False
        if not valid:
            raise self.error(key, f"expected a month-day MM-DD such as 12-31, got {value!r}")
        return value

    def deadline(self, key: str) -> str | int:
        """`"next_round"` or a whole number of days (0–366)."""
        value = self._value(key)
        if value == DEADLINE_NEXT_ROUND:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 366:
            raise self.error(
                key, f'expected "{DEADLINE_NEXT_ROUND}" or a number of days 0–366, got {value!r}'
            )
        return value

    def refuse_unknown(self) -> None:
        """Refuse keys this version does not know (most often a misspelt key)."""
        unknown = sorted(set(self.table) - self.read)
        if unknown:
            raise self.error(unknown[0], "unknown key (misspelt?)")


_SECTIONS: dict[str, tuple[str, ...]] = {
    "rules": ("year", "document"),
    "monthly": tuple(f.name for f in fields(MonthlyRules)),
    "honors": tuple(f.name for f in fields(HonorRules)),
    "third_party": tuple(f.name for f in fields(ThirdPartyRules)),
    "year_end": tuple(f.name for f in fields(YearEndRules)),
    "closed_loop": tuple(f.name for f in fields(LoopRules)),
}
OPTIONAL_SECTIONS = ("closed_loop",)
"""Sections (and keys: third_party.cutoff) a rules file may leave out: their defaults apply."""


def parse_rules(data: Mapping[str, Any], *, source: str) -> Rules:
    """Check a parsed rules table and turn it into `Rules`."""
    unknown = sorted(set(data) - set(_SECTIONS))
    if unknown:
        raise RulesError(source, f"[{unknown[0]}]", "unknown section (misspelt?)")
    head, monthly, honors, third, year_end, loop = (
        _Section(
            data if name in data or name not in OPTIONAL_SECTIONS else {name: {}},
            name,
            source,
            keys,
        )
        for name, keys in _SECTIONS.items()
    )
    rules = Rules(
        year=head.integer("year", minimum=1900),
        document=head.text("document"),
        monthly=MonthlyRules(
            rank_decimals=monthly.integer("rank_decimals"),
            bottom_n=monthly.integer("bottom_n"),
            bottom_penalty=monthly.number("bottom_penalty"),
            streak_penalty=monthly.number("streak_penalty"),
            streak_mode=monthly.text("streak_mode", choices=STREAK_MODES),
            missing_score=monthly.text(
                "missing_score", choices=MISSING_SCORE_MODES, default="skip"
            ),
        ),
        honors=HonorRules(
            bonus=honors.number("bonus"),
            max_per_year=honors.integer("max_per_year"),
        ),
        third_party=ThirdPartyRules(
            baseline_problems=third.number("baseline_problems"),
            points_per_problem=third.number("points_per_problem"),
            points_per_unrectified=third.number("points_per_unrectified"),
            cutoff=third.month_day("cutoff") if third.has("cutoff") else "12-31",
        ),
        year_end=YearEndRules(
            rank_decimals=year_end.integer("rank_decimals"),
            top_n=year_end.integer("top_n"),
            reward_yuan=year_end.integer("reward_yuan"),
            bottom_n=year_end.integer("bottom_n"),
            total_decimals=year_end.integer("total_decimals"),
        ),
        loop=LoopRules(
            deadline=loop.deadline("deadline") if loop.has("deadline") else DEADLINE_NEXT_ROUND
        ),
        source=source,
    )
    for section in (head, monthly, honors, third, year_end, loop):
        section.refuse_unknown()
    return rules


def load_rules(path: str | Path | None = None) -> Rules:
    """Read a rules file; without a path, the default `scoring/rules.toml`."""
    if path is None:
        text = resources.files("scoring").joinpath("rules.toml").read_text(encoding="utf-8")
        source = "scoring/rules.toml"
    else:
        source = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise RulesError(source, "", f"cannot be read ({exc.strerror or exc})") from None
        except UnicodeDecodeError:
            raise RulesError(source, "", "is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(source, "", f"is not valid TOML ({exc})") from None
    return parse_rules(data, source=source)
