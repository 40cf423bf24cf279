"""`cunrong sample load`: the committed sample town into a migrated database, in one transaction.

Small tables go in with SQLAlchemy Core bulk inserts, issues and their events with
PostgreSQL COPY. Villages and grids of the issues are assigned by PostGIS afterwards
(`geo.assign.assign_issues`); every issue must end up in a village.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import MultiLineString, MultiPolygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, create_engine, func, insert, select

from geo.assign import assign_issues
from geo.errors import Conflict, InvalidInput
from geo.models import (
    SRID,
    Community,
    Entrance,
    Honor,
    InspectionRound,
    ObservationScore,
    Road,
    RoundVillage,
    ThirdPartyEvaluation,
    Village,
    Waterbody,
)
from geo.models import Grid as GridRow
from geo.sample.calendar import YEAR
from geo.sample.files import read_csv, read_geojson
from geo.sample.generate import FILES

HONOR_NOTES = {"model_village": "形成典型", "county_site_visit": "承担县现场观摩点评"}

_ISSUE_COLUMNS = (
    "id",
    "code",
    "category_code",
    "description",
    "address",
    "geom",
    "source",
    "found_on",
    "found_by",
    "deadline",
    "responsible",
    "status",
    "closed_on",
    "round_id",
    "rebound_of",
    "version",
    "created_at",
    "updated_at",
)
_EVENT_COLUMNS = (
    "issue_id",
    "kind",
    "from_status",
    "to_status",
    '"on"',
    "recorded_at",
    "actor",
    "note",
    "round_id",
)
"""The sample's events happened when they were recorded: `on` is the day of `at` (UTC+8)."""


@dataclass(frozen=True)
class SampleLoad:
    """What a load put into the database."""

    villages: int
    grids: int
    issues: int
    events: int
    snapped: int
    """Issues a few metres outside the town, assigned to the nearest village (GPS error)."""


def sample_folder(data_dir: Path | None = None) -> Path:
    """The committed sample town: data/sample of this checkout (else of `data_dir`)."""
    here = Path(__file__).resolve().parents[2] / "data" / "sample"
    return here if here.is_dir() or data_dir is None else data_dir / "sample"


def village_count(conn: Connection) -> int:
    """How many villages the database holds."""
    return conn.execute(select(func.count()).select_from(Village)).scalar_one()


def load_sample_town(url: str, folder: Path | None = None) -> SampleLoad:
    """Load the sample town's files into the (migrated, village-free) database at `url`."""
    folder = folder or sample_folder()
    missing = [name for name in FILES if not (folder / name).is_file()]
    if missing:
        raise InvalidInput(
            f"{folder} lacks {', '.join(missing)}; run `cunrong sample generate --out {folder}`",
            field="folder",
        )
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            existing = village_count(conn)
            if existing:
                raise Conflict(
                    f"the database already holds {existing} villages; load the sample town "
                    "only into an empty database",
                    field="database",
                )
            return _load(conn, folder)
    finally:
        engine.dispose()


def _load(conn: Connection, folder: Path) -> SampleLoad:
    communities = _insert_returning(
        conn,
        Community,
        [
            {
                "code": r["code"],
                "name": r["name"],
                "secretary": r["secretary"],
                "deputy_secretary": r["deputy_secretary"],
            }
            for r in read_csv(folder / "communities.csv")
        ],
    )
    villages = _insert_returning(
        conn,
        Village,
        [
            {
                "code": p["code"],
                "name": p["name"],
                "community_id": _lookup(communities, p["community_code"], "community_code", n),
                "party_secretary": p["party_secretary"],
                "households": p["households"],
                "population": p["population"],
                "geom": _geometry(geom, MultiPolygon),
            }
            for n, (p, geom) in enumerate(read_geojson(folder / "villages.geojson"), start=1)
        ],
    )
    grids = read_geojson(folder / "grids.geojson")
    conn.execute(
        insert(GridRow),
        [
            {
                "code": p["code"],
                "village_id": _lookup(villages, p["village"], "village", n),
                "name": p["name"],
                "leader": p["leader"],
                "geom": _geometry(geom, MultiPolygon),
            }
            for n, (p, geom) in enumerate(grids, start=1)
        ],
    )
    roads = _insert_returning(
        conn,
        Road,
        [
            {
                "code": p["code"],
                "kind": p["kind"],
                "name": p["name"],
                "village_id": _lookup(villages, p["village"], "village", n)
                if p["village"]
                else None,
                "geom": _geometry(geom, MultiLineString),
            }
            for n, (p, geom) in enumerate(read_geojson(folder / "roads.geojson"), start=1)
        ],
    )
    conn.execute(
        insert(Entrance),
        [
            {
                "village_id": _lookup(villages, p["village"], "village", n),
                "road_id": _lookup(roads, p["road"], "road", n),
                "name": p["name"],
                "geom": _geometry(geom),
            }
            for n, (p, geom) in enumerate(read_geojson(folder / "entrances.geojson"), start=1)
        ],
    )
    conn.execute(
        insert(Waterbody),
        [
            {"kind": p["kind"], "name": p["name"], "geom": _geometry(geom)}
            for p, geom in read_geojson(folder / "waterbodies.geojson")
        ],
    )
    rounds = _insert_returning(
        conn,
        InspectionRound,
        [
            {
                "month": _month(r["month"]),
                "team": r["team"],
                "started_on": date.fromisoformat(r["started_on"]),
                "ended_on": date.fromisoformat(r["ended_on"]),
                "note": f"{r['note']}；检查人员：{r['inspectors']}",
            }
            for r in read_csv(folder / "rounds.csv")
        ],
        key="month",
        key_of=lambda value: value.strftime("%Y-%m"),
    )
    conn.execute(
        insert(RoundVillage),
        [
            {
                "round_id": _lookup(rounds, r["month"], "month", n),
                "village_id": _lookup(villages, r["village"], "village", n),
                "visited_on": date.fromisoformat(r["visited_on"]),
            }
            for n, r in enumerate(read_csv(folder / "round_visits.csv"), start=2)
        ],
    )
    issues, events = _copy_issues(conn, folder, rounds)
    assignment = assign_issues(conn)
    if assignment.unassigned:
        raise InvalidInput(
            f"{assignment.unassigned} sample issues lie outside every village "
            "(beyond the GPS tolerance); regenerate the sample",
            field="issues.csv",
        )
    _assessment(conn, folder, villages)
    return SampleLoad(
        villages=len(villages),
        grids=len(grids),
        issues=issues,
        events=events,
        snapped=assignment.snapped,
    )


def _assessment(conn: Connection, folder: Path, villages: dict[str, int]) -> None:
    """Observation scores, the third party's results and honors."""
    conn.execute(
        insert(ObservationScore),
        [
            {
                "month": _month(r["month"]),
                "village_id": _lookup(villages, r["village"], "village", n),
                "group_name": r["group"],
                "score": Decimal(r["score"]),
            }
            for n, r in enumerate(read_csv(folder / "observation_scores.csv"), start=2)
        ],
    )
    conn.execute(
        insert(ThirdPartyEvaluation),
        [
            {
                "year": YEAR,
                "village_id": _lookup(villages, r["village"], "village", n),
                "evaluated": r["evaluated"] == "true",
                "problems_found": int(r["problems_found"]),
                "problems_unrectified": int(r["problems_unrectified"]),
            }
            for n, r in enumerate(read_csv(folder / "third_party.csv"), start=2)
        ],
    )
    conn.execute(
        insert(Honor),
        [
            {
                "village_id": _lookup(villages, r["village"], "village", n),
                "awarded_on": date.fromisoformat(r["date"]),
                "kind": r["kind"],
                "note": HONOR_NOTES.get(r["kind"]),
            }
            for n, r in enumerate(read_csv(folder / "honors.csv"), start=2)
        ],
    )


def _copy_issues(conn: Connection, folder: Path, rounds: dict[str, int]) -> tuple[int, int]:
    """Issues and their events through COPY, in the order of the files."""
    issues = read_csv(folder / "issues.csv")
    events = read_csv(folder / "issue_events.csv")
    by_code: dict[str, list[dict[str, str]]] = {}
    for event in events:
        by_code.setdefault(event["issue"], []).append(event)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor:
        columns = ", ".join(_ISSUE_COLUMNS)
        with cursor.copy(f"COPY issue ({columns}) FROM STDIN") as copy:
            for n, row in enumerate(issues, start=2):
                history = by_code.get(row["code"])
                if not history:
                    raise InvalidInput(
                        f"issue {row['code']} has no events", field="issue_events.csv", row=n
                    )
                if history[-1]["to_status"] != row["status"]:
                    raise InvalidInput(
                        f"issue {row['code']} is {row['status']} but its last event leads to "
                        f"{history[-1]['to_status']}",
                        field="status",
                        row=n,
                    )
                transitions = sum(e["kind"] not in ("created", "rebound_linked") for e in history)
                copy.write_row(
                    (
                        row["id"],
                        row["code"],
                        row["category"],
                        row["description"],
                        row["address"] or None,
                        f"SRID={SRID};POINT({row['lon']} {row['lat']})",
                        row["source"],
                        row["found_on"],
                        row["found_by"] or None,
                        row["deadline"] or None,
                        row["responsible"] or None,
                        row["status"],
                        row["closed_on"] or None,
                        _lookup(rounds, row["round"], "round", n) if row["round"] else None,
                        row["rebound_of"] or None,
                        1 + transitions,
                        history[0]["at"],
                        history[-1]["at"],
                    )
                )
        ids = {row["code"]: row["id"] for row in issues}
        with cursor.copy(f"COPY issue_event ({', '.join(_EVENT_COLUMNS)}) FROM STDIN") as copy:
            for n, event in enumerate(events, start=2):
                copy.write_row(
                    (
                        _lookup(ids, event["issue"], "issue", n),
                        event["kind"],
                        event["from_status"] or None,
                        event["to_status"] or None,
                        datetime.fromisoformat(event["at"]).date(),
                        event["at"],
                        event["actor"] or None,
                        event["note"] or None,
                        _lookup(rounds, event["round"], "round", n) if event["round"] else None,
                    )
                )
    return len(issues), len(events)


def _insert_returning(
    conn: Connection,
    model: Any,
    rows: Sequence[dict[str, Any]],
    *,
    key: str = "code",
    key_of: Any = str,
) -> dict[str, Any]:
    """Bulk insert (Core, one statement); returns key → new id."""
    result = conn.execute(
        insert(model).returning(model.id, getattr(model, key), sort_by_parameter_order=True),
        rows,
    )
    return {key_of(row[1]): row[0] for row in result}


def _lookup(ids: dict[str, Any], code: str, field: str, row: int) -> Any:
    try:
        return ids[code]
    except KeyError:
        raise InvalidInput(f"unknown {field} {code!r}", field=field, row=row) from None


def _geometry(geom: BaseGeometry, multi: type | None = None) -> Any:
    """A shapely geometry as EWKB for GeoAlchemy2 (promoted to Multi* when asked)."""
    if multi is not None and not isinstance(geom, multi):
        geom = multi([geom])
    return from_shape(geom, srid=SRID)


def _month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)
