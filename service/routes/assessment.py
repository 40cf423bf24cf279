"""Monthly rounds, the recheck list, scores, third-party results, honors and rankings."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from pydantic import Field
from sqlalchemy import text

from geo.assessment import (
    ScoreRecord,
    ThirdPartyRecord,
    add_honor,
    create_round,
    save_scores,
    save_third_party,
)
from geo.issue_filter import parse_month
from geo.recheck import recheck_list
from geo.third_party import create_batch, import_third_party, list_batches
from geo.towns import SCOPE_SQL, scope_params
from geo.vocab import NAME_LEN, NOTE_LEN
from service.auth import Admin, Inspector, Reader, town_scope
from service.deps import ConnDep
from service.filters import known_villages, split_values, village_scope
from service.memory import GIVE_MEMORY_BACK
from service.rankings import month_ranking_dict, what_if_dict, year_ranking_dict
from service.responses import (
    BatchImported,
    BatchOut,
    CommunityIndicatorsOut,
    Created,
    GridIndicatorsOut,
    MonthReport,
    MonthWhatIfOut,
    RoundOpened,
    RoundOut,
    Saved,
    VillageIndicatorsOut,
    VillageRecheckOut,
    YearReport,
    YearWhatIfOut,
)
from service.routes.imports import import_options, report_out, unpack_upload
from service.schemas import Count, Day, RequestModel, YearPath
from service.scoring_data import unit_indicator_rows
from service.towns import TownDep, user_town
from service.uploads import (
    UploadLimits,
    read_honor_upload,
    read_score_upload,
    read_third_party_upload,
)

router = APIRouter(tags=["assessment 考核"])


class RoundCreate(RequestModel):
    """A monthly inspection round (月度检查)."""

    month: str = Field(..., examples=["2024-05"])
    team: str = Field("整治办", max_length=NAME_LEN)
    started_on: Day | None = None
    ended_on: Day | None = None
    villages: list[str] = Field(default_factory=list, description="default: every village")
    note: str | None = Field(None, max_length=NOTE_LEN)


class ScoreIn(RequestModel):
    """观摩打分: one scoring group's score (0–100) for a village in a month."""

    month: str = Field(..., examples=["2024-05"])
    village: str
    group: str = Field(..., min_length=1, max_length=NAME_LEN)
    score: float = Field(..., ge=0, le=100)


class ThirdPartyIn(RequestModel):
    """市第三方测评 of one village."""

    village: str
    evaluated: bool = True
    problems_found: Count = 0
    problems_unrectified: Count = 0


class HonorIn(RequestModel):
    """形成典型 (model_village) or 承担县现场观摩点评 (county_site_visit)."""

    village: str
    awarded_on: Day
    kind: str = Field(..., examples=["model_village"])
    note: str | None = None


@router.post("/rounds", status_code=201, response_model=RoundOpened)
def open_round(body: RoundCreate, conn: ConnDep, user: Inspector) -> dict[str, Any]:
    """Open a monthly round for the given (default: all) villages."""
    round_id = create_round(conn, **body.model_dump())
    return {"id": round_id, "month": body.month, "team": body.team, "opened_by": user.name}


@router.get("/rounds", response_model=list[RoundOut])
def list_rounds(conn: ConnDep, user: Reader) -> list[dict[str, Any]]:
    """Every round of the caller's towns with the number of villages it visits."""
    rows = conn.execute(
        text(
            "SELECT r.id, to_char(r.month, 'YYYY-MM') AS month, r.team, r.started_on,"
            " r.ended_on, r.note, count(rv.village_id) AS villages FROM inspection_round r"
            " LEFT JOIN round_village rv ON rv.round_id = r.id"
            f" WHERE {SCOPE_SQL.format(alias='r')} GROUP BY r.id ORDER BY r.month, r.id"
        ),
        scope_params(town_scope(user)),
    ).mappings()
    return [dict(r) for r in rows]


@router.get("/recheck", response_model=list[VillageRecheckOut])
def get_recheck_list(
    request: Request,
    conn: ConnDep,
    user: Reader,
    month: Annotated[str, Query(description="the round's month, YYYY-MM")],
    village: Annotated[list[str] | None, Query(description="village code(s)")] = None,
) -> list[dict[str, Any]]:
    """复核清单: due issues per village in walking order for the round of `month`."""
    villages = known_villages(conn, user, village)
    result = recheck_list(
        conn,
        month=parse_month(month),
        villages=villages,
        towns=town_scope(user),
    )
    return [
        {
            "village": v.village,
            "name": v.name,
            "walk_m": round(v.walk_m),
            "stops": [s.__dict__ | {"walk_m": round(s.walk_m)} for s in v.stops],
        }
        for v in result
    ]


@router.post("/scores", status_code=201, response_model=Saved)
def enter_scores(body: list[ScoreIn], conn: ConnDep, user: Admin) -> dict[str, int]:
    """Enter (or correct) observation scores; all or nothing."""
    records = [ScoreRecord(s.month, s.village, s.group, s.score) for s in body]
    return {"saved": save_scores(conn, records, actor=user.label)}


def _sheet_limits(request: Request) -> UploadLimits:
    return UploadLimits.from_settings(request.app.state.settings, sheet=True)


@router.post("/scores/upload", status_code=201, response_model=Saved)
def upload_scores(
    request: Request,
    conn: ConnDep,
    user: Admin,
    file: Annotated[UploadFile, File(description="CSV or XLSX: month, village, group, score")],
) -> dict[str, int]:
    """Bulk upload of observation scores (sheet `observation_scores`); all or nothing."""
    rows = read_score_upload(conn, file, _sheet_limits(request))
    records = [ScoreRecord(r.month, r.village, r.group, r.score) for r in rows]
    return {"saved": save_scores(conn, records, actor=user.label)}


@router.post("/third-party/{year}", status_code=201, response_model=Saved)
def enter_third_party(
    year: YearPath, body: list[ThirdPartyIn], conn: ConnDep, user: Admin
) -> dict[str, int]:
    """Enter the city's evaluation of villages in `year`; all or nothing."""
    del user
    records = [ThirdPartyRecord(**t.model_dump()) for t in body]
    return {"saved": save_third_party(conn, year, records)}


@router.post("/third-party/{year}/upload", status_code=201, response_model=Saved)
def upload_third_party(
    request: Request,
    year: YearPath,
    conn: ConnDep,
    user: Admin,
    file: Annotated[
        UploadFile,
        File(description="CSV or XLSX: village, evaluated, problems_found, problems_unrectified"),
    ],
) -> dict[str, int]:
    """Bulk upload of third-party results (sheet `third_party`); all or nothing."""
    del user
    rows = read_third_party_upload(conn, file, _sheet_limits(request))
    records = [
        ThirdPartyRecord(r.village, r.evaluated, r.problems_found, r.problems_unrectified)
        for r in rows
    ]
    return {"saved": save_third_party(conn, year, records)}


class BatchIn(RequestModel):
    """市第三方测评 as points: a named batch; points join it via POST /issues (batch_id)."""

    name: str = Field(..., min_length=1, max_length=NAME_LEN, examples=["2024年市第三方测评"])
    evaluated_on: Day
    clean_villages: list[str] = Field(
        default_factory=list, description="villages evaluated with nothing found"
    )
    note: str | None = Field(None, max_length=NOTE_LEN)


@router.post("/third-party/{year}/batches", status_code=201, response_model=Created)
def enter_batch(year: YearPath, body: BatchIn, conn: ConnDep, user: Admin) -> dict[str, int]:
    """Create a third-party batch of `year`; its points are then recorded with its id."""
    del user
    return {"id": create_batch(conn, year=year, **body.model_dump())}


@router.get("/third-party/{year}/batches", response_model=list[BatchOut])
def get_batches(year: YearPath, conn: ConnDep, user: Reader) -> list[dict[str, Any]]:
    """The third-party batches of `year` (of the caller's towns) with their numbers of issues
    and villages."""
    return [asdict(b) for b in list_batches(conn, year, towns=town_scope(user))]


@router.post(
    "/third-party/{year}/batches/upload",
    status_code=201,
    response_model=BatchImported,
    dependencies=[GIVE_MEMORY_BACK],
)
def upload_batch(
    year: YearPath,
    request: Request,
    conn: ConnDep,
    user: Admin,
    file: Annotated[
        UploadFile,
        File(description="the evaluator's points: category, found_on, lon/lat, photos, …"),
    ],
    name: Annotated[str, Form(min_length=1, max_length=NAME_LEN)],
    evaluated_on: Annotated[Day, Form()],
    clean_villages: Annotated[str, Form(description="comma-separated village codes")] = "",
    coords: Annotated[str, Form(pattern="^(wgs84|gcj02)$")] = "wgs84",
) -> dict[str, Any]:
    """Create a batch and import the evaluator's file into it, all or nothing (the limits
    of `POST /import/issues` apply)."""
    limits = UploadLimits.from_settings(request.app.state.settings)
    with tempfile.TemporaryDirectory() as folder:
        path = unpack_upload(file, Path(folder), limits)
        batch_id, report = import_third_party(
            conn,
            path,
            year=year,
            name=name,
            evaluated_on=evaluated_on,
            clean_villages=split_values([clean_villages]),
            coords=coords,
            **import_options(request, user_town(request, conn, user)),
        )
    return {"batch_id": batch_id} | report_out(report)


@router.post("/honors", status_code=201, response_model=Created)
def enter_honor(body: HonorIn, conn: ConnDep, user: Admin) -> dict[str, int]:
    """Record an honor (counts +5 once per village and year)."""
    del user
    return {"id": add_honor(conn, **body.model_dump())}


@router.post("/honors/upload", status_code=201, response_model=Saved)
def upload_honors(
    request: Request,
    conn: ConnDep,
    user: Admin,
    file: Annotated[UploadFile, File(description="CSV or XLSX: village, date, kind")],
) -> dict[str, int]:
    """Bulk upload of honors (sheet `honors`); all or nothing."""
    del user
    rows = read_honor_upload(conn, file, _sheet_limits(request))
    for row in rows:
        add_honor(conn, village=row.village, awarded_on=row.date, kind=row.kind)
    return {"saved": len(rows)}


@router.get("/rankings/month/{month}", response_model=MonthReport)
def get_month_ranking(month: str, conn: ConnDep, town: TownDep) -> dict[str, Any]:
    """月度排名 of a town: scores (M1), ranks (M2), bottom ten (M3), interviews and
    penalties (M4)."""
    return month_ranking_dict(conn, month, rules=town.rules_for_month(month), town_id=town.id)


@router.get("/rankings/year/{year}", response_model=YearReport)
def get_year_ranking(year: YearPath, conn: ConnDep, town: TownDep) -> dict[str, Any]:
    """年度考核 of a town: totals with line items (Y1, T1/T2, M5, M4), ranks, rewards,
    deductions."""
    return year_ranking_dict(conn, year, rules=town.rules_for(year), town_id=town.id)


@router.get("/rankings/year/{year}/what-if", response_model=YearWhatIfOut | MonthWhatIfOut)
def get_what_if(
    year: YearPath,
    conn: ConnDep,
    town: TownDep,
    village: Annotated[str, Query(min_length=1, max_length=NAME_LEN, description="village code")],
    month: Annotated[
        str | None, Query(description="a month of the year, YYYY-MM: the score it needed")
    ] = None,
) -> dict[str, Any]:
    """What would it take (W1–W3): points lacked to enter the top 5 and leave the bottom 5.

    Also as third-party problems fewer (T1) and months out of the bottom ten (M4); with
    `month`, the monthly score that would have kept the village out of the bottom ten.
    The other villages are held as they are (docs/rules.md).
    """
    return what_if_dict(
        conn, year, village=village, month=month, rules=town.rules_for(year), town_id=town.id
    )


def _own_community(conn: ConnDep, village: str) -> str | None:
    return conn.execute(
        text(
            "SELECT c.code FROM village v JOIN community c ON c.id = v.community_id"
            " WHERE v.code = :v"
        ),
        {"v": village},
    ).scalar()


@router.get("/indicators", response_model=list[VillageIndicatorsOut])
def get_indicators(
    conn: ConnDep,
    user: Reader,
    start: Day | None = None,
    end: Day | None = None,
    as_of: Day | None = None,
) -> list[dict[str, Any]]:
    """Per-village issue indicators for issues found in [start, end), counted in PostGIS.

    A village user gets its own village's line only.
    """
    own = village_scope(user, ())
    rows = unit_indicator_rows(
        conn, "village", start=start, end=end, as_of=as_of, towns=town_scope(user)
    )
    return [
        r | {"village": r["code"], "community": r["parent"]}
        for r in rows
        if not own or r["code"] in own
    ]


@router.get("/indicators/grids", response_model=list[GridIndicatorsOut])
def get_grid_indicators(
    conn: ConnDep,
    user: Reader,
    village: Annotated[list[str] | None, Query(description="village code(s)")] = None,
    start: Day | None = None,
    end: Day | None = None,
    as_of: Day | None = None,
) -> list[dict[str, Any]]:
    """Per-grid (网格, 一网三联) issue indicators for issues found in [start, end).

    `village` limits the grids to those villages'; a village user gets its own grids only.
    """
    villages = known_villages(conn, user, village)
    rows = unit_indicator_rows(
        conn, "grid", start=start, end=end, as_of=as_of, towns=town_scope(user)
    )
    return [
        r | {"grid": r["code"], "village": r["parent"], "village_name": r["parent_name"]}
        for r in rows
        if not villages or r["parent"] in villages
    ]


@router.get("/indicators/communities", response_model=list[CommunityIndicatorsOut])
def get_community_indicators(
    conn: ConnDep,
    user: Reader,
    start: Day | None = None,
    end: Day | None = None,
    as_of: Day | None = None,
) -> list[dict[str, Any]]:
    """Per-党建共同体 issue indicators (its villages' issues) for issues found in [start, end).

    A village user gets its own community's line only.
    """
    own = village_scope(user, ())
    community = _own_community(conn, own[0]) if own else None
    rows = unit_indicator_rows(
        conn, "community", start=start, end=end, as_of=as_of, towns=town_scope(user)
    )
    return [r | {"community": r["code"]} for r in rows if not own or r["code"] == community]
