"""The city's third-party evaluation: T1 for evaluated villages, T2 for the others."""

from __future__ import annotations

from decimal import Decimal

from scoring import wording
from scoring.inputs import ScoringInput, ThirdPartyEvaluation
from scoring.results import LineItem
from scoring.rules import ThirdPartyRules


def _exact(value: float) -> Decimal:
    # Decimal of the written number, so 0.1 × 3 is 0.3 and not 0.30000000000000004.
    return Decimal(repr(value))


def third_party_adjustment(evaluation: ThirdPartyEvaluation, rules: ThirdPartyRules) -> float:
    """T1: per_problem × (baseline − found) − per_unrectified × unrectified."""
    points = (
        _exact(rules.points_per_problem)
        * (_exact(rules.baseline_problems) - evaluation.problems_found)
        - _exact(rules.points_per_unrectified) * evaluation.problems_unrectified
    )
    return float(points)


def third_party_items(
    data: ScoringInput, rules: ThirdPartyRules, *, year: int
) -> tuple[dict[str, LineItem], float | None]:
    """T1/T2 line item of every village, and the mean of T1 over evaluated villages."""
    known = {v.code for v in data.villages}
    evaluated = {e.village: e for e in data.third_party if e.evaluated and e.village in known}
    items: dict[str, LineItem] = {}
    total = Decimal(0)
    for code, evaluation in evaluated.items():
        points = third_party_adjustment(evaluation, rules)
        total += _exact(points)
        reason = wording.third_party_reason(
            year,
            found=evaluation.problems_found,
            unrectified=evaluation.problems_unrectified,
            baseline=rules.baseline_problems,
            points=points,
            found_issues=evaluation.found_issues,
            unrectified_issues=evaluation.unrectified_issues,
            per_problem=rules.points_per_problem,
            per_unrectified=rules.points_per_unrectified,
        )
        items[code] = LineItem("T1", points, reason)
    mean = float(total / len(evaluated)) if evaluated else None
    for village in data.villages:
        if village.code not in items:
            points = mean if mean is not None else 0.0
            reason = wording.not_evaluated_reason(
                year, evaluated_count=len(evaluated), points=points
            )
            items[village.code] = LineItem("T2", points, reason)
    return items, mean
