"""The database as a scoring source: PostGIS rows → `scoring`'s plain input records.

The rules engine knows nothing of the database; this module reads what it needs (and the
per-village issue counts, aggregated with GROUP BY in PostGIS) and hands over plain data.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

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


_COUNTS = text(
    """
    WITH scope AS (
        SELECT i.* FROM issue i
        WHERE i.village_id IS NOT NULL
          AND (CAST(:start AS date) IS NULL OR i.found_on >= :start)
          AND (CAST(:end AS date) IS NULL OR i.found_on < :end)
    ),
    per_status AS (
        SELECT village_id,
               count(*) FILTER (WHERE status IN ('open', 'unrectified', 'inadequate')
                                AND deadline < :as_of) AS overdue,
               count(*) FILTER (WHERE rebound_of IS NOT NULL) AS rebounds,
               coalesce(sum(closed_on - found_on) FILTER (WHERE status = 'closed'), 0) AS days
        FROM scope GROUP BY village_id
    ),
    outcomes AS (
        SELECT s.village_id,
               count(*) FILTER (WHERE e.kind = 'unrectified') AS unrectified,
               count(*) FILTER (WHERE e.kind = 'inadequate') AS inadequate
        FROM issue_event e JOIN scope s ON s.id = e.issue_id GROUP BY s.village_id
    )
    SELECT v.code, v.households, ST_Area(v.geom::geography) / 1e6 AS area_km2,
           coalesce(p.overdue, 0) AS overdue, coalesce(p.rebounds, 0) AS rebounds,
           coalesce(p.days, 0) AS days, coalesce(o.unrectified, 0) AS unrectified,
           coalesce(o.inadequate, 0) AS inadequate,
           (SELECT coalesce(json_object_agg(category_code, n), '{}') FROM
              (SELECT category_code, count(*) AS n FROM scope s WHERE s.village_id = v.id
               GROUP BY category_code) c) AS by_category,
           (SELECT coalesce(json_object_agg(status, n), '{}') FROM
              (SELECT status, count(*) AS n FROM scope s WHERE s.village_id = v.id
               GROUP BY status) c) AS by_status
    FROM village v
    LEFT JOIN per_status p ON p.village_id = v.id
    LEFT JOIN outcomes o ON o.village_id = v.id
    ORDER BY v.code
    """
)


def village_issue_counts(
    conn: Connection,
    *,
    start: date | None = None,
    end: date | None = None,
    as_of: date | None = None,
) -> list[VillageIssueCounts]:
    """Per-village issue counts found in [start, end), aggregated in PostGIS."""
    rows = conn.execute(_COUNTS, {"start": start, "end": end, "as_of": as_of or date.today()})
    counts: list[VillageIssueCounts] = []
    for r in rows:
        counts.append(
            VillageIssueCounts(
                village=r.code,
                by_category=dict(r.by_category),
                by_status=dict(r.by_status),
                households=r.households,
                area_km2=float(r.area_km2),
                overdue=r.overdue,
                rebounds=r.rebounds,
                unrectified=r.unrectified,
                inadequate=r.inadequate,
                closed_days_total=float(r.days),
            )
        )
    return counts
