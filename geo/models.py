"""The town's domain in PostGIS: SQLAlchemy 2 typed mappings, geometries in EPSG:4326."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from geo.vocab import (
    CATEGORY_CODE_LEN,
    CODE_LEN,
    ISSUE_CODE_LEN,
    LONG_CODE_LEN,
    NAME_LEN,
    PERSON_LEN,
)
from geo.vocab import ISSUE_SOURCES as ISSUE_SOURCES  # re-exported: declared in geo.vocab
from geo.vocab import ISSUE_STATUSES as ISSUE_STATUSES  # re-exported: declared in geo.vocab
from geo.vocab import OPEN_STATUSES as OPEN_STATUSES

SRID = 4326
"""The stored geometries' CRS: WGS-84 lon/lat."""

TOWN_TIME_ZONE = "Asia/Shanghai"
"""The town's calendar (UTC+8, no daylight saving): the day of a timestamp is taken there."""
TOWN_TODAY = f"(now() AT TIME ZONE '{TOWN_TIME_ZONE}')::date"
"""SQL for today in the town's calendar."""

EVENT_KINDS = (
    "created",
    "submitted",
    "closed",
    "unrectified",
    "inadequate",
    "reopened",
    "reassigned",
    "edited",
    "rebound_linked",
)
ROAD_KINDS = ("main", "secondary", "lane")
HONOR_KINDS = ("model_village", "county_site_visit")
CATEGORY_SCOPES = ("household", "village")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Town(Base):
    """镇: owns its villages, communities, grids, roads, rounds, scores and issues."""

    __tablename__ = "town"
    __table_args__ = (
        CheckConstraint("code ~ '^[0-9]{9}([0-9]{3})?$'", name="town_code_digits"),
        CheckConstraint("district_code ~ '^[0-9]{6}$'", name="town_district_digits"),
        CheckConstraint("left(code, 6) = district_code", name="town_in_district"),
        Index("town_district", "district_code"),
        Index("town_boundary", "boundary", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    """行政区划代码 of the town: 9 digits (120113108) or 12."""
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    district_code: Mapped[str] = mapped_column(String(6))
    """The district's 行政区划代码 (120113 北辰区): the first six digits of the town's."""
    district_name: Mapped[str] = mapped_column(String(NAME_LEN))
    boundary: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=False)
    )
    """The town's boundary, if known (else the union of its villages)."""
    metric_srid: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TownRules(Base):
    """A town's assessment rules for one year (TOML text naming that `[rules] year`; its
    `[loop] deadline` is the town's deadline rule). SQL `town_rules_for(town, year)` picks
    the text for a year: that year's, else the latest earlier, else the earliest; a town
    without any is scored by the settings' rules file (migration 0022)."""

    __tablename__ = "town_rules"
    __table_args__ = (CheckConstraint("year BETWEEN 2000 AND 2100", name="town_rules_year"),)

    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="town_rules_town_fk", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules: Mapped[str] = mapped_column(Text)
    set_by: Mapped[str | None] = mapped_column(Text)
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Community(Base):
    """党建共同体: a group of villages led by a community secretary."""

    __tablename__ = "community"
    __table_args__ = (
        UniqueConstraint("town_id", "code", name="community_town_code"),
        UniqueConstraint("id", "town_id", name="community_id_town"),
        Index("community_town", "town_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="community_town_fk"), server_default=FetchedValue()
    )
    code: Mapped[str] = mapped_column(String(CODE_LEN))
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    secretary: Mapped[str | None] = mapped_column(String(PERSON_LEN))
    deputy_secretary: Mapped[str | None] = mapped_column(String(PERSON_LEN))

    villages: Mapped[list[Village]] = relationship(
        back_populates="community", foreign_keys="Village.community_id"
    )


class Village(Base):
    """村: the unit that is scored, ranked and rectifies."""

    __tablename__ = "village"
    __table_args__ = (
        CheckConstraint("households IS NULL OR households >= 0", name="households_nonneg"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valid"),
        UniqueConstraint("id", "town_id", name="village_id_town"),
        ForeignKeyConstraint(
            ["community_id", "town_id"],
            ["community.id", "community.town_id"],
            name="village_community_town",
        ),
        Index("village_town", "town_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="village_town_fk"), server_default=FetchedValue()
    )
    code: Mapped[str] = mapped_column(String(CODE_LEN), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    party_secretary: Mapped[str | None] = mapped_column(String(PERSON_LEN))
    households: Mapped[int | None] = mapped_column(Integer)
    population: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True), nullable=False
    )

    community: Mapped[Community | None] = relationship(
        back_populates="villages", foreign_keys=[community_id]
    )


class Grid(Base):
    """网格: a part of a village with its grid leader (一网三联); boundary optional."""

    __tablename__ = "grid"
    __table_args__ = (
        UniqueConstraint("village_id", "name", name="grid_village_name"),
        CheckConstraint("households IS NULL OR households >= 0", name="grid_households_nonneg"),
        ForeignKeyConstraint(
            ["village_id", "town_id"], ["village.id", "village.town_id"], name="grid_village_town"
        ),
        Index("grid_town", "town_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="grid_town_fk"), server_default=FetchedValue()
    )
    code: Mapped[str] = mapped_column(String(LONG_CODE_LEN), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    leader: Mapped[str | None] = mapped_column(String(PERSON_LEN))
    households: Mapped[int | None] = mapped_column(Integer)
    """For densities per 100 households of the grid (None: unknown)."""
    geom: Mapped[WKBElement | None] = mapped_column(
        Geometry("MULTIPOLYGON", srid=SRID, spatial_index=True)
    )


class Category(Base):
    """问题类别: what kind of problem an issue is, from clauses 二(一) and 二(二)."""

    __tablename__ = "category"
    __table_args__ = (CheckConstraint(_in("scope", CATEGORY_SCOPES), name="scope_known"),)

    code: Mapped[str] = mapped_column(String(CATEGORY_CODE_LEN), primary_key=True)
    label_zh: Mapped[str] = mapped_column(String(NAME_LEN))
    label_en: Mapped[str] = mapped_column(String(NAME_LEN))
    scope: Mapped[str] = mapped_column(String(16))
    clause: Mapped[str | None] = mapped_column(String(32))
    color: Mapped[str] = mapped_column(String(7))
    icon: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


class CategorySynonym(Base):
    """同义词: a word the town writes for a category (生活垃圾 → household_garbage); editable.

    Every importer resolves categories through these before the labels' own words; a code
    always means itself, so a synonym cannot redefine one.
    """

    __tablename__ = "category_synonym"
    __table_args__ = (CheckConstraint("length(btrim(synonym)) > 0", name="synonym_not_blank"),)

    synonym: Mapped[str] = mapped_column(String(100), primary_key=True)
    category_code: Mapped[str] = mapped_column(
        String(40), ForeignKey("category.code", ondelete="CASCADE")
    )
    added_by: Mapped[str | None] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InspectionRound(Base):
    """月度检查: one month's inspection by a team of the town office / law enforcement."""

    __tablename__ = "inspection_round"
    __table_args__ = (
        UniqueConstraint("town_id", "month", "team", name="round_month_team"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
        Index("inspection_round_town", "town_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="inspection_round_town_fk"), server_default=FetchedValue()
    )
    month: Mapped[date] = mapped_column(Date)
    team: Mapped[str] = mapped_column(String(NAME_LEN), default="整治办")
    started_on: Mapped[date | None] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class RoundVillage(Base):
    """Which villages a round visited, and when."""

    __tablename__ = "round_village"

    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), primary_key=True)
    visited_on: Mapped[date | None] = mapped_column(Date)


class Issue(Base):
    """问题: a georeferenced problem found in a village, run through the closed loop."""

    __tablename__ = "issue"
    __table_args__ = (
        CheckConstraint(_in("status", ISSUE_STATUSES), name="status_known"),
        CheckConstraint(_in("source", ISSUE_SOURCES), name="source_known"),
        CheckConstraint("deadline IS NULL OR deadline >= found_on", name="deadline_after_found"),
        CheckConstraint("closed_on IS NULL OR closed_on >= found_on", name="closed_after_found"),
        CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_has_date"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(
            "third_party_batch_id IS NULL OR source = 'third_party'", name="batch_is_third_party"
        ),
        Index("issue_found_on", "found_on"),
        Index(
            "issue_third_party_batch",
            "third_party_batch_id",
            postgresql_where=text("third_party_batch_id IS NOT NULL"),
        ),
        Index("issue_town", "town_id", "found_on"),
        ForeignKeyConstraint(
            ["village_id", "town_id"], ["village.id", "village.town_id"], name="issue_village_town"
        ),
        {"postgresql_with": {"fillfactor": 50}},
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        primary_key=True,
        default=uuid.uuid4,
        server_default=func.gen_random_uuid(),
    )
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="issue_town_fk"), server_default=FetchedValue()
    )
    """The issue's town (its village's, when placed): the scope of every query."""
    code: Mapped[str] = mapped_column(String(ISSUE_CODE_LEN, collation="C"), unique=True)
    """Compared byte-wise (migration 0020): memcmp in its unique index, prefix ranges exact."""
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"))
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    address: Mapped[str | None] = mapped_column(Text)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("POINT", srid=SRID, spatial_index=True), nullable=False
    )
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    outside_m: Mapped[float | None] = mapped_column(Float)
    """Metres outside every village boundary when snapped to the nearest (GPS tolerance)."""
    source: Mapped[str] = mapped_column(
        String(20), default="inspection", server_default="inspection"
    )
    found_on: Mapped[date] = mapped_column(Date)
    found_by: Mapped[str | None] = mapped_column(String(NAME_LEN))
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_provisional: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    """The deadline is the next-round rule's fallback (no round of the next month yet);
    creating that round replaces it (`geo.deadlines`)."""
    responsible: Mapped[str | None] = mapped_column(String(NAME_LEN))
    status: Mapped[str] = mapped_column(String(16), default="open", server_default="open")
    closed_on: Mapped[date | None] = mapped_column(Date)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_round.id"))
    rebound_of: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True), ForeignKey("issue.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    third_party_batch_id: Mapped[int | None] = mapped_column(ForeignKey("third_party_batch.id"))
    """The third-party evaluation (市第三方测评) this issue was found by, if any."""
    photo_names: Mapped[str | None] = mapped_column(Text)
    """Names of the photos an imported row came with (e.g. the evaluator's file), as given."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    events: Mapped[list[IssueEvent]] = relationship(
        back_populates="issue", order_by="IssueEvent.id"
    )


class IssueEvent(Base):
    """One step of an issue's closed loop; append-only history."""

    __tablename__ = "issue_event"
    __table_args__ = (
        CheckConstraint(_in("kind", EVENT_KINDS), name="kind_known"),
        Index("issue_event_issue", "issue_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    issue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issue.id"))
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    on: Mapped[date] = mapped_column(Date, server_default=text(TOWN_TODAY))
    """The day the action happened (given by whoever records it, or today)."""
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    """When the row was written."""
    actor: Mapped[str | None] = mapped_column(String(NAME_LEN))
    note: Mapped[str | None] = mapped_column(Text)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_round.id"))

    issue: Mapped[Issue] = relationship(back_populates="events")


class Photo(Base):
    """A photo of an issue (before / after), stored by content hash outside the web root."""

    __tablename__ = "photo"
    __table_args__ = (
        CheckConstraint("kind IN ('before', 'after', 'other')", name="kind_known"),
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)
    issue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issue.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("issue_event.id"))
    kind: Mapped[str] = mapped_column(String(8), default="before")
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    mime: Mapped[str] = mapped_column(String(40))
    bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=SRID))
    uploaded_by: Mapped[str | None] = mapped_column(String(NAME_LEN))
    uploaded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class ObservationScore(Base):
    """观摩打分: one scoring group's on-site score (0–100) for a village in a month."""

    __tablename__ = "observation_score"
    __table_args__ = (
        UniqueConstraint("month", "village_id", "group_name", name="score_month_village_group"),
        CheckConstraint("score >= 0 AND score <= 100", name="score_range"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    group_name: Mapped[str] = mapped_column(String(NAME_LEN))
    score: Mapped[float] = mapped_column(Numeric(6, 2))
    entered_by: Mapped[str | None] = mapped_column(String(NAME_LEN))


class ThirdPartyEvaluation(Base):
    """市第三方测评: the city's yearly evaluation of a village."""

    __tablename__ = "third_party_evaluation"
    __table_args__ = (
        UniqueConstraint("year", "village_id", name="third_party_year_village"),
        CheckConstraint("problems_found >= 0", name="found_nonneg"),
        CheckConstraint("problems_unrectified >= 0", name="unrectified_nonneg"),
        CheckConstraint("problems_unrectified <= problems_found", name="unrectified_le_found"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    evaluated: Mapped[bool] = mapped_column(Boolean, default=True)
    problems_found: Mapped[int] = mapped_column(Integer, default=0)
    problems_unrectified: Mapped[int] = mapped_column(Integer, default=0)


class ThirdPartyBatch(Base):
    """市第三方测评 as points: a named evaluation of a year; its issues point at it."""

    __tablename__ = "third_party_batch"
    __table_args__ = (
        UniqueConstraint("town_id", "year", "name", name="third_party_batch_year_name"),
        CheckConstraint(
            "extract(year FROM evaluated_on) = year", name="third_party_batch_date_in_year"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="third_party_batch_town_fk"), server_default=FetchedValue()
    )
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_LEN))
    evaluated_on: Mapped[date] = mapped_column(Date)
    clean_villages: Mapped[list[str]] = mapped_column(
        ARRAY(String(CODE_LEN)), default=list, server_default=text("'{}'::varchar[]")
    )
    """Codes of villages evaluated without any problem found (no point to count them by)."""
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Honor(Base):
    """形成典型 / 承担县现场观摩点评: earns the year-end bonus."""

    __tablename__ = "honor"
    __table_args__ = (CheckConstraint(_in("kind", HONOR_KINDS), name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    awarded_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


INTERVIEW_LEVELS = ("bottom", "streak")
"""M4: bottom = one month in the bottom ten (分管领导约谈村支部书记); streak = two months running
(镇主要领导约谈村支部书记及共同体副书记)."""


class Interview(Base):
    """约谈记录: an interview held because a village was in a month's bottom ten (M4).

    Which interviews are due follows from the ranking and is not stored; a row is written
    when one is recorded as held, with the names as they were then.
    """

    __tablename__ = "interview"
    __table_args__ = (
        UniqueConstraint("month", "village_id", name="interview_month_village"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="interview_month_first_day"),
        CheckConstraint(_in("level", INTERVIEW_LEVELS), name="interview_level_known"),
        CheckConstraint("held_on >= month", name="interview_held_in_or_after_month"),
        CheckConstraint(
            "(scan_sha256 IS NULL) = (scan_path IS NULL)", name="interview_scan_complete"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    level: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date] = mapped_column(Date)
    held_by: Mapped[str] = mapped_column(String(PERSON_LEN))
    secretary: Mapped[str | None] = mapped_column(String(PERSON_LEN))
    deputy_secretary: Mapped[str | None] = mapped_column(String(PERSON_LEN))
    note: Mapped[str | None] = mapped_column(Text)
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    scan_path: Mapped[str | None] = mapped_column(Text)
    scan_mime: Mapped[str | None] = mapped_column(String(40))
    scan_bytes: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(NAME_LEN))
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Road(Base):
    """主干道 / 次干道 / 巷道: input for micro-landscape siting."""

    __tablename__ = "road"
    __table_args__ = (
        CheckConstraint(_in("kind", ROAD_KINDS), name="kind_known"),
        ForeignKeyConstraint(
            ["village_id", "town_id"], ["village.id", "village.town_id"], name="road_village_town"
        ),
        Index("road_town", "town_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="road_town_fk"), server_default=FetchedValue()
    )
    code: Mapped[str | None] = mapped_column(String(LONG_CODE_LEN), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(NAME_LEN))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTILINESTRING", srid=SRID, spatial_index=True), nullable=False
    )


class Entrance(Base):
    """卡口: where a main road enters a village."""

    __tablename__ = "entrance"
    __table_args__ = (
        ForeignKeyConstraint(
            ["village_id", "town_id"],
            ["village.id", "village.town_id"],
            name="entrance_village_town",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="entrance_town_fk"), server_default=FetchedValue()
    )
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    road_id: Mapped[int | None] = mapped_column(ForeignKey("road.id"))
    name: Mapped[str | None] = mapped_column(String(NAME_LEN))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("POINT", srid=SRID, spatial_index=True), nullable=False
    )


class Waterbody(Base):
    """河塘沟渠: rivers, ponds and ditches (where waste gathers; no landscape site on them)."""

    __tablename__ = "waterbody"
    __table_args__ = (CheckConstraint("kind IN ('river', 'pond', 'ditch')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="waterbody_town_fk"), server_default=FetchedValue()
    )
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(NAME_LEN))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("GEOMETRY", srid=SRID, spatial_index=True), nullable=False
    )


USER_ROLES = ("admin", "inspector", "village", "leader", "planner")
"""admin 整治办 · inspector 检查员 · village 村 (own village only) · leader 领导 (read-only) ·
planner 规划 (read-only plus sites)."""


class AppUser(Base):
    """A person or device with an API token (stored as a SHA-256 hash, never in clear)."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(_in("role", USER_ROLES), name="role_known"),
        CheckConstraint("(role = 'village') = (village_id IS NOT NULL)", name="village_role_scope"),
        CheckConstraint(
            "email IS NULL OR email ~ '^[^@[:space:]]+@[^@[:space:]]+$'", name="email_plausible"
        ),
        CheckConstraint(
            "(town_id IS NULL) <> (district_code IS NULL)", name="user_town_or_district"
        ),
        CheckConstraint("district_code IS NULL OR role = 'leader'", name="user_district_reads"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"))
    town_id: Mapped[int | None] = mapped_column(
        ForeignKey("town.id"), server_default=FetchedValue()
    )
    """The user's town (None for a district reader)."""
    district_code: Mapped[str | None] = mapped_column(String(6))
    """A district reader (role leader) reads every town of this district."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    password_hash: Mapped[str | None] = mapped_column(Text)
    """argon2id hash of the sign-in password (None: this user signs in with a token only)."""
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    email: Mapped[str | None] = mapped_column(String(254))
    """Where this user's notifications are mailed (None: the inbox only)."""


class UserSession(Base):
    """A browser's sign-in: only a keyed hash of the cookie's session id is stored."""

    __tablename__ = "user_session"
    __table_args__ = (Index("user_session_user", "user_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class LoginAttempt(Base):
    """Every sign-in attempt, to slow down and lock out guessing (and for the record)."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("login_attempt_name_at", "username", "at"),
        Index("login_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    username: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    """ok · bad_password · unknown_user · no_password · inactive · locked."""


class RankingPublication(Base):
    """发布: the office publishes a month's ranking (once; re-publishing updates who and when)."""

    __tablename__ = "ranking_publication"

    town_id: Mapped[int] = mapped_column(
        ForeignKey("town.id", name="ranking_publication_town_fk"),
        primary_key=True,
        server_default=FetchedValue(),
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    published_by: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class AuditLog(Base):
    """Who changed what through the service: one row per successful write request."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actor: Mapped[str] = mapped_column(String(NAME_LEN))
    role: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class TileSummaryState(Base):
    """When the materialized view `issue_tile_summary` (issues per z17 cell and filter
    dimension, migration 0019, geo.tile_summary) was last refreshed: one row, NULL: never."""

    __tablename__ = "tile_summary_state"
    __table_args__ = (CheckConstraint("id = 1", name="tile_summary_state_one_row"),)

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=False, server_default=text("1")
    )
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Open311Client(Base):
    """Another system (a 12345 hotline platform, a city dashboard) posting through Open311
    GeoReport v2 with an API key; only the key's SHA-256 is stored."""

    __tablename__ = "open311_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LEN), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("town.id"))
    """The town the client posts to and reads (its requests are that town's issues)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Open311Report(Base):
    """What an Open311 client sent with a request beyond the issue itself: who reported it
    (kept for the office, never shown to readers) and the client's own media URL."""

    __tablename__ = "open311_report"

    issue_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("issue.id"), primary_key=True
    )
    client_id: Mapped[int] = mapped_column(ForeignKey("open311_client.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(NAME_LEN))
    first_name: Mapped[str | None] = mapped_column(String(NAME_LEN))
    last_name: Mapped[str | None] = mapped_column(String(NAME_LEN))
    phone: Mapped[str | None] = mapped_column(String(PERSON_LEN))
    device_id: Mapped[str | None] = mapped_column(String(NAME_LEN))
    account_id: Mapped[str | None] = mapped_column(String(NAME_LEN))
    address_id: Mapped[str | None] = mapped_column(String(NAME_LEN))
    media_url: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
