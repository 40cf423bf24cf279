"""Rules files: the defaults are the notice's numbers; bad files name the bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring.errors import RulesError
from scoring.rules import load_rules

DEFAULT = (Path(__file__).parents[2] / "scoring" / "rules.toml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_rules_are_the_notices_numbers() -> None:
    rules = load_rules()
    assert rules.year == 2024
    # 四（四）: 后十名 扣3分, 连续两个月 扣5分, 典型 加5分, 基数8个, ±0.1, 0.5, 前5名 1500元, 后5名.
    assert rules.monthly.bottom_n == 10
    assert rules.monthly.bottom_penalty == 3
    assert rules.monthly.streak_penalty == 5
    assert rules.monthly.streak_mode == "replace"
    assert rules.monthly.rank_decimals == 4
    assert rules.honors.bonus == 5
    assert rules.honors.max_per_year == 1
    assert rules.third_party.baseline_problems == 8
    assert rules.third_party.points_per_problem == 0.1
    assert rules.third_party.points_per_unrectified == 0.5
    assert rules.year_end.top_n == 5
    assert rules.year_end.bottom_n == 5
    assert rules.year_end.reward_yuan == 1500
    assert rules.year_end.rank_decimals == 4


def test_a_copied_file_loads_like_the_default(tmp_path: Path) -> None:
    copied = load_rules(_write(tmp_path, DEFAULT))
    assert copied.monthly == load_rules().monthly
    assert copied.source.endswith("rules.toml")


def test_missing_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace("bottom_n = 10\n", ""))
    with pytest.raises(RulesError, match=r"\[monthly\] bottom_n: key is missing"):
        load_rules(path)


def test_misspelt_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace("reward_yuan = 1500", "reward_yaun = 1500"))
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    assert "[year_end] reward_yuan" in str(caught.value)
    assert "reward_yaun" in str(caught.value)


def test_mistyped_value_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace("bottom_penalty = 3", 'bottom_penalty = "3"'))
    with pytest.raises(RulesError, match=r"\[monthly\] bottom_penalty: expected a number"):
        load_rules(path)


def test_integer_key_refuses_a_fraction(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace("top_n = 5", "top_n = 5.5"))
    with pytest.raises(RulesError, match=r"\[year_end\] top_n: expected an integer"):
        load_rules(path)


def test_unknown_streak_mode_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace('streak_mode = "replace"', 'streak_mode = "both"'))
    with pytest.raises(RulesError, match=r"\[monthly\] streak_mode: expected one of replace, add"):
        load_rules(path)


def test_negative_number_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace("bonus = 5", "bonus = -5"))
    with pytest.raises(RulesError, match=r"\[honors\] bonus"):
        load_rules(path)


def test_extra_key_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT.replace("max_per_year = 1", "max_per_year = 1\nextra = 2"))
    with pytest.raises(RulesError, match=r"\[honors\] extra: unknown key"):
        load_rules(path)


def test_missing_section_is_named(tmp_path: Path) -> None:
    text = DEFAULT[: DEFAULT.index("[year_end]")]
    with pytest.raises(RulesError, match=r"\[year_end\]: section is missing"):
        load_rules(_write(tmp_path, text))


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[rules\nyear = 2024")
    with pytest.raises(RulesError, match="not valid TOML") as caught:
        load_rules(path)
    assert str(path) in str(caught.value)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot be read"):
        load_rules(tmp_path / "nowhere.toml")
