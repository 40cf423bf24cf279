"""约谈记录 over HTTP: a month's interviews (due, held, late), record one held, its scan."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import Connection, text

from geo.errors import CunrongError, NotFound
from geo.interviews import (
    Interview,
    deadline_of,
    record_held,
    scan_kind,
    scan_of,
    store_scan,
)
from geo.issue_filter import parse_month
from geo.towns import in_scope, town_of_village
from geo.users import User
from geo.vocab import NOTE_LEN, PERSON_LEN
from service.auth import OfficeOrLeader, Reader, town_scope
from service.deps import ConnDep
from service.filters import split_values, village_scope
from service.interviews import due_interviews, interview_out, interviews_before, month_summary
from service.memory import GIVE_MEMORY_BACK
from service.schemas import Day, RequestModel
from service.towns import TownContext, TownDep, user_town
from service.uploads import read_upload
from service.web import INTERVIEW_ROLES, PageLang, page_user, render

router = APIRouter(tags=["interviews 约谈"])
_MONTH = re.compile(r"^\d{4}-\d{2}$")

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


def _store_scan(request: Request, conn: Connection, month: str, village: str, data: bytes) -> None:
    """Keep the signed record's scan of a village's interview, within the photo limits."""
    settings = request.app.state.settings
    store_scan(
        conn,
        root=request.app.state.photo_root,
        month=month,
        village=village,
        data=data,
        max_bytes=int(settings.max_photo_mib * 2**20),
        max_pixels=settings.max_image_pixels,
    )


def _village_interview(
    request: Request,
    conn: Connection,
    town: TownContext,
    month: str,
    village: str,
    today: date | None = None,
) -> Interview:
    """The interview `village` owes for `month` (NotFound when it owes none), judged late
    on `today`, by the town's rules of that month's year."""
    items = due_interviews(
        conn,
        month,
        rules=town.rules_for_month(month),
        late_days=request.app.state.settings.interview_late_days,
        today=today,
        villages=(village,),
        town_id=town.id,
    )
    return _find(items, village, month)


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
    today = date.today()
    town = user_town(request, conn, user)
    due = _village_interview(request, conn, town, month, village, today)
    record_held(
        conn,
        due=due,
        held_on=body.held_on,
        held_by=body.held_by,
        note=body.note,
        recorded_by=user.label,
        today=today,
    )
    return interview_out(_village_interview(request, conn, town, month, village, today))


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
    _store_scan(request, conn, month, village, data)
    return interview_out(_village_interview(request, conn, town, month, village))


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


# --- the page: the office and leaders record interviews held ------------------------------

pages = APIRouter(tags=["pages 页面"], include_in_schema=False)
InterviewPageUser = Annotated[User, Depends(page_user(*INTERVIEW_ROLES))]

_FIELD_LABELS = {
    "held_on": ("约谈日期", "Held on"),
    "held_by": ("约谈人", "Held by"),
    "note": ("记录", "Note"),
    "scan": ("扫描件", "Scan"),
}


def _interviews_page(
    request: Request,
    conn: Connection,
    lang: str,
    user: User,
    month: str | None,
    *,
    saved: str | None = None,
    error: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    town = user_town(request, conn, user)
    if month:
        parse_month(month)
    else:
        latest = conn.execute(
            text(
                "SELECT max(s.month) FROM observation_score s JOIN village v"
                " ON v.id = s.village_id WHERE v.town_id = :t"
            ),
            {"t": town.id},
        ).scalar()
        month = f"{latest:%Y-%m}" if latest else f"{date.today():%Y-%m}"
    late_days = request.app.state.settings.interview_late_days
    kwargs: dict[str, Any] = {
        "rules": town.rules_for_month(month),
        "late_days": late_days,
        "today": date.today(),
        "town_id": town.id,
    }
    items = due_interviews(conn, month, **kwargs)
    earlier = interviews_before(conn, month, **kwargs)
    return render(
        request,
        "interviews.html",
        lang,
        status_code=status_code,
        month=month,
        items=items,
        earlier=earlier,
        counts={s: sum(i.status == s for i in items) for s in ("due", "held", "late")},
        deadline=deadline_of(month, late_days),
        saved=saved,
        error=error or {},
        today=date.today(),
    )


@pages.get("/pages/interviews", response_class=HTMLResponse)
def interviews_page(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: InterviewPageUser,
    month: Annotated[str | None, Query(max_length=20)] = None,
    saved: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """约谈记录: the month's interviews (and earlier ones still not held), each with a form
    to record it held — the day, by whom, a note and the scan of the signed record."""
    return _interviews_page(request, conn, lang, user, month, saved=saved)


@pages.post(
    "/pages/interviews/{month}/{village}",
    response_class=HTMLResponse,
    response_model=None,
    dependencies=[GIVE_MEMORY_BACK],
)
def interview_held_submit(
    month: str,
    village: str,
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: InterviewPageUser,
    held_on: Annotated[str, Form(max_length=20)] = "",
    held_by: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    back: Annotated[str, Form(max_length=20)] = "",
    scan: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse | RedirectResponse:
    """Record an interview held from the page; a bad field re-shows the page with what was
    typed and what to fix (422), and nothing is saved."""
    parse_month(month)
    settings = request.app.state.settings
    town = user_town(request, conn, user)
    today = date.today()
    typed = {"village": village, "month": month, "held_on": held_on, "held_by": held_by}
    typed["note"] = note

    def refuse(field: str, zh: str, en: str) -> HTMLResponse:
        label = _FIELD_LABELS.get(field, (field, field))
        message = f"{label[0]}：{zh}" if lang == "zh" else f"{label[1]}: {en}"
        return _interviews_page(
            request,
            conn,
            lang,
            user,
            back if back and _MONTH.match(back) else month,
            error={**typed, "field": field, "message": message},
            status_code=422,
        )

    try:
        day = date.fromisoformat(held_on.strip())
    except ValueError:
        return refuse(
            "held_on", "请填写约谈日期（年-月-日）", "enter the day it was held (YYYY-MM-DD)"
        )
    first = parse_month(month)
    if day < first:
        return refuse(
            "held_on",
            f"应不早于排名月份的第一天 {first:%Y-%m-%d}",
            f"expected a day on or after {first:%Y-%m-%d} (the ranking month)",
        )
    if day > today:
        return refuse("held_on", "不能晚于今天", "is in the future")
    if not held_by.strip():
        return refuse("held_by", "请填写谁主持了约谈", "name who held the interview")
    if len(held_by.strip()) > PERSON_LEN:
        return refuse("held_by", f"最多 {PERSON_LEN} 个字", f"at most {PERSON_LEN} characters")
    if len(note) > NOTE_LEN:
        return refuse("note", f"最多 {NOTE_LEN} 个字", f"at most {NOTE_LEN} characters")
    data = b""
    if scan is not None and scan.filename:
        data = read_upload(scan, max_mib=settings.max_photo_mib, setting="CUNRONG_MAX_PHOTO_MIB")
        try:
            scan_kind(
                data,
                max_bytes=int(settings.max_photo_mib * 2**20),
                max_pixels=settings.max_image_pixels,
            )
        except CunrongError as exc:
            return refuse("scan", f"应为 PDF、JPEG、PNG 或 WebP（{exc}）", str(exc))
    due = _village_interview(request, conn, town, month, village, today)
    with conn.begin_nested():
        record_held(
            conn,
            due=due,
            held_on=day,
            held_by=held_by,
            note=note.strip() or None,
            recorded_by=user.label,
            today=today,
        )
        if data:
            _store_scan(request, conn, month, village, data)
    query = urlencode({"month": back if back and _MONTH.match(back) else month, "saved": village})
    return RedirectResponse(f"/pages/interviews?{query}", status_code=303)
