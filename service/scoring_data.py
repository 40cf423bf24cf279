"""The database as a scoring source: PostGIS rows → `scoring`'s plain input records.

The rules engine knows nothing of the database; this module reads what it needs (and the
per-village issue counts, aggregated with GROUP BY in PostGIS) and hands over plain data.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

from geo import issue_reader
from scoring.indicators import VillageIssueCounts
from scoring.inputs import Honor, ObservationScore, ScoringInput, ThirdPartyEvaluation, Village


def load_scoring_input(conn: Connection, year: int) -> ScoringInput:
    """Villages, the year's observation scores (plus the December before), third party, honors."""
    villages = tuple(
        Village(code=r.code, name=r.name, community=r.community or "")
        for r in conn.execute(
            text(
                "SELECT v.code, v.name, c.name AS community FROM village v"
                " LEFT JOIN community c ON c.id = v.community_id ORDER BY v.code"
            )
        )
    )
    scores = tuple(
        ObservationScore(month=r.month, village=r.village, group=r.group_name, score=float(r.score))
        for r in conn.execute(
            text(
                "SELECT to_char(s.month, 'YYYY-MM') AS month, v.code AS village, s.group_name,"
                " s.score FROM observation_score s JOIN village v ON v.id = s.village_id"
                " WHERE s.month >= :start AND s.month < :end ORDER BY s.month, v.code, s.group_name"
            ),
            {"start": date(year - 1, 12, 1), "end": date(year + 1, 1, 1)},
        )
    )
    third_party = tuple(
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
                " WHERE t.year = :year ORDER BY v.code"
            ),
            {"year": year},
        )
    )
    honors = tuple(
        Honor(village=r.village, date=r.awarded_on, kind=r.kind)
        for r in conn.execute(
            text(
                "SELECT v.code AS village, h.awarded_on, h.kind FROM honor h"
                " JOIN village v ON v.id = h.village_id"
                " WHERE extract(year FROM h.awarded_on) = :year ORDER BY h.awarded_on, v.code"
            ),
            {"year": year},
        )
    )
    return ScoringInput(
        villages=villages,
        observation_scores=scores,
        third_party=third_party,
        honors=honors,
        origin="database",
    )


def village_issue_counts(
    conn: Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
) -> list[VillageIssueCounts]:
    """Per-village issue counts found in [start, end), aggregated in PostGIS."""
    rows = issue_reader.village_counts(conn, start=start, end=end, as_of=as_of or date.today())
    return [
        VillageIssueCounts(
            village=r["code"],
            by_category=dict(r["by_category"]),
            by_status=dict(r["by_status"]),
            households=r["households"],
            area_km2=float(r["area_km2"]),
            overdue=r["overdue"],
            rebounds=r["rebounds"],
            unrectified=r["unrectified"],
            inadequate=r["inadequate"],
            closed_days_total=float(r["days"]),
        )
        for r in rows
    ]
