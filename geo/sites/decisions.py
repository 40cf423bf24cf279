"""What planners have decided so far: site_choice rows, by candidate key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, select

from geo.models import Village
from geo.sites.models import SiteChoice


@dataclass(frozen=True)
class SiteDecision:
    """One planner's decision on a candidate (the latest one; a new decision replaces it)."""

    candidate_key: str
    village_code: str
    kind: str
    decision: str
    note: str | None
    decided_by: str | None
    decided_at: datetime
    score: float | None


def _query() -> Select[str, str, str, str, str | None, str | None, datetime, float | None]:
    return select(
        SiteChoice.candidate_key,
        Village.code,
        SiteChoice.kind,
        SiteChoice.decision,
        SiteChoice.note,
        SiteChoice.decided_by,
        SiteChoice.decided_at,
        SiteChoice.score,
    ).join(Village, Village.id == SiteChoice.village_id)


def decisions_for(
    conn: Connection, *, village_ids: Sequence[int] | None = None
) -> dict[str, SiteDecision]:
    """The decisions on the villages' candidates (all villages when None), by key."""
    query = _query().order_by(SiteChoice.candidate_key)
    if village_ids is not None:
        query = query.where(SiteChoice.village_id.in_(list(village_ids)))
    return {row[0]: SiteDecision(*row) for row in conn.execute(query)}


def decision_of(conn: Connection, candidate_key: str) -> SiteDecision | None:
    """The decision on one candidate, if any."""
    row = conn.execute(_query().where(SiteChoice.candidate_key == candidate_key)).first()
    return SiteDecision(*row) if row else None
