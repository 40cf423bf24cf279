"""Planner's notes: mark a candidate chosen or rejected with a note; list the chosen sites.

A decision is stored in site_choice under the candidate's stable key, so re-running the
finder (new issues closed, new rules) keeps it. Deciding again replaces the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import shapely
from sqlalchemy import Connection, func, select, text, update
from sqlalchemy.dialects.postgresql import insert

from geo.errors import InvalidInput, NotFound
from geo.geoframe import geoframe
from geo.models import SRID, Village
from geo.sites.config import SiteConfig
from geo.sites.decisions import SiteDecision, decision_of
from geo.sites.finder import candidate_by_key
from geo.sites.frame import reason_text
from geo.sites.kinds import DECISIONS, kind_label
from geo.sites.models import SiteChoice
from geo.sites.place import village_code_of
from geo.towns import in_session_town
from geo.vocab import SITE_NOTE_LEN

NOTE_MAX_CHARS = SITE_NOTE_LEN


def _check(decision: str, note: str | None) -> str | None:
    if decision not in DECISIONS:
        raise InvalidInput(
            f"expected one of {', '.join(DECISIONS)}, got {decision!r}", field="decision"
        )
    if note is None:
        return None
    if not isinstance(note, str):
        raise InvalidInput(f"expected text, got {type(note).__name__}", field="note")
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise InvalidInput(
            f"expected at most {NOTE_MAX_CHARS} characters, got {len(note)}", field="note"
        )
    return note or None


def mark_site(
    conn: Connection,
    *,
    candidate_key: str,
    decision: str,
    note: str | None = None,
    decided_by: str | None = None,
    config: SiteConfig | None = None,
) -> SiteDecision:
    """Record that a planner chose or rejected a candidate (replacing an earlier decision).

    The first decision on a candidate stores its shape and score as the finder gives them
    now; NotFound when no candidate has this key.
    """
    note = _check(decision, note)
    code = village_code_of(candidate_key)
    if (
        code is None
        or not conn.execute(
            text(f"SELECT 1 FROM village v WHERE code = :c AND {in_session_town('v')}"), {"c": code}
        ).first()
    ):
        raise NotFound(f"no candidate site with key {candidate_key!r}", field="candidate_key")
    values = {"decision": decision, "note": note, "decided_by": decided_by}
    if decision_of(conn, candidate_key) is None:
        found = candidate_by_key(conn, candidate_key, config=config)
        if found is None:
            raise NotFound(
                f"no candidate site with key {candidate_key!r} (run the finder for its village)",
                field="candidate_key",
            )
        candidate, inputs = found
        wkb = shapely.to_wkb(candidate.geometry)
        stmt = insert(SiteChoice).values(
            candidate_key=candidate_key,
            village_id=candidate.village_id,
            kind=candidate.kind,
            score=round(candidate.score, 4),
            reasons=reason_text(candidate, "zh"),
            geom=func.ST_Transform(func.ST_GeomFromWKB(wkb, inputs.srid), 4326),
            **values,
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[SiteChoice.candidate_key],
                set_={**values, "decided_at": func.now()},
            )
        )
    else:
        conn.execute(
            update(SiteChoice)
            .where(SiteChoice.candidate_key == candidate_key)
            .values(**values, decided_at=func.now())
        )
    stored = decision_of(conn, candidate_key)
    assert stored is not None
    return stored


def site_choices(
    conn: Connection,
    *,
    villages: Sequence[str] = (),
    decision: str | None = None,
    towns: Sequence[int] | None = None,
) -> gpd.GeoDataFrame:
    """The decided sites (of the villages, codes; all when empty; of the towns `towns`,
    None: every town) in EPSG:4326, as decided."""
    if decision is not None and decision not in DECISIONS:
        raise InvalidInput(
            f"expected one of {', '.join(DECISIONS)}, got {decision!r}", field="decision"
        )
    query = (
        select(
            SiteChoice.candidate_key,
            Village.code,
            Village.name,
            SiteChoice.kind,
            SiteChoice.decision,
            SiteChoice.note,
            SiteChoice.decided_by,
            SiteChoice.decided_at,
            SiteChoice.score,
            SiteChoice.reasons,
            func.ST_AsBinary(SiteChoice.geom),
        )
        .join(Village, Village.id == SiteChoice.village_id)
        .order_by(Village.code, SiteChoice.score.desc().nulls_last(), SiteChoice.candidate_key)
    )
    if villages:
        query = query.where(Village.code.in_([str(v) for v in villages]))
    if towns is not None:
        query = query.where(Village.town_id.in_(tuple(towns) or (-1,)))
    if decision is not None:
        query = query.where(SiteChoice.decision == decision)
    rows: Sequence[Sequence[Any]] = conn.execute(query).all()
    columns = (
        "candidate_key",
        "village_code",
        "village_name",
        "kind",
        "decision",
        "note",
        "decided_by",
        "decided_at",
        "score",
        "reasons_zh",
    )
    frame = geoframe(rows, [*columns, "geom"], crs=SRID)
    frame.insert(len(columns), "kind_label", [kind_label(k) for k in frame["kind"]])
    return frame


def chosen_sites(
    conn: Connection, *, villages: Sequence[str] = (), towns: Sequence[int] | None = None
) -> gpd.GeoDataFrame:
    """The sites planners have chosen, for a layer on the ranking and issue maps."""
    return site_choices(conn, villages=villages, decision="chosen", towns=towns)
