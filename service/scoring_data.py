"""The database as a scoring source: PostGIS rows → `scoring`'s plain input records.

The rules engine knows nothing of the database; this module reads what it needs (and the
per-village issue counts, aggregated with GROUP BY in PostGIS) and hands over plain data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo import issue_reader
from geo.errors import Conflict, InvalidInput
from scoring.indicators import IssueCounts, unit_indicators
from scoring.inputs import Honor, ObservationScore, ScoringInput, ThirdPartyEvaluation, Village

UNRECTIFIED_AT_CUTOFF = ("unrectified", "inadequate")
"""Loop outcomes that count as 不整改或者整改不到位 when they stand on the cut-off date."""


def is_unrectified(status_at_cutoff: str | None, deadline: date | None, *, judged_on: date) -> bool:
    """Whether a third-party point counts as not (or inadequately) rectified on `judged_on`
    (the cut-off, or today when that is earlier): its loop stood at 未整改 or 整改不到位, or
    it was still open (整改中) past its deadline. Submitted (已整改待复核) and closed points do
    not count; nor does an open one whose deadline has not passed."""
    if status_at_cutoff in UNRECTIFIED_AT_CUTOFF:
        return True
    return status_at_cutoff == "open" and deadline is not None and deadline < judged_on


def third_party_from_points(
    conn: Connection, year: int, *, cutoff: date, today: date | None = None
) -> list[ThirdPartyEvaluation]:
    """T1 inputs of the villages `year`'s batches evaluated, counted from their points."""
    judged_on = min(cutoff, today or date.today())
    found: dict[str, list[str]] = defaultdict(list)
    unrectified: dict[str, list[str]] = defaultdict(list)
    for r in issue_reader.third_party_points(conn, year=year, cutoff=judged_on):
        found[r.village].append(r.code)
        if is_unrectified(r.status_at_cutoff, r.deadline, judged_on=judged_on):
            unrectified[r.village].append(r.code)
    villages = set(found) | issue_reader.third_party_clean_villages(conn, year=year)
    return [
        ThirdPartyEvaluation(
            village=code,
            evaluated=True,
            problems_found=len(found[code]),
            problems_unrectified=len(unrectified[code]),
            found_issues=tuple(found[code]),
            unrectified_issues=tuple(unrectified[code]),
        )
        for code in sorted(villages)
    ]


TOWN_SQL = "(CAST(:town AS int) IS NULL OR v.town_id = CAST(:town AS int))"
"""Village `v` lies in the town :town (None: any town)."""


def load_scoring_input(
    conn: Connection,
    year: int,
    *,
    third_party_cutoff: date | None = None,
    town_id: int | None = None,
) -> ScoringInput:
    """Villages, the year's observation scores (plus the December before), third party, honors
    — of the town `town_id` (scores and rankings are per town; None: every village).

    Third party: typed counts, and for villages with points in the year's batches, the
    counts of those points judged on `third_party_cutoff` (default: 31 December). A
    village with both is refused (Conflict naming it)."""
    villages = tuple(
        Village(code=r.code, name=r.name, community=r.community or "")
        for r in conn.execute(
            text(
                "SELECT v.code, v.name, c.name AS community FROM village v"
                f" LEFT JOIN community c ON c.id = v.community_id WHERE {TOWN_SQL} ORDER BY v.code"
            ),
            {"town": town_id},
        )
    )
    codes = {v.code for v in villages}
    scores = tuple(
        ObservationScore(month=r.month, village=r.village, group=r.group_name, score=float(r.score))
        for r in conn.execute(
            text(
                "SELECT to_char(s.month, 'YYYY-MM') AS month, v.code AS village, s.group_name,"
                " s.score FROM observation_score s JOIN village v ON v.id = s.village_id"
                f" WHERE s.month >= :start AND s.month < :end AND {TOWN_SQL}"
                " ORDER BY s.month, v.code, s.group_name"
            ),
            {"start": date(year - 1, 12, 1), "end": date(year + 1, 1, 1), "town": town_id},
        )
    )
    typed = tuple(
        ThirdPartyEvaluation(
            village=r.village,
            evaluated=r.evaluated,
            problems_found=r.problems_found,
            problems_unrectified=r.problems_unrectified,
        )
        for r in conn.execute(
            text(
                "SELECT v.code AS village, t.evaluated, t.problems_found, t.problems_unrectified"
                " FROM third_party_evaluation t JOIN village v ON v.id = t.village_id"
                f" WHERE t.year = :year AND {TOWN_SQL} ORDER BY v.code"
            ),
            {"year": year, "town": town_id},
        )
    )
    from_points = [
        e
        for e in third_party_from_points(
            conn, year, cutoff=third_party_cutoff or date(year, 12, 31)
        )
        if e.village in codes
    ]
    both = sorted({e.village for e in typed} & {e.village for e in from_points})
    if both:
        raise Conflict(
            f"{both[0]}: {year} has both typed third-party counts and third-party points; "
            "delete one of them",
            field="village",
        )
    third_party = tuple(sorted((*typed, *from_points), key=lambda e: e.village))
    honors = tuple(
        Honor(village=r.village, date=r.awarded_on, kind=r.kind)
        for r in conn.execute(
            text(
                "SELECT v.code AS village, h.awarded_on, h.kind FROM honor h"
                " JOIN village v ON v.id = h.village_id"
                f" WHERE extract(year FROM h.awarded_on) = :year AND {TOWN_SQL}"
                " ORDER BY h.awarded_on, v.code"
            ),
            {"year": year, "town": town_id},
        )
    )
    return ScoringInput(
        villages=villages,
        observation_scores=scores,
        third_party=third_party,
        honors=honors,
        origin="database",
    )


def counts_of(row: Mapping[str, Any]) -> IssueCounts:
    """One row of `geo.issue_reader.unit_counts` as scoring's plain counts."""
    return IssueCounts(
        unit=row["code"],
        by_category=dict(row["by_category"]),
        by_status=dict(row["by_status"]),
        households=row["households"],
        area_km2=None if row["area_km2"] is None else float(row["area_km2"]),
        overdue=row["overdue"],
        rebounds=row["rebounds"],
        unrectified=row["unrectified"],
        inadequate=row["inadequate"],
        closed_days_total=float(row["days"]),
        closed_on_time=row["closed_on_time"],
    )


def village_issue_counts(
    conn: Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    towns: Sequence[int] | None = None,
) -> list[IssueCounts]:
    """Per-village issue counts found in [start, end), aggregated in PostGIS (of the towns
    `towns`; None: every town)."""
    rows = issue_reader.unit_counts(
        conn, "village", start=start, end=end, as_of=as_of or date.today(), towns=towns
    )
    return [counts_of(r) for r in rows]


def unit_indicator_rows(
    conn: Connection,
    unit: str,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
    towns: Sequence[int] | None = None,
) -> list[dict[str, Any]]:
    """Indicators of every village, grid or community (of the towns `towns`; None: all):
    code, name, parent (a grid's village, a village's community) and scoring's
    `unit_indicators`, by code. An empty period (`end` not after `start`) is refused, as
    the district view does, rather than answered with zeros that look like a clean record."""
    if start is not None and end is not None and end <= start:
        raise InvalidInput("expected end after start (issues found in [start, end))", field="end")
    rows = issue_reader.unit_counts(
        conn, unit, start=start, end=end, as_of=as_of or date.today(), towns=towns
    )
    out = []
    for row in rows:
        values = unit_indicators(counts_of(row)).__dict__
        out.append(
            {
                "code": row["code"],
                "name": row["name"],
                "parent": row["parent"],
                "parent_name": row["parent_name"],
                "households": row["households"],
                **{k: v for k, v in values.items() if k != "unit"},
            }
        )
    return out
