"""Rankings from the database: scoring's rules engine fed by service.scoring_data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from geo.errors import InvalidInput, NotFound
from geo.issue_filter import parse_month
from scoring import NoScoresError, Rules, load_rules, monthly_result, year_result
from scoring.export import month_report_to_dict, year_to_dict
from scoring.results import MonthlyResult, YearResult
from scoring.whatif import (
    WhatIfError,
    month_what_if,
    month_what_if_to_dict,
    year_what_if,
    year_what_if_to_dict,
)
from service.scoring_data import load_scoring_input


def rules_for(path: Path | None) -> Rules:
    """The configured rules file, or the default one."""
    return load_rules(path)


def month_ranking(
    conn: Connection, month: str, *, rules: Rules, town_id: int | None = None
) -> MonthlyResult:
    """The monthly result (M1–M4) of `month` (YYYY-MM) of the town `town_id` (None: every
    village, for a single-town database); NotFound when nobody was scored."""
    first = parse_month(month)
    data = load_scoring_input(conn, first.year, town_id=town_id)
    try:
        result = monthly_result(data, rules, month)
    except NoScoresError as exc:
        raise NotFound(str(exc), field="month") from None
    if not result.ranking:
        raise NotFound(f"no observation score in {month}", field="month")
    return result


def year_ranking(
    conn: Connection, year: int, *, rules: Rules, town_id: int | None = None
) -> YearResult:
    """The year-end result (Y1–Y3) of `year` of the town `town_id`; NotFound when nobody
    was scored all year."""
    if not 2000 <= year <= 2100:
        raise InvalidInput(f"expected a year like 2024, got {year}", field="year")
    data = load_scoring_input(
        conn, year, third_party_cutoff=rules.third_party.cutoff_date(year), town_id=town_id
    )
    try:
        result = year_result(data, rules, year)
    except NoScoresError as exc:
        raise NotFound(str(exc), field="year") from None
    if not result.months:
        raise NotFound(f"no observation score in {year}", field="year")
    return result


def month_ranking_dict(
    conn: Connection, month: str, *, rules: Rules, town_id: int | None = None
) -> dict[str, Any]:
    """The month's ranking as `cunrong score month --format json` writes it."""
    result = month_ranking(conn, month, rules=rules, town_id=town_id)
    names = load_scoring_input(conn, int(month[:4]), town_id=town_id).village_names()
    return month_report_to_dict(result, rules=rules, names=names)


def year_ranking_dict(
    conn: Connection, year: int, *, rules: Rules, town_id: int | None = None
) -> dict[str, Any]:
    """The year-end results as `cunrong score year --format json` writes them."""
    return year_to_dict(year_ranking(conn, year, rules=rules, town_id=town_id))


def what_if_dict(
    conn: Connection,
    year: int,
    *,
    village: str,
    month: str | None,
    rules: Rules,
    town_id: int | None = None,
) -> dict[str, Any]:
    """What would it take (W1–W3), as `cunrong score what-if --format json` writes it."""
    result = year_ranking(conn, year, rules=rules, town_id=town_id)
    data = load_scoring_input(conn, year, town_id=town_id)
    if village not in data.village_names():
        raise NotFound(f"unknown village code {village!r}", field="village")
    try:
        if month is None:
            return year_what_if_to_dict(year_what_if(data, rules, year, village, result=result))
        first = parse_month(month)
        if first.year != year:
            raise InvalidInput(f"expected a month of {year}, got {month!r}", field="month")
        return month_what_if_to_dict(month_what_if(data, rules, month, village))
    except NoScoresError as exc:
        raise NotFound(str(exc), field="month") from None
    except WhatIfError as exc:
        raise InvalidInput(str(exc), field=exc.field) from None
