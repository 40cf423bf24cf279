"""The town office's monthly work (整治办), pages under /pages/office/ (admin only).

One month's work, in order: open the round → enter the observation scores (a grid, or an
XLSX/CSV upload previewed cell by cell before anything is saved) → third-party results
and honors → publish the month's ranking. And the users: add, reset a password, revoke,
move a village user. Every form posts with the CSRF token and answers with a redirect
(post/redirect/get) or the same page naming what to fix; nothing is half-saved.
"""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Connection, text

from geo.accounts import end_user_sessions, reactivate_user, set_password, set_village
from geo.assessment import (
    ScoreRecord,
    ThirdPartyRecord,
    add_honor,
    create_round,
    publication_of,
    publish_ranking,
    save_scores,
    save_third_party,
)
from geo.errors import InvalidInput, NotFound
from geo.issue_filter import parse_month
from geo.models import HONOR_KINDS, USER_ROLES
from geo.towns import in_session_town
from geo.users import User, create_user, deactivate_user, list_users
from service.deps import ConnDep, FormDep
from service.rankings import month_ranking
from service.towns import user_town
from service.uploads import UploadLimits, preview_score_upload
from service.web import ROLE_LABELS, PageLang, page_user, render

router = APIRouter(prefix="/pages/office", tags=["pages 页面"], include_in_schema=False)
Office = Annotated[User, Depends(page_user("admin"))]
MonthQ = Annotated[str | None, Query(max_length=20)]

DEFAULT_GROUPS = ("第一组", "第二组", "第三组")
HONOR_LABELS = {
    "model_village": ("形成典型", "model village"),
    "county_site_visit": ("承担县现场观摩点评", "county site visit"),
}


def _month_or_default(conn: Connection, month: str | None) -> str:
    """The month asked for when it is one, else the latest round's, else this month."""
    if month:
        try:
            parse_month(month)
            return month
        except InvalidInput:
            pass
    latest = conn.execute(
        text(f"SELECT max(month) FROM inspection_round r WHERE {in_session_town('r')}")
    ).scalar()
    return f"{latest:%Y-%m}" if latest else f"{date.today():%Y-%m}"


_OWN_SCORE = (
    "s.village_id IN (SELECT v.id FROM village v WHERE "
    + in_session_town("v").replace("{", "{{").replace("}", "}}")
    + ")"
)
"""A score `s` of a village of the office's own town."""


def _own_user(conn: Connection, office: User, name: str) -> None:
    """404 unless the user `name` belongs to one of the office's towns."""
    town_id = conn.execute(
        text("SELECT town_id FROM app_user WHERE name = :n"), {"n": name}
    ).first()
    if town_id is None or town_id[0] not in office.towns:
        raise NotFound(f"no user named {name!r}", field="name")


def _villages(conn: Connection) -> list[Any]:
    return list(
        conn.execute(
            text(
                "SELECT v.code, v.name, c.name AS community FROM village v"
                " LEFT JOIN community c ON c.id = v.community_id"
                f" WHERE {in_session_town('v')} ORDER BY v.code"
            )
        )
    )


def _back(path: str, **params: Any) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


# --- the month at a glance ---------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def office_home(
    request: Request, conn: ConnDep, lang: PageLang, user: Office, month: MonthQ = None
) -> HTMLResponse:
    """月度工作: where this month's work stands, with a link to each step."""
    del user
    month = _month_or_default(conn, month)
    first = parse_month(month)
    status = (
        conn.execute(
            text(
                f"WITH v AS (SELECT id FROM village v WHERE {in_session_town('v')})"
                " SELECT (SELECT count(*) FROM v) AS villages,"
                " (SELECT count(*) FROM inspection_round r WHERE month = :m"
                f"   AND {in_session_town('r')}) AS rounds,"
                " (SELECT count(DISTINCT rv.village_id) FROM round_village rv"
                "   JOIN inspection_round r ON r.id = rv.round_id WHERE r.month = :m"
                "   AND rv.village_id IN (SELECT id FROM v)) AS round_villages,"
                " (SELECT count(DISTINCT village_id) FROM observation_score WHERE month = :m"
                "   AND village_id IN (SELECT id FROM v)) AS scored,"
                " (SELECT count(DISTINCT group_name) FROM observation_score WHERE month = :m"
                "   AND village_id IN (SELECT id FROM v)) AS groups,"
                " (SELECT count(*) FROM third_party_evaluation WHERE year = :y"
                "   AND village_id IN (SELECT id FROM v)) AS third_party,"
                " (SELECT count(*) FROM honor WHERE EXTRACT(YEAR FROM awarded_on) = :y"
                "   AND village_id IN (SELECT id FROM v)) AS honors"
            ),
            {"m": first, "y": first.year},
        )
        .mappings()
        .one()
    )
    return render(
        request,
        "office/home.html",
        lang,
        month=month,
        year=first.year,
        status=status,
        publication=publication_of(conn, month),
    )


# --- rounds --------------------------------------------------------------------------------


@router.get("/rounds", response_class=HTMLResponse)
def rounds_page(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: Office,
    month: MonthQ = None,
    opened: int | None = None,
) -> HTMLResponse:
    """开启月度检查: the rounds so far and the form to open one."""
    del user
    rounds = list(
        conn.execute(
            text(
                "SELECT r.id, to_char(r.month, 'YYYY-MM') AS month, r.team, r.started_on,"
                " r.ended_on, r.note, count(rv.village_id) AS villages FROM inspection_round r"
                " LEFT JOIN round_village rv ON rv.round_id = r.id"
                f" WHERE {in_session_town('r')} GROUP BY r.id"
                " ORDER BY r.month DESC, r.id DESC LIMIT 24"
            )
        )
    )
    today = date.today()
    return render(
        request,
        "office/rounds.html",
        lang,
        rounds=rounds,
        villages=_villages(conn),
        month=_month_or_default(conn, month) if month else f"{today:%Y-%m}",
        opened=opened,
    )


@router.post("/rounds")
def open_round_form(
    conn: ConnDep,
    user: Office,
    month: Annotated[str, Form(max_length=20)],
    team: Annotated[str, Form(max_length=100)] = "整治办",
    started_on: Annotated[str, Form(max_length=20)] = "",
    ended_on: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    villages: Annotated[list[str] | None, Form()] = None,
) -> RedirectResponse:
    """Open the round (default: every village)."""
    del user
    round_id = create_round(
        conn,
        month=month,
        team=team.strip() or "整治办",
        started_on=_day(started_on, "started_on"),
        ended_on=_day(ended_on, "ended_on"),
        villages=[v for v in villages or [] if v],
        note=note.strip() or None,
    )
    return _back("/pages/office/rounds", month=month, opened=round_id)


def _day(value: str, field: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"expected a date YYYY-MM-DD, got {value!r}", field=field) from None


# --- observation scores --------------------------------------------------------------------


def _groups_of(conn: Connection, first: date) -> list[str]:
    """The scoring groups of the month, else of the latest month scored before it, else
    defaults; in the order they were first entered (第一组, 第二组, … not by code point)."""
    for sql in (
        "SELECT group_name FROM observation_score s WHERE month = :m AND {own}"
        " GROUP BY group_name ORDER BY min(id)",
        "SELECT group_name FROM observation_score s WHERE month ="
        " (SELECT max(month) FROM observation_score s WHERE month < :m AND {own}) AND {own}"
        " GROUP BY group_name ORDER BY min(id)",
    ):
        sql = sql.format(own=_OWN_SCORE)
        groups = list(conn.execute(text(sql), {"m": first}).scalars())
        if groups:
            return groups
    return list(DEFAULT_GROUPS)


def _score_grid(conn: Connection, first: date) -> dict[tuple[str, str], float]:
    return {
        (r.code, r.group_name): float(r.score)
        for r in conn.execute(
            text(
                "SELECT v.code, s.group_name, s.score FROM observation_score s"
                " JOIN village v ON v.id = s.village_id WHERE s.month = :m"
                f" AND {in_session_town('v')}"
            ),
            {"m": first},
        )
    }


def _fmt(score: float | None) -> str:
    if score is None:
        return ""
    return f"{score:g}"


@router.get("/scores", response_class=HTMLResponse)
def scores_page(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: Office,
    month: MonthQ = None,
    groups: Annotated[str | None, Query(max_length=500)] = None,
    saved: int | None = None,
) -> HTMLResponse:
    """观摩打分: the grid of villages × scoring groups of a month."""
    del user
    month = _month_or_default(conn, month)
    first = parse_month(month)
    names = [g.strip() for g in (groups or "").split(",") if g.strip()] or _groups_of(conn, first)
    stored = _score_grid(conn, first)
    values: dict[str, str] = {}
    for (code, group), score in stored.items():
        if group in names:
            values[f"{code}|{names.index(group)}"] = _fmt(score)
    return render(
        request,
        "office/scores.html",
        lang,
        month=month,
        groups=names,
        villages=_villages(conn),
        values=values,
        errors={},
        saved=saved,
    )


@router.post("/scores", response_class=HTMLResponse, response_model=None)
def scores_submit(
    request: Request, conn: ConnDep, form: FormDep, lang: PageLang, user: Office
) -> HTMLResponse | RedirectResponse:
    """Save the grid: every cell is checked first; a bad one is named and nothing is saved."""
    month = str(form.get("month") or "")
    parse_month(month)
    groups = [str(form.get(f"group_{i}") or "").strip() for i in range(_count(form, "group_"))]
    villages = _villages(conn)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    records: list[ScoreRecord] = []
    for i, group in enumerate(groups):
        for v in villages:
            key = f"{v.code}|{i}"
            raw = str(form.get(f"s|{key}") or "").strip()
            values[key] = raw
            if not raw:
                continue
            if not group:
                errors[key] = _t(lang, "打分组名称为空", "the scoring group has no name")
                continue
            try:
                score = float(raw.replace("，", ".").replace(",", "."))
            except ValueError:
                score = math.nan
            if not math.isfinite(score) or not 0 <= score <= 100:
                errors[key] = _t(
                    lang, f"应为 0–100 的分数，而不是 {raw!r}", f"expected 0–100, got {raw!r}"
                )
                continue
            records.append(ScoreRecord(month, v.code, group, score))
    if len(set(groups)) < len([g for g in groups if g]):
        errors["groups"] = _t(lang, "打分组名称重复", "two scoring groups have the same name")
    if errors:
        return render(
            request,
            "office/scores.html",
            lang,
            status_code=422,
            month=month,
            groups=groups,
            villages=villages,
            values=values,
            errors=errors,
            saved=None,
        )
    saved = save_scores(conn, records, actor=user.label)
    return _back("/pages/office/scores", month=month, groups=",".join(groups), saved=saved)


def _count(form: Any, prefix: str) -> int:
    n = 0
    while form.get(f"{prefix}{n}") is not None and n < 50:
        n += 1
    return n


def _t(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


@router.post("/scores/upload", response_class=HTMLResponse)
def scores_upload_preview(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: Office,
    file: Annotated[UploadFile, File(description="XLSX (sheet observation_scores) or CSV")],
) -> HTMLResponse:
    """Preview an uploaded sheet: every row, bad cells marked; nothing is saved yet."""
    del user
    limits = UploadLimits.from_settings(request.app.state.settings, sheet=True)
    preview = preview_score_upload(conn, file, limits)
    payload = json.dumps(
        [[s.month, s.village, s.group, s.score] for _, s in preview.rows], ensure_ascii=False
    )
    return render(
        request,
        "office/scores_preview.html",
        lang,
        status_code=422 if preview.problems else 200,
        filename=file.filename,
        preview=preview,
        columns=("month", "village", "group", "score"),
        payload=payload,
    )


@router.post("/scores/confirm")
def scores_upload_confirm(
    conn: ConnDep,
    user: Office,
    rows: Annotated[str, Form(max_length=2_000_000)],
) -> RedirectResponse:
    """Save a previewed sheet (checked again: all or nothing)."""
    try:
        parsed = json.loads(rows)
        records = [ScoreRecord(str(m), str(v), str(g), float(s)) for m, v, g, s in parsed]
    except (ValueError, TypeError) as exc:
        raise InvalidInput(f"the previewed rows are unreadable: {exc}", field="rows") from None
    if not records:
        raise InvalidInput("the sheet has no score to save", field="rows")
    saved = save_scores(conn, records, actor=user.label)
    return _back("/pages/office/scores", month=records[0].month, saved=saved)


# --- third-party results and honors --------------------------------------------------------


@router.get("/third-party", response_class=HTMLResponse)
def third_party_page(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: Office,
    year: Annotated[int | None, Query()] = None,
    saved: int | None = None,
) -> HTMLResponse:
    """市第三方测评 and honors of a year."""
    del user
    year = year if year and 2000 <= year <= 2100 else date.today().year
    stored = {
        r.code: r
        for r in conn.execute(
            text(
                "SELECT v.code, t.evaluated, t.problems_found, t.problems_unrectified"
                " FROM third_party_evaluation t JOIN village v ON v.id = t.village_id"
                f" WHERE t.year = :y AND {in_session_town('v')}"
            ),
            {"y": year},
        )
    }
    honors = list(
        conn.execute(
            text(
                "SELECT h.id, v.code, v.name, h.awarded_on, h.kind, h.note FROM honor h"
                " JOIN village v ON v.id = h.village_id"
                " WHERE EXTRACT(YEAR FROM h.awarded_on) = :y"
                f" AND {in_session_town('v')} ORDER BY h.awarded_on, v.code"
            ),
            {"y": year},
        )
    )
    return render(
        request,
        "office/third_party.html",
        lang,
        year=year,
        villages=_villages(conn),
        stored=stored,
        honors=honors,
        honor_kinds=[(k, _t(lang, *HONOR_LABELS.get(k, (k, k)))) for k in HONOR_KINDS],
        honor_label=lambda k: _t(lang, *HONOR_LABELS.get(k, (k, k))),
        saved=saved,
        today=date.today(),
    )


@router.post("/third-party")
def third_party_submit(conn: ConnDep, form: FormDep, user: Office) -> RedirectResponse:
    """Save the year's evaluation grid (villages ticked as evaluated, or with counts)."""
    del user
    try:
        year = int(str(form.get("year") or ""))
    except ValueError:
        raise InvalidInput("expected a year like 2024", field="year") from None
    records = []
    for v in _villages(conn):
        evaluated = form.get(f"e|{v.code}") == "on"
        found = _count_field(form, f"f|{v.code}", v.code)
        unrectified = _count_field(form, f"u|{v.code}", v.code)
        if evaluated or found or unrectified:
            records.append(ThirdPartyRecord(v.code, evaluated, found, unrectified))
    saved = save_third_party(conn, year, records)
    return _back("/pages/office/third-party", year=year, saved=saved)


def _count_field(form: Any, key: str, village: str) -> int:
    raw = str(form.get(key) or "").strip()
    if not raw:
        return 0
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(
            f"village {village}: expected a whole number ≥ 0, got {raw!r}", field=key
        ) from None
    if value < 0:
        raise InvalidInput(f"village {village}: expected a count ≥ 0, got {value}", field=key)
    return value


@router.post("/honors")
def honor_submit(
    conn: ConnDep,
    user: Office,
    village: Annotated[str, Form(max_length=20)],
    awarded_on: Annotated[str, Form(max_length=20)],
    kind: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Record an honor (+5 once per village and year)."""
    del user
    day = _day(awarded_on, "awarded_on")
    if day is None:
        raise InvalidInput("the date of the honor is missing", field="awarded_on")
    add_honor(conn, village=village, awarded_on=day, kind=kind, note=note.strip() or None)
    return _back("/pages/office/third-party", year=day.year, saved=1)


# --- publishing the month's ranking --------------------------------------------------------


@router.get("/publish", response_class=HTMLResponse)
def publish_page(
    request: Request, conn: ConnDep, lang: PageLang, user: Office, month: MonthQ = None
) -> HTMLResponse:
    """发布排名: the month's ranking as it stands, and the button to publish it."""
    here = user_town(request, conn, user)
    month = _month_or_default(conn, month)
    try:
        ranking = list(
            month_ranking(conn, month, rules=here.rules_for_month(month), town_id=here.id).ranking
        )
    except NotFound:
        ranking = []
    return render(
        request,
        "office/publish.html",
        lang,
        month=month,
        ranking=ranking,
        publication=publication_of(conn, month),
    )


@router.post("/publish")
def publish_submit(
    conn: ConnDep,
    user: Office,
    month: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    """Publish the month's ranking."""
    publish_ranking(conn, month, actor=user.name, note=note.strip() or None)
    return _back("/pages/office/publish", month=month)


# --- users ---------------------------------------------------------------------------------


@router.get("/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: Office,
    done: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """用户管理: everyone of the town, and forms to add, reset, revoke and move village
    users."""
    return render(
        request,
        "office/users.html",
        lang,
        users=list_users(conn, towns=user.towns),
        villages=_villages(conn),
        roles=[(r, _t(lang, *ROLE_LABELS[r])) for r in USER_ROLES],
        done=done,
        user_path=user_path,
    )


@router.post("/users")
def user_add(
    conn: ConnDep,
    user: Office,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[str, Form(max_length=16)],
    password: Annotated[str, Form(max_length=200)],
    village: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    """Add a user who signs in with the given password."""
    del user
    created, _token = create_user(
        conn,
        name=name,
        role=role,
        village_code=(village or None) if role == "village" else None,
        password=password,
    )
    return _back("/pages/office/users", done=f"added:{created.name}")


@router.post("/users/{name}/password")
def user_reset_password(
    name: str,
    conn: ConnDep,
    user: Office,
    password: Annotated[str, Form(max_length=200)],
) -> RedirectResponse:
    """Reset a user's password (their sessions end)."""
    _own_user(conn, user, name)
    set_password(conn, name, password)
    return _back("/pages/office/users", done=f"password:{name}")


@router.post("/users/{name}/revoke")
def user_revoke(name: str, conn: ConnDep, user: Office) -> RedirectResponse:
    """Revoke a user: token and sessions end."""
    if name == user.name:
        raise InvalidInput("you cannot revoke yourself", field="name")
    _own_user(conn, user, name)
    deactivate_user(conn, name)
    end_user_sessions(conn, name)
    return _back("/pages/office/users", done=f"revoked:{name}")


@router.post("/users/{name}/activate")
def user_activate(name: str, conn: ConnDep, user: Office) -> RedirectResponse:
    """Let a revoked user sign in again."""
    _own_user(conn, user, name)
    reactivate_user(conn, name)
    return _back("/pages/office/users", done=f"activated:{name}")


@router.post("/users/{name}/village")
def user_set_village(
    name: str,
    conn: ConnDep,
    user: Office,
    village: Annotated[str, Form(max_length=20)],
) -> RedirectResponse:
    """Move a village user to another village."""
    _own_user(conn, user, name)
    set_village(conn, name, village)
    return _back("/pages/office/users", done=f"village:{name}")


def user_path(name: str, action: str) -> str:
    """The form action of one user's button."""
    return f"/pages/office/users/{quote(name, safe='')}/{action}"
