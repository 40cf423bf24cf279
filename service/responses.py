"""Response models of the JSON routes that answer with records of their own (not GeoJSON).

They give OpenAPI the shapes (and FastAPI checks every answer against them). The rankings
follow `scoring.export` — the JSON `cunrong score … --format json` writes — field for field.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel

from geo.io.report import Problem


class Saved(BaseModel):
    """How many records were stored (all or nothing)."""

    saved: int


class Created(BaseModel):
    """The id of the record stored."""

    id: int


class BatchOut(BaseModel):
    """A third-party evaluation (市第三方测评) as a batch of points."""

    id: int
    year: int
    name: str
    evaluated_on: date
    clean_villages: list[str]
    issues: int
    villages: int
    note: str | None = None


class RoundOpened(BaseModel):
    """A new inspection round."""

    id: int
    month: str
    team: str
    opened_by: str


class RoundOut(BaseModel):
    """An inspection round and how many villages it visits."""

    id: int
    month: str
    team: str
    started_on: date | None
    ended_on: date | None
    note: str | None
    villages: int


class RecheckStopOut(BaseModel):
    """One issue to look at, in walking order."""

    order: int
    id: uuid.UUID
    code: str
    category: str
    category_zh: str
    category_en: str
    status: str
    description: str
    found_on: date
    deadline: date | None
    days_overdue: int
    lon: float
    lat: float
    walk_m: int
    """Metres from the previous stop (or from the village entrance)."""


class VillageRecheckOut(BaseModel):
    """A village's part of the recheck round."""

    village: str
    name: str
    walk_m: int
    stops: list[RecheckStopOut]


class LineItemOut(BaseModel):
    """One line item: the rule's id, the month, the points and why."""

    rule: str
    month: str | None
    points: float
    reason: str


class RulesOut(BaseModel):
    """Which rules file was applied."""

    year: int
    source: str
    document: str
    streak_mode: str
    missing_score: str


class StandingOut(BaseModel):
    """A village's line of a monthly ranking; score and rank null when not scored (未评分)."""

    village: str
    name: str
    score: float | None
    rank: int | None
    bottom_ten: bool
    streak: bool
    interview: str | None
    points: float
    groups: int
    items: list[LineItemOut]
    scored: bool
    reason: str | None
    reason_en: str | None


class NotScored(BaseModel):
    """A village without a score that month, and whether it was ranked at the lowest."""

    village: str
    name: str
    reason: str
    ranked: bool


class MonthOut(BaseModel):
    """A month's ranking (M1–M4), villages not scored (M1a) and warning lines."""

    month: str
    ranking: list[StandingOut]
    bottom_ten: list[str]
    not_scored: list[NotScored]
    missing_score: str
    warnings: list[str]


class MonthReport(MonthOut):
    """A month's ranking with the rules applied."""

    year: int
    rules: RulesOut


class VillageYearOut(BaseModel):
    """A village's year-end result with its line items."""

    village: str
    name: str
    community: str
    total: float | None
    rank: int | None
    ranked: bool
    reward_yuan: int
    pay_deduction: bool
    base: float | None
    third_party: float
    honors: float
    penalties: float
    months_scored: int
    note: str | None
    items: list[LineItemOut]


class YearReport(BaseModel):
    """The year-end results (Y1–Y3), with every month's ranking."""

    year: int
    rules: RulesOut
    third_party_mean: float | None
    villages: list[VillageYearOut]
    months: list[MonthOut]
    warnings: list[str]


class ImportResult(BaseModel):
    """What an import did (errors are a 422 with `problems`)."""

    summary: str
    rows: int
    inserted: int
    updated: int
    dry_run: bool
    warnings: list[Problem]


class BatchImported(ImportResult):
    """A third-party batch created with its points imported (all or nothing)."""

    batch_id: int


class SiteDecisionOut(BaseModel):
    """A planner's decision as stored."""

    candidate_key: str
    decision: str
    note: str | None


class ProblemsFewerOut(BaseModel):
    """W2 by T1: third-party problems fewer (0.1 each, down to 0 found)."""

    possible: bool
    count: int | None
    points: float | None
    found: int | None
    note: str


class MonthsOutOut(BaseModel):
    """W2 by M4: the fewest months out of the bottom ten (streaks recounted)."""

    possible: bool
    count: int | None
    months: list[str]
    points: float | None
    note: str


class GoalOut(BaseModel):
    """W1: enter the top five (`enter_top`) or leave the bottom five (`leave_bottom`)."""

    goal: str
    n: int
    reached: bool
    possible: bool
    threshold: float | None
    strictly_more: bool
    points: float | None
    problems_fewer: ProblemsFewerOut
    months_out: MonthsOutOut
    note: str


class WhatIfMonthLineOut(BaseModel):
    """A month of the year: bottom ten or not, and the score that would have kept it out."""

    month: str
    score: float | None
    scored: bool
    rank: int | None
    bottom_ten: bool
    penalty: float
    needed_score: float | None
    removable: bool
    note: str


class YearWhatIfOut(BaseModel):
    """What would it take, for the year (W1–W2)."""

    kind: Literal["year"]
    year: int
    village: str
    name: str
    total: float
    rank: int
    ranked_villages: int
    enter_top: GoalOut
    leave_bottom: GoalOut
    months: list[WhatIfMonthLineOut]
    warnings: list[str]


class MonthWhatIfOut(BaseModel):
    """What would it take, for a month (W3): the score that would have kept it out."""

    kind: Literal["month"]
    month: str
    village: str
    name: str
    score: float | None
    scored: bool
    rank: int | None
    bottom_ten: bool
    scored_villages: int
    possible: bool
    threshold: float | None
    needed_score: float | None
    points: float | None
    note: str
    warnings: list[str]


class IndicatorValues(BaseModel):
    """Issue indicators of a unit (village, grid, community) for issues found in a period."""

    issues: int
    by_category: dict[str, int]
    by_status: dict[str, int]
    closed: int
    per_km2: float | None
    per_100_households: float | None
    rectification_rate: float | None
    mean_days_to_close: float | None
    overdue: int
    rebounds: int
    unrectified: int
    inadequate: int
    closed_on_time: int
    on_time_rate: float | None


class VillageIndicatorsOut(IndicatorValues):
    """A village's indicators."""

    village: str
    name: str
    community: str | None


class GridIndicatorsOut(IndicatorValues):
    """A grid's (网格) indicators."""

    grid: str
    name: str
    village: str
    village_name: str
    households: int | None


class CommunityIndicatorsOut(IndicatorValues):
    """A 党建共同体's indicators (its villages' issues together)."""

    community: str
    name: str
    households: int | None
