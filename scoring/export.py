"""Results as JSON-ready dicts: the shape `cunrong score --format json` writes."""

from __future__ import annotations

import json
from typing import Any

import orjson

from scoring import wording
from scoring.results import LineItem, MonthlyResult, MonthlyStanding, VillageYearResult, YearResult
from scoring.rules import Rules


def number(value: float, decimals: int = 4) -> float | int:
    """Round for output; whole numbers become ints (`-5`, not `-5.0`)."""
    rounded = round(value, decimals)
    return int(rounded) if float(rounded).is_integer() else rounded


def _optional(value: float | None, decimals: int = 4) -> float | None:
    return None if value is None else round(value, decimals)


def item_to_dict(item: LineItem) -> dict[str, Any]:
    """`{"rule", "month", "points", "reason"}`."""
    return {
        "rule": item.rule,
        "month": item.month,
        "points": number(item.points),
        "reason": item.reason,
    }


def standing_to_dict(standing: MonthlyStanding) -> dict[str, Any]:
    """One line of a monthly ranking."""
    items = standing.items
    imputed = standing.imputed
    return {
        "village": standing.village,
        "name": standing.name,
        "score": round(standing.score, 4),
        "rank": standing.rank,
        "bottom_ten": standing.bottom_ten,
        "streak": standing.streak,
        "interview": standing.interview,
        # most villages have no line item in a month: their points are 0 (an int, as the
        # sum of no items rounded by `number` is)
        "points": number(sum(i.points for i in items)) if items else 0,
        "groups": standing.group_count,
        "items": [item_to_dict(i) for i in items] if items else [],
        "scored": not imputed,
        "reason": wording.IMPUTED if imputed else None,
        "reason_en": wording.IMPUTED_EN if imputed else None,
    }


def skipped_to_dict(village: str, name: str) -> dict[str, Any]:
    """A village not scored and left out of the month's ranking: `score` null, 未评分."""
    return {
        "village": village,
        "name": name,
        "score": None,
        "rank": None,
        "bottom_ten": False,
        "streak": False,
        "interview": None,
        "points": 0,
        "groups": 0,
        "items": [],
        "scored": False,
        "reason": wording.NOT_SCORED,
        "reason_en": wording.NOT_SCORED_EN,
    }


def month_to_dict(result: MonthlyResult, names: dict[str, str]) -> dict[str, Any]:
    """`{"month", "ranking": [...], "bottom_ten", "not_scored", "warnings"}`.

    `ranking` lists the ranked villages best first, then those not scored and left out
    (score null, reason 未评分); `not_scored` lists every village without a score.
    """
    imputed = {s.village for s in result.ranking if s.imputed}
    return {
        "month": result.month,
        "ranking": [standing_to_dict(s) for s in result.ranking]
        + [skipped_to_dict(c, names.get(c, c)) for c in result.skipped],
        "bottom_ten": list(result.bottom_ten),
        "not_scored": [
            {
                "village": c,
                "name": names.get(c, c),
                "reason": wording.IMPUTED if c in imputed else wording.NOT_SCORED,
                "ranked": c in imputed,
            }
            for c in result.not_scored
        ],
        "missing_score": result.missing_score,
        "warnings": list(result.warnings),
    }


def rules_to_dict(rules: Rules) -> dict[str, Any]:
    """Which rules file was applied."""
    return {
        "year": rules.year,
        "source": rules.source,
        "document": rules.document,
        "streak_mode": rules.monthly.streak_mode,
        "missing_score": rules.monthly.missing_score,
    }


def village_to_dict(result: VillageYearResult, *, total_decimals: int) -> dict[str, Any]:
    """A village's year-end result with its line items."""
    return {
        "village": result.village,
        "name": result.name,
        "community": result.community,
        "total": _optional(result.total, total_decimals),
        "rank": result.rank,
        "ranked": result.ranked,
        "reward_yuan": result.reward_yuan,
        "pay_deduction": result.pay_deduction,
        "base": _optional(result.base),
        "third_party": round(result.third_party, 4),
        "honors": number(result.honors),
        "penalties": number(result.penalties),
        "months_scored": result.months_scored,
        "note": result.note,
        "items": [item_to_dict(i) for i in result.items],
    }


def year_to_dict(result: YearResult) -> dict[str, Any]:
    """`{"year", "villages": [...], "months": [...]}` plus the rules applied."""
    names = {v.village: v.name for v in result.villages}
    return {
        "year": result.year,
        "rules": rules_to_dict(result.rules),
        "third_party_mean": _optional(result.third_party_mean),
        "villages": [
            village_to_dict(v, total_decimals=result.rules.year_end.total_decimals)
            for v in result.villages
        ],
        "months": [month_to_dict(m, names) for m in result.months],
        "warnings": list(result.warnings),
    }


def month_report_to_dict(
    result: MonthlyResult, *, rules: Rules, names: dict[str, str]
) -> dict[str, Any]:
    """One month on its own, as `cunrong score month --format json` writes it."""
    return {"year": int(result.month[:4]), "rules": rules_to_dict(rules)} | month_to_dict(
        result, names
    )


def json_bytes(data: dict[str, Any]) -> bytes:
    """Pretty JSON (two-space indent) as UTF-8, Chinese kept readable, by orjson.

    Byte for byte what `json.dumps(data, ensure_ascii=False, indent=2)` writes for these
    dicts (str keys, finite floats rounded to a few decimals), ten times faster: the
    standard library's encoder falls back to pure Python as soon as `indent` is given.
    """
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def to_json(data: dict[str, Any]) -> str:
    """Pretty JSON with Chinese kept readable (`json_bytes` as text)."""
    return json_bytes(data).decode()


def to_json_stdlib(data: dict[str, Any]) -> str:
    """The same JSON by the standard library (the reference `json_bytes` is checked against)."""
    return json.dumps(data, ensure_ascii=False, indent=2)
