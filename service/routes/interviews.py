"""约谈记录 over HTTP: a month's interviews (due, held, late), record one held, its scan."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from geo.errors import NotFound
from geo.interviews import Interview, record_held, scan_of, store_scan
from geo.issue_filter import parse_month
from geo.towns import in_scope, town_of_village
from geo.vocab import NOTE_LEN, PERSON_LEN
from service.auth import OfficeOrLeader, Reader, town_scope
from service.deps import ConnDep
from service.filters import split_values, village_scope
from service.interviews import due_interviews, interview_out, month_summary
from service.memory import GIVE_MEMORY_BACK
from service.schemas import Day, RequestModel
from service.towns import TownDep, user_town
from service.uploads import read_upload

router = APIRouter(tags=["interviews 约谈"])

MonthQuery = Annotated[str, Query(description="the ranking month, YYYY-MM", examples=["2024-05"])]


class InterviewOut(BaseModel):
    """One interview of a month: who interviews whom, and whether (and when) it was held."""

    month: str
    village: str
    village_name: str
    community: str | None
    community_name: str | None
    level: str = Field(description="bottom: one month in the bottom ten; streak: two running")
    interviewer: str = Field(description="分管领导 or 镇主要领导")
    interviewer_en: str
    interviewees: str
    secretary: str | None = Field(description="村支部书记")
    deputy_secretary: str | None = Field(description="共同体副书记 (two months running)")
    rank: int | None
    score: float | None
    due: bool = Field(description="whether the month's ranking calls for it (now)")
    deadline: date = Field(description="held after this day: late")
    status: str = Field(description="due | late | held")
    held_on: date | None
    held_by: str | None
    note: str | None
    on_time: bool | None
    scan_url: str | None
    recorded_by: str | None


class MonthInterviews(BaseModel):
    """The interviews of a month, with the counts the dashboard shows."""

    month: str
    late_days: int
    deadline: date
    due: int
    held: int
    late: int
    interviews: list[InterviewOut]


class InterviewHeld(RequestModel):
    """That an interview took place: when, held by whom, what was said."""

    held_on: Day
    held_by: str = Field(..., min_length=1, max_length=PERSON_LEN, examples=["王镇长"])
    note: str | None = Field(None, max_length=NOTE_LEN)


@router.get("/interviews", response_model=MonthInterviews)
def list_interviews(
    request: Request,
    conn: ConnDep,
    user: Reader,
    town: TownDep,
    month: MonthQuery,
    village: Annotated[list[str] | None, Query(description="village code(s)")] = None,
    as_of: Annotated[
        Day | None, Query(description="judge 'late' on this day (default today)")
    ] = None,
) -> dict[str, Any]:
    """约谈: the month's bottom ten calls for interviews (M4); each is due, late or held.

    A village user sees its own village's only.
    """
    parse_month(month)
    villages = village_scope(user, split_values(village))
    late_days = request.app.state.settings.interview_late_days
    items = due_interviews(
        conn,
        month,
        rules=town.rules_for_month(month),
        late_days=late_days,
        today=as_of or date.today(),
        villages=villages,
        town_id=town.id,
    )
    return month_summary(month, items, late_days=late_days)


def _find(items: list[Interview], village: str, month: str) -> Interview:
    for item in items:
        if item.village == village:
            return item
    raise NotFound(
        f"village {village} is not in the bottom ten of {month}: no interview is due",
        field="village",
    )


@router.post("/interviews/{month}/{village}", status_code=201, response_model=InterviewOut)
def record_interview(
    month: str,
    village: str,
    body: InterviewHeld,
    request: Request,
    conn: ConnDep,
    user: OfficeOrLeader,
) -> dict[str, Any]:
    """Record (or correct) that the interview of `village` for `month` took place."""
    parse_month(month)
    settings = request.app.state.settings
    today = date.today()
    town = user_town(request, conn, user)
    kwargs: dict[str, Any] = {
        "rules": town.rules_for_month(month),
        "late_days": settings.interview_late_days,
        "today": today,
        "villages": (village,),
        "town_id": town.id,
    }
    due = _find(due_interviews(conn, month, **kwargs), village, month)
    record_held(
        conn,
        due=due,
        held_on=body.held_on,
        held_by=body.held_by,
        note=body.note,
        recorded_by=user.label,
        today=today,
    )
    return interview_out(_find(due_interviews(conn, month, **kwargs), village, month))


@router.post(
    "/interviews/{month}/{village}/scan",
    status_code=201,
    response_model=InterviewOut,
    dependencies=[GIVE_MEMORY_BACK],
)
def upload_interview_scan(
    month: str,
    village: str,
    request: Request,
    conn: ConnDep,
    user: OfficeOrLeader,
    file: Annotated[
        UploadFile,
        File(description="PDF, JPEG, PNG or WebP of the signed record (the photos' size limit)"),
    ],
) -> dict[str, Any]:
    """Attach the scan of the signed interview record (约谈记录扫描件) to an interview held.

    Within the photos' limits (CUNRONG_MAX_PHOTO_MIB, CUNRONG_MAX_IMAGE_PIXELS).
    """
    town = user_town(request, conn, user)
    parse_month(month)
    if town_of_village(conn, village) != town.id:
        raise NotFound(f"no village {village!r} in {town.town.label}", field="village")
    settings = request.app.state.settings
    data = read_upload(file, max_mib=settings.max_photo_mib, setting="CUNRONG_MAX_PHOTO_MIB")
    store_scan(
        conn,
        root=request.app.state.photo_root,
        month=month,
        village=village,
        data=data,
        max_bytes=int(settings.max_photo_mib * 2**20),
        max_pixels=settings.max_image_pixels,
    )
    items = due_interviews(
        conn,
        month,
        rules=town.rules_for_month(month),
        late_days=request.app.state.settings.interview_late_days,
        villages=(village,),
        town_id=town.id,
    )
    return interview_out(_find(items, village, month))


@router.get("/interviews/{month}/{village}/scan", response_class=FileResponse)
def get_interview_scan(
    month: str, village: str, request: Request, conn: ConnDep, user: Reader
) -> FileResponse:
    """The scan of an interview's signed record."""
    village_scope(user, (village,))
    if not in_scope(town_scope(user), town_of_village(conn, village)):
        raise NotFound(f"no scan of the interview of {village} in {month}", field="village")
    found = scan_of(conn, month=month, village=village)
    if found is None:
        raise NotFound(f"no scan of the interview of {village} in {month}", field="village")
    path, mime = found
    return FileResponse(request.app.state.photo_root / path, media_type=mime)
