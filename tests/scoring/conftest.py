"""Fixtures of the scoring tests: the default rules and a builder of small towns."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date

import pytest

from scoring.inputs import Honor, ObservationScore, ScoringInput, ThirdPartyEvaluation, Village
from scoring.rules import Rules, load_rules

TownBuilder = Callable[..., ScoringInput]


def build_town(
    scores: Mapping[str, Mapping[str, float | Iterable[float]]],
    *,
    villages: int | Iterable[str] = 12,
    third_party: Iterable[tuple[str, bool, int, int]] = (),
    honors: Iterable[tuple[str, str, str]] = (),
) -> ScoringInput:
    """A town of villages V01…; `scores` is month → village → score (or one per group)."""
    codes = (
        [f"V{i:02d}" for i in range(1, villages + 1)]
        if isinstance(villages, int)
        else list(villages)
    )
    observation = []
    for month, by_village in scores.items():
        for village, given in by_village.items():
            values = [given] if isinstance(given, int | float) else list(given)
            observation.extend(
                ObservationScore(month=month, village=village, group=f"第{g + 1}组", score=v)
                for g, v in enumerate(values)
            )
    return ScoringInput(
        villages=tuple(
            Village(code=c, name=f"{c}村", community="东片" if i % 2 else "西片")
            for i, c in enumerate(codes)
        ),
        observation_scores=tuple(observation),
        third_party=tuple(ThirdPartyEvaluation(v, e, f, u) for v, e, f, u in third_party),
        honors=tuple(Honor(v, date.fromisoformat(d), k) for v, d, k in honors),
        origin="test town",
    )


@pytest.fixture
def rules() -> Rules:
    """The default rules: the notice's numbers."""
    return load_rules()


@pytest.fixture
def add_rules(rules: Rules) -> Rules:
    """The default rules with streak_mode = "add"."""
    return replace(rules, monthly=replace(rules.monthly, streak_mode="add"))


@pytest.fixture
def town() -> TownBuilder:
    """`town(scores, villages=…, third_party=…, honors=…)` → ScoringInput."""
    return build_town
