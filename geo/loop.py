"""The closed loop (闭环, 销号管理): recording issues and moving them through their states.

open 整改中 → (village submits with an after-photo) → submitted 已整改待复核 → at the next
round the inspector records closed 已销号 · unrectified 未整改 · inadequate 整改不到位 (the
last two go back to the village). Every change is one `issue_event` row; the issue's
`version` guards against concurrent edits.
"""

from __future__ import annotations

import difflib
import functools
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, TextClause, text

from geo.assign import GPS_TOLERANCE_M, Location, locate, located_sql, placement_params
from geo.coords import M_PER_DEG_MIN, gcj02_to_wgs84
from geo.deadlines import DeadlineRule, deadline_rule, deadline_sql
from geo.defaults import (
    DEADLINE_RULE,
    DUPLICATE_RADIUS_M,
    METRIC_SRID,
    REBOUND_DAYS,
    REBOUND_RADIUS_M,
)
from geo.errors import Conflict, InvalidInput, NotFound, UnknownCategory
from geo.models import ISSUE_SOURCES, SRID
from geo.third_party import batch_year, refuse_points_over_counts
from geo.towns import SESSION_TOWN
from geo.vocab import EVENT_OF_ACTION, TRANSITIONS


@dataclass(frozen=True)
class NewIssue:
    """What an inspector records in the field."""

    category: str
    lon: float
    lat: float
    found_on: date
    description: str = ""
    found_by: str | None = None
    deadline: date | None = None
    source: str = "inspection"
    address: str | None = None
    responsible: str | None = None
    round_id: int | None = None
    id: uuid.UUID | None = None
    """Client-supplied id: a retried request with the same id never creates a duplicate."""
    third_party_batch_id: int | None = None
    """The third-party evaluation (市第三方测评) that found it; the source is then third_party."""


@dataclass(frozen=True)
class Nearby:
    """An existing issue close to a new one."""

    id: uuid.UUID
    code: str
    status: str
    distance_m: float


@dataclass(frozen=True)
class CreatedIssue:
    """The outcome of recording an issue."""

    id: uuid.UUID
    code: str
    created: bool
    village_code: str
    outside_m: float | None
    rebound_of: Nearby | None = None
    possible_duplicates: list[Nearby] = field(default_factory=list)
    duplicate_radius_m: float = DUPLICATE_RADIUS_M
    """The radius the duplicates were looked for within."""


EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)


def check_day(day: date, *, field: str) -> None:
    """Refuse dates outside the plausible range of a campaign's records."""
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(
            f"expected a date between {EARLIEST} and {LATEST}, got {day}", field=field
        )


def _check_round(conn: Connection, round_id: int | None) -> None:
    if (
        round_id is not None
        and not conn.execute(
            text("SELECT EXISTS (SELECT 1 FROM inspection_round WHERE id = :r)"), {"r": round_id}
        ).scalar_one()
    ):
        raise InvalidInput(f"no inspection round with id {round_id}", field="round_id")


def check_point(lon: float, lat: float, *, field: str = "geometry") -> None:
    """Refuse coordinates that cannot be lon/lat degrees, with a hint for the usual mistakes."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput(f"({lon}, {lat}) is not a pair of finite numbers", field=field)
    if abs(lon) > 180 or abs(lat) > 90:
        if abs(lon) > 1000 or abs(lat) > 1000:
            raise InvalidInput(
                f"({lon}, {lat}) look like projected metres, not degrees; send WGS-84 lon/lat",
                field=field,
            )
        raise InvalidInput(
            f"({lon}, {lat}) is not a lon/lat pair (lon within ±180, lat within ±90)"
            + ("; lon and lat look swapped" if abs(lat) <= 180 and abs(lon) <= 90 else ""),
            field=field,
        )


def _swapped_hint(conn: Connection, lon: float, lat: float) -> str:
    inside = conn.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM village"
            f" WHERE ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lat, :lon), {SRID})))"
        ),
        {"lon": lon, "lat": lat},
    ).scalar_one()
    return "; lon and lat look swapped (经纬度可能颠倒)" if inside else ""


def known_category(conn: Connection, code: str, *, field: str = "category") -> None:
    """Raise UnknownCategory with the closest codes when `code` is not a category."""
    if conn.execute(
        text("SELECT EXISTS (SELECT 1 FROM category WHERE code = :c)"), {"c": code}
    ).scalar_one():
        return
    codes = list(conn.execute(text("SELECT code FROM category ORDER BY sort_order")).scalars())
    if code not in codes:
        close = difflib.get_close_matches(code, codes, n=3, cutoff=0.4)
        hint = f"; closest: {', '.join(close)}" if close else f"; known: {', '.join(codes)}"
        raise UnknownCategory(f"unknown category {code!r}{hint}", field=field)


def _wgs84(lon: float, lat: float, coords: str) -> tuple[float, float]:
    check_point(lon, lat)
    if coords == "gcj02":
        wlon, wlat = gcj02_to_wgs84(lon, lat)
        return float(wlon), float(wlat)
    if coords != "wgs84":
        raise InvalidInput(f"expected coords 'wgs84' or 'gcj02', got {coords!r}", field="coords")
    return lon, lat


@dataclass(frozen=True)
class Detection:
    """The numbers recording an issue uses: where it may be placed (GPS tolerance, metric
    CRS) and what it is checked against (rebound radius and days, duplicate radius)."""

    tolerance_m: float = GPS_TOLERANCE_M
    metric_srid: int = METRIC_SRID
    rebound_radius_m: float = REBOUND_RADIUS_M
    rebound_days: int = REBOUND_DAYS
    duplicate_radius_m: float = DUPLICATE_RADIUS_M


DEFAULT_DETECTION = Detection()


@dataclass(frozen=True)
class IssueCheck:
    """What recording an issue here would find, without recording it (the field page asks first)."""

    location: Location
    rebound_of: Nearby | None = None
    possible_duplicates: list[Nearby] = field(default_factory=list)


def check_new_issue(
    conn: Connection,
    *,
    category: str,
    lon: float,
    lat: float,
    found_on: date,
    coords: str = "wgs84",
    detection: Detection = DEFAULT_DETECTION,
) -> IssueCheck:
    """Dry run of `create_issue`: the village and grid, the rebound and near duplicates
    (the same one statement, without taking the code's lock)."""
    lon, lat = _wgs84(lon, lat, coords)
    row = _look(
        conn,
        lon=lon,
        lat=lat,
        category=category,
        found_on=found_on,
        detection=detection,
        rule=deadline_rule(DEADLINE_RULE),
        round_id=None,
        issue_id=None,
        lock=False,
    )
    if not row["category_ok"]:
        known_category(conn, category)
    check_day(found_on, field="found_on")
    return _checked(conn, row, lon=lon, lat=lat, detection=detection)


def _located(conn: Connection, *, lon: float, lat: float, detection: Detection) -> Location:
    """Locate a WGS84 point, with the swapped-coordinates hint when it is outside (the
    refusals of the placement rule; the look-up statement places the others)."""
    try:
        return locate(
            conn,
            lon=lon,
            lat=lat,
            tolerance_m=detection.tolerance_m,
            metric_srid=detection.metric_srid,
        )
    except InvalidInput as exc:
        raise type(exc)(exc.message + _swapped_hint(conn, lon, lat), field=exc.field) from None


def _checked(
    conn: Connection, row: Any, *, lon: float, lat: float, detection: Detection
) -> IssueCheck:
    """The village, rebound and near duplicates of a look-up row; refused when outside."""
    if row["village_id"] is None:
        _located(conn, lon=lon, lat=lat, detection=detection)  # raises OutsideTown
        raise AssertionError("the look-up placed no village but locate did")  # pragma: no cover
    rebound = None
    if row["rebound_id"] is not None:
        rebound = Nearby(
            id=row["rebound_id"],
            code=row["rebound_code"],
            status=row["rebound_status"],
            distance_m=row["rebound_distance_m"],
        )
    return IssueCheck(
        location=Location(
            village_id=row["village_id"],
            village_code=row["village_code"],
            village_name=row["village_name"],
            grid_id=row["grid_id"],
            outside_m=row["outside_m"],
        ),
        rebound_of=rebound,
        possible_duplicates=[
            Nearby(
                id=uuid.UUID(d["id"]),
                code=d["code"],
                status=d["status"],
                distance_m=float(d["distance_m"]),
            )
            for d in row["duplicates"] or ()
        ],
    )


_GENERIC_PLANS = text("SELECT set_config('plan_cache_mode', 'force_generic_plan', true)")
"""For the rest of the transaction, a prepared statement runs its generic plan (made once
per connection) instead of being planned again for each set of parameters. The look-up's
custom plans are the same index probes as the generic one, and planning it (PostGIS's
selectivity estimates for every `&&`) cost 2.3 ms against 0.6 ms of running it at
1,000,000 issues. On the quiet machine (benchmarks/load.py): 1,000,000 issues 224 → 279
creates/s, p95 465 → 338 ms; 10,000 issues 276 → 298/s (docs/closed-loop.md)."""


def create_issue(
    conn: Connection,
    new: NewIssue,
    *,
    actor: str,
    coords: str = "wgs84",
    detection: Detection = DEFAULT_DETECTION,
    deadline: str | int | DeadlineRule = DEADLINE_RULE,
    audit: Mapping[str, object] | None = None,
) -> CreatedIssue:
    """Record an issue: validate, locate its village, link a rebound, warn of duplicates.

    Idempotent under concurrency: with a client id, a retry (even one racing its original)
    gets the one stored issue back (`created=False`), never a second row or an error.
    Without a deadline in `new`, the town's `deadline` rule sets it (`geo.deadlines`).
    With `audit` (the AUDIT_PARAMS of the caller's audit row), a new issue's audit row
    (status 201) is written by the insert itself; a replay writes none.
    """
    rule = deadline_rule(deadline)
    lon, lat = _wgs84(new.lon, new.lat, coords)
    conn.execute(_GENERIC_PLANS)
    row = _look(
        conn,
        lon=lon,
        lat=lat,
        category=new.category,
        found_on=new.found_on,
        detection=detection,
        rule=rule,
        round_id=new.round_id,
        issue_id=new.id,
        lock=False,  # the insert takes the code's lock, for as short a time as can be
    )
    # The refusals in the order they have always been checked in.
    if not row["category_ok"]:
        known_category(conn, new.category)
    check_day(new.found_on, field="found_on")
    if new.deadline is not None:
        check_day(new.deadline, field="deadline")
    if not row["round_ok"]:
        raise InvalidInput(f"no inspection round with id {new.round_id}", field="round_id")
    if new.source not in ISSUE_SOURCES:
        raise InvalidInput(
            f"unknown source {new.source!r}; expected one of {', '.join(ISSUE_SOURCES)}",
            field="source",
        )
    if new.deadline is not None and new.deadline < new.found_on:
        raise InvalidInput("the deadline is before the date found", field="deadline")
    source = new.source
    if new.third_party_batch_id is not None:
        source = _check_batch(conn, new.third_party_batch_id, new.source)
    if new.id is not None and row["prior_code"] is not None:
        return _replayed(
            new.id,
            row["prior_code"],
            row["prior_category"],
            row["prior_village"],
            row["prior_outside_m"],
            row["prior_moved"],
            new.category,
        )
    placed = _checked(conn, row, lon=lon, lat=lat, detection=detection)
    where, rebound, duplicates = placed.location, placed.rebound_of, placed.possible_duplicates
    if new.third_party_batch_id is not None:
        refuse_points_over_counts(
            conn, batch_year(conn, new.third_party_batch_id), [where.village_code]
        )
    issue_id = new.id or uuid.uuid4()
    if new.deadline is not None:
        due, provisional = new.deadline, False
    else:
        due, provisional = row["deadline"], bool(row["provisional"])
    created_note = (
        f"GPS 点位在{where.village_name}边界外 {where.outside_m:.0f} m，已归入最近的村"
        if where.outside_m is not None
        else None
    )
    rebound_note = (
        f"距 {rebound.code} {rebound.distance_m:.0f} m，该问题销号未满 {detection.rebound_days} 天"
        if rebound is not None
        else None
    )
    prefix = _code_prefix(where.village_code, new.found_on)
    statement = _insert_sql(audited=audit is not None)
    params = (
        dict(audit or {})
        | last_code_params(prefix)
        | {
            "id": issue_id,
            "prefix": prefix,
            "category": new.category,
            "description": new.description,
            "address": new.address,
            "lon": lon,
            "lat": lat,
            "village_id": where.village_id,
            "grid_id": where.grid_id,
            "outside_m": where.outside_m,
            "source": source,
            "found_on": new.found_on,
            "found_by": new.found_by or actor,
            "deadline": due,
            "provisional": provisional,
            "batch": new.third_party_batch_id,
            "responsible": new.responsible,
            "round_id": new.round_id,
            "rebound_of": rebound.id if rebound else None,
            "actor": actor,
            "created_note": created_note,
            "rebound_note": rebound_note,
        }
    )
    code = conn.execute(statement, params).scalar()
    if code is None:
        # Either the code was committed by the lock's previous holder after this
        # statement's snapshot (the lock is held now: a new snapshot sees it) or the
        # client id was, by a racing retry of this request (then the insert does nothing
        # again and the stored issue is the answer).
        code = conn.execute(statement, params).scalar()
    if code is None:
        return _replay(conn, issue_id, lon, lat, new.category)
    return CreatedIssue(
        id=issue_id,
        code=code,
        created=True,
        village_code=where.village_code,
        outside_m=where.outside_m,
        rebound_of=rebound,
        possible_duplicates=duplicates,
        duplicate_radius_m=detection.duplicate_radius_m,
    )


def _check_batch(conn: Connection, batch_id: int, source: str) -> str:
    """An issue of a third-party batch has source third_party (the default source is
    taken to mean "not said"); another source given explicitly is refused."""
    try:
        batch_year(conn, batch_id)
    except NotFound as exc:
        raise InvalidInput(exc.message, field="batch_id") from None
    if source not in ("third_party", "inspection"):
        raise InvalidInput(
            f"an issue of a third-party batch has source third_party, not {source!r}",
            field="source",
        )
    return "third_party"


REPLAY_SQL = (
    "SELECT i.code, i.category_code, v.code AS village, i.outside_m,"
    f" ST_Distance(i.geom::geography, ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID})"
    "::geography) AS moved FROM issue i LEFT JOIN village v ON v.id = i.village_id"
    " WHERE i.id = :id"
)
"""The stored issue of a client id: code, category, village, outside_m, and how far (m)
it lies from the point :lon, :lat sent again."""


def _replay(
    conn: Connection, issue_id: uuid.UUID, lon: float, lat: float, category: str
) -> CreatedIssue:
    """A retried create: return the stored issue, or refuse if the id names another one."""
    row = (
        conn.execute(text(REPLAY_SQL), {"id": issue_id, "lon": lon, "lat": lat}).mappings().first()
    )
    if row is None:  # neither the id nor the code's lock explain a refused insert
        raise Conflict(f"issue {issue_id} could not be stored just now; send it again", field="id")
    return _replayed(
        issue_id,
        row["code"],
        row["category_code"],
        row["village"],
        row["outside_m"],
        row["moved"],
        category,
    )


def _replayed(
    issue_id: uuid.UUID,
    code: str,
    stored_category: str,
    village: str,
    outside_m: float | None,
    moved: float,
    category: str,
) -> CreatedIssue:
    if stored_category != category or moved > 1.0:
        raise Conflict(
            f"id {issue_id} is already used by issue {code} with other content", field="id"
        )
    return CreatedIssue(
        id=issue_id, code=code, created=False, village_code=village, outside_m=outside_m
    )


_NEAR_POINT = f"(SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID}) AS g) p"
_NEAR_DISTANCE = "ST_Distance(ST_Transform(i.geom, :metric_srid), ST_Transform(p.g, :metric_srid))"


def _near_box(deg: str) -> str:
    """The GiST-indexed bounding filter (degrees, generous); the exact test is metric. Only
    issues of the transaction's town (none set: any town)."""
    return (
        f"i.geom && ST_Expand(p.g, {deg})"
        f" AND ({SESSION_TOWN} IS NULL OR i.town_id = {SESSION_TOWN})"
    )


def rebound_sql(*, radius: str = ":radius", deg: str = ":deg") -> str:
    """The latest issue of the category closed within :days before :found_on and `radius`
    metres of the point (`deg`: the radius as a bound in degrees)."""
    return (
        "SELECT * FROM (SELECT i.id, i.code, i.status, i.closed_on,"
        f" {_NEAR_DISTANCE} AS distance_m FROM issue i, {_NEAR_POINT}"
        f" WHERE {_near_box(deg)} AND i.status = 'closed' AND i.category_code = :category"
        " AND i.closed_on <= :found_on AND i.closed_on >= CAST(:found_on AS date) - :days) c"
        f" WHERE c.distance_m <= {radius} ORDER BY c.closed_on DESC, c.distance_m LIMIT 1"
    )


def nearby_open_sql(*, radius: str = ":radius", deg: str = ":deg") -> str:
    """Issues of the category not closed within `radius` metres of the point."""
    return (
        f"SELECT * FROM (SELECT i.id, i.code, i.status, {_NEAR_DISTANCE} AS distance_m"
        f" FROM issue i, {_NEAR_POINT} WHERE {_near_box(deg)} AND i.status <> 'closed'"
        f" AND i.category_code = :category) c WHERE c.distance_m <= {radius}"
        " ORDER BY c.distance_m, c.code"
    )


REBOUND_SQL = text(rebound_sql())
"""The rebound look-up alone (parameters lon, lat, category, metric_srid, radius, deg,
found_on, days)."""

NEARBY_OPEN_SQL = text(nearby_open_sql())
"""The near-duplicate look-up alone."""


def near_params(
    *, lon: float, lat: float, category: str, radius_m: float, metric_srid: int
) -> dict[str, object]:
    """The parameters of REBOUND_SQL / NEARBY_OPEN_SQL (the box bound derived from the radius)."""
    return {
        "lon": lon,
        "lat": lat,
        "category": category,
        "metric_srid": metric_srid,
        "radius": radius_m,
        "deg": radius_m / M_PER_DEG_MIN,
    }


def look_sql(rule: DeadlineRule) -> str:
    """Everything recording an issue needs to know, in ONE statement (one round trip).

    One row: whether the category and the round exist; the issue already stored under the
    client id :id (a retry); the village and grid (`geo.assign.located_sql`, the one
    placement rule); the rebound candidate and the near duplicates (a JSON array), both
    GiST probes of `issue.geom` with a metric test; the deadline by `rule`. With :lock,
    for a new issue that is placed, it also takes the transaction's advisory lock on the
    code's prefix (village, month). `create_issue` passes :lock false: `insert_sql` takes
    that lock itself, so that it is held from the insert to the commit only.
    """
    deadline, provisional = deadline_sql(rule, village="pl.id", found="CAST(:found_on AS date)")
    duplicates = nearby_open_sql(radius=":duplicate_radius", deg=":duplicate_deg")
    return (
        "SELECT EXISTS (SELECT 1 FROM category WHERE code = :category) AS category_ok,"
        " (CAST(:round_id AS integer) IS NULL"
        "  OR EXISTS (SELECT 1 FROM inspection_round WHERE id = :round_id)) AS round_ok,"
        " prior.code AS prior_code, prior.category_code AS prior_category,"
        " prior.village AS prior_village, prior.outside_m AS prior_outside_m,"
        " prior.moved AS prior_moved,"
        " pl.id AS village_id, pl.code AS village_code, pl.name AS village_name,"
        " pl.outside_m, pl.grid_id,"
        " rb.id AS rebound_id, rb.code AS rebound_code, rb.status AS rebound_status,"
        " rb.distance_m AS rebound_distance_m, dup.items AS duplicates,"
        f" {deadline} AS deadline, {provisional} AS provisional, lk.locked"
        " FROM (SELECT 1) one"
        f" LEFT JOIN LATERAL ({REPLAY_SQL}) prior ON true"
        f" LEFT JOIN LATERAL ({located_sql()}) pl ON true"
        f" LEFT JOIN LATERAL ({rebound_sql(radius=':rebound_radius', deg=':rebound_deg')}) rb"
        " ON true"
        " LEFT JOIN LATERAL (SELECT json_agg(json_build_object('id', d.id, 'code', d.code,"
        "  'status', d.status, 'distance_m', d.distance_m) ORDER BY d.distance_m, d.code)"
        f"  AS items FROM ({duplicates}) d) dup ON true"
        " LEFT JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtext(pl.code || :month))::text"
        "  AS locked WHERE :lock AND pl.id IS NOT NULL AND prior.code IS NULL) lk ON true"
    )


def _look(
    conn: Connection,
    *,
    lon: float,
    lat: float,
    category: str,
    found_on: date,
    detection: Detection,
    rule: DeadlineRule,
    round_id: int | None,
    issue_id: uuid.UUID | None,
    lock: bool,
) -> Any:
    """Run `look_sql` for one point (WGS84) and return its row."""
    params = placement_params(tolerance_m=detection.tolerance_m, metric_srid=detection.metric_srid)
    params |= {
        "lon": lon,
        "lat": lat,
        "category": category,
        "found_on": found_on,
        "round_id": round_id,
        "id": issue_id,
        "rebound_radius": detection.rebound_radius_m,
        "rebound_deg": detection.rebound_radius_m / M_PER_DEG_MIN,
        "days": detection.rebound_days,
        "duplicate_radius": detection.duplicate_radius_m,
        "duplicate_deg": detection.duplicate_radius_m / M_PER_DEG_MIN,
        "month": f"-{found_on.year:04d}{found_on.month:02d}-",
        "lock": lock,
    }
    return conn.execute(_look_text(rule), params).mappings().one()


@functools.cache
def _look_text(rule: DeadlineRule) -> TextClause:
    return text(look_sql(rule))


def last_code_sql() -> TextClause:
    """The highest issue code starting with :like. `issue.code` sorts bytewise (`COLLATE
    "C"`, migration 0020), so the bounds :lo/:hi are exact and let the unique index answer
    with one backward probe, also in a generic plan, where LIKE's parameter gives the
    planner no range; LIKE keeps the match exact."""
    return text(
        "SELECT code FROM issue WHERE code LIKE :like AND code >= :lo AND code < :hi"
        " ORDER BY code DESC LIMIT 1"
    )


def last_code_params(prefix: str) -> dict[str, str]:
    """Parameters of last_code_sql for a prefix ending in '-'."""
    return {"lo": prefix, "hi": prefix[:-1] + ".", "like": prefix.replace("_", r"\_") + "%"}


def _code_prefix(village_code: str, found_on: date) -> str:
    """`DZZ07-202404-`: the code of an issue is this prefix and its sequence (`0012`)."""
    return f"{village_code}-{found_on.year:04d}{found_on.month:02d}-"


_NEXT_SEQ = (
    "SELECT coalesce((SELECT CASE WHEN substring(last.code FROM '[^-]*$') ~ '^[0-9]+$'"
    " THEN substring(last.code FROM '[^-]*$')::bigint END FROM last), 0) + 1 AS n"
)


AUDIT_PARAMS = ("audit_actor", "audit_role", "audit_method", "audit_path", "audit_detail")
"""The parameters of the audit row `insert_sql(audited=True)` writes with the issue."""


def insert_sql(*, audited: bool = False) -> str:
    """Store a new issue with its next code and its events, in ONE statement.

    The statement takes the transaction's advisory lock on the code's prefix (:prefix:
    village and month) before it inserts, and reads the highest code of the prefix plus
    one (`last_code_sql`: one backward probe of the unique index on code). Its snapshot is
    taken before the lock is granted, so a code committed by the holder it waited for is
    unseen: the insert then meets it in the unique index and does nothing (ON CONFLICT
    without a target), and the caller runs the statement again — in a new snapshot, with
    the lock held, it sees every code of the prefix. Taking the lock here rather than in
    the look-up keeps it held only from the insert to the commit, so creates in one village
    and month hardly wait for each other. The `created` event, and the `rebound_linked`
    one when :rebound_of is set, are inserted from the row actually inserted: a client id
    committed meanwhile by a racing request inserts nothing and returns no row either.
    With `audited`, the `audit_log` row of the request (status 201, the AUDIT_PARAMS) is
    written by the same statement, from the row inserted too.
    """
    audit = (
        ", au AS (INSERT INTO audit_log (actor, role, method, path, status, detail)"
        " SELECT :audit_actor, :audit_role, :audit_method, :audit_path, 201,"
        " CAST(:audit_detail AS jsonb) FROM ins)"
        if audited
        else ""
    )
    return (
        "WITH lk AS (SELECT pg_advisory_xact_lock(hashtext(:prefix)) AS locked),"
        f" last AS ({last_code_sql().text}), seq AS ({_NEXT_SEQ} FROM lk),"
        " ins AS (INSERT INTO issue (id, code, category_code, description, address, geom,"
        " village_id, grid_id, outside_m, source, found_on, found_by, deadline,"
        " deadline_provisional, responsible, status, round_id, rebound_of,"
        " third_party_batch_id, version)"
        " SELECT :id, :prefix || lpad(seq.n::text, greatest(4, length(seq.n::text)), '0'),"
        f" :category, :description, :address, ST_SetSRID(ST_MakePoint(:lon, :lat), {SRID}),"
        " :village_id, :grid_id, :outside_m, :source, :found_on, :found_by, :deadline,"
        " :provisional, :responsible, 'open', :round_id, :rebound_of, :batch, 1 FROM seq"
        " ON CONFLICT DO NOTHING RETURNING id, code),"
        ' ev AS (INSERT INTO issue_event (issue_id, kind, from_status, to_status, "on", actor,'
        " note, round_id) SELECT ins.id, e.kind, e.from_status, 'open', :found_on, :actor,"
        " e.note, CAST(:round_id AS integer) FROM ins CROSS JOIN (VALUES"
        " (1, 'created', NULL, CAST(:created_note AS text)),"
        " (2, 'rebound_linked', 'open', CAST(:rebound_note AS text))) e(n, kind, from_status, note)"
        " WHERE e.n = 1 OR CAST(:rebound_of AS uuid) IS NOT NULL ORDER BY e.n)"
        f"{audit} SELECT code FROM ins"
    )


@functools.cache
def _insert_sql(*, audited: bool) -> TextClause:
    return text(insert_sql(audited=audited))


def _event(
    conn: Connection,
    issue_id: uuid.UUID,
    kind: str,
    from_status: str | None,
    to_status: str | None,
    actor: str,
    note: str | None,
    round_id: int | None,
    *,
    on: date,
) -> int:
    """Append one step to an issue's history: `on` the day it happened, typed now."""
    return conn.execute(
        text(
            'INSERT INTO issue_event (issue_id, kind, from_status, to_status, "on", actor, note,'
            " round_id) VALUES (:i, :k, :f, :t, :on, :a, :n, :r) RETURNING id"
        ),
        {
            "on": on,
            "i": issue_id,
            "k": kind,
            "f": from_status,
            "t": to_status,
            "a": actor,
            "n": note,
            "r": round_id,
        },
    ).scalar_one()


@dataclass(frozen=True)
class Transitioned:
    """An issue after a transition."""

    id: uuid.UUID
    code: str
    status: str
    version: int
    event_id: int


def action_day(on: date | None, *, found_on: date, today: date | None = None) -> date:
    """The day an action happened: as given (not after today, not before the issue was
    found), or today."""
    today = today or date.today()
    day = on or today
    check_day(day, field="on")
    if day > today:
        raise InvalidInput(
            f"the date {day} is in the future; expected a day up to today ({today})", field="on"
        )
    if day < found_on:
        raise InvalidInput(f"the date {day} is before the issue was found ({found_on})", field="on")
    return day


def transition(
    conn: Connection,
    *,
    issue_id: uuid.UUID,
    action: str,
    version: int,
    actor: str,
    note: str | None = None,
    photo_ids: Sequence[uuid.UUID] = (),
    round_id: int | None = None,
    on: date | None = None,
) -> Transitioned:
    """Apply one step of the loop, checking the current status and version (409 otherwise)."""
    if action not in TRANSITIONS:
        raise InvalidInput(
            f"unknown action {action!r}; expected one of {', '.join(TRANSITIONS)}", field="action"
        )
    row = (
        conn.execute(
            text("SELECT code, status, version, found_on FROM issue WHERE id = :id FOR UPDATE"),
            {"id": issue_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"no issue {issue_id}", field="issue_id")
    if row["version"] != version:
        raise Conflict(
            f"issue {row['code']} changed meanwhile (version {row['version']}, you sent "
            f"{version}); reload it and try again",
            field="version",
        )
    allowed_from, to_status = TRANSITIONS[action]
    if row["status"] not in allowed_from:
        raise Conflict(
            f"cannot {action} issue {row['code']} while it is {row['status']} "
            f"(allowed from: {', '.join(allowed_from)})",
            field="action",
        )
    if action == "submit":
        _check_after_photos(conn, issue_id, photo_ids)
    _check_round(conn, round_id)
    day = action_day(on, found_on=row["found_on"])
    new_version = row["version"] + 1
    conn.execute(
        text(
            "UPDATE issue SET status = :status, version = :v, updated_at = now(),"
            " closed_on = :closed_on WHERE id = :id"
        ),
        {
            "status": to_status,
            "v": new_version,
            "closed_on": day if to_status == "closed" else None,
            "id": issue_id,
        },
    )
    event_id = _event(
        conn,
        issue_id,
        EVENT_OF_ACTION[action],
        row["status"],
        to_status,
        actor,
        note,
        round_id,
        on=day,
    )
    if photo_ids:
        conn.execute(
            text("UPDATE photo SET event_id = :e WHERE id = ANY(:ids) AND issue_id = :i"),
            {"e": event_id, "ids": list(photo_ids), "i": issue_id},
        )
    return Transitioned(
        id=issue_id, code=row["code"], status=to_status, version=new_version, event_id=event_id
    )


def _check_after_photos(
    conn: Connection, issue_id: uuid.UUID, photo_ids: Sequence[uuid.UUID]
) -> None:
    if not photo_ids:
        raise InvalidInput(
            "a rectification needs at least one after-photo (整改后照片); upload it first",
            field="photo_ids",
        )
    found = conn.execute(
        text(
            "SELECT count(*) FROM photo WHERE id = ANY(:ids) AND issue_id = :i AND kind = 'after'"
        ),
        {"ids": list(photo_ids), "i": issue_id},
    ).scalar_one()
    if found != len(set(photo_ids)):
        raise InvalidInput(
            "every photo_id must be an after-photo uploaded for this issue", field="photo_ids"
        )
