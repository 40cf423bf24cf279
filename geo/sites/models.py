"""site_choice: a planner's decision on a candidate site (chosen / rejected), with a note."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from geo.models import SRID, Base
from geo.sites.kinds import DECISIONS, SITE_KINDS


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SiteChoice(Base):
    """一村一策: what a planner decided about one candidate, kept by its stable key so that a
    re-run of the finder keeps the decision; the geometry is kept as it was decided."""

    __tablename__ = "site_choice"
    __table_args__ = (
        CheckConstraint(_in("kind", SITE_KINDS), name="kind_known"),
        CheckConstraint(_in("decision", DECISIONS), name="decision_known"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_key: Mapped[str] = mapped_column(Text, unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    score: Mapped[float | None] = mapped_column(Float)
    """The score when decided (the finder's rules may change later)."""
    reasons: Mapped[str | None] = mapped_column(Text)
    """The reasons when decided, in Chinese, joined by '；'."""
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("GEOMETRY", srid=SRID, spatial_index=True), nullable=False
    )
