"""HTML pages (Jinja2, Chinese first): the dashboard and the printable site-visit sheet."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Connection, text

from geo import issue_reader
from geo.assessment import publication_of
from geo.errors import Forbidden, NotFound
from geo.interviews import deadline_of
from geo.issue_filter import IssueFilter, parse_month
from geo.recheck import recheck_list
from geo.towns import SCOPE_SQL, scope_params
from geo.vocab import status_label
from scoring.inputs import next_month
from service.auth import town_scope
from service.deps import ConnDep
from service.filters import village_scope
from service.interviews import due_interviews, interviews_before
from service.rankings import month_ranking
from service.scoring_data import unit_indicator_rows
from service.towns import TownQuery, town_for
from service.web import PageLang, PageReader, page_context, render, templates

router = APIRouter(tags=["pages 页面"], include_in_schema=False)
__all__ = ["Lang", "_context", "router", "templates"]

Lang = Annotated[str, Query(pattern="^(zh|en)$", description="zh | en")]


def _context(request: Request, lang: str, **values: Any) -> dict[str, Any]:
    """The shared page context (service.web.page_context) plus `status_label`."""
    return page_context(
        request, lang, **({"status_label": lambda s: status_label(s, lang)} | values)
    )


def _latest_round_month(conn: Connection, town_id: int) -> str | None:
    latest = conn.execute(
        text("SELECT max(month) FROM inspection_round WHERE town_id = :t"), {"t": town_id}
    ).scalar()
    return f"{latest:%Y-%m}" if latest else None


def _latest_scored_month(conn: Connection, town_id: int) -> str | None:
    latest = conn.execute(
        text(
            "SELECT max(s.month) FROM observation_score s JOIN village v ON v.id = s.village_id"
            " WHERE v.town_id = :t"
        ),
        {"t": town_id},
    ).scalar()
    return f"{latest:%Y-%m}" if latest else None


def _next_month(month: str) -> str:
    return next_month(f"{parse_month(month):%Y-%m}")


def _communities(conn: Connection, town_id: int, villages: Sequence[str] = ()) -> list[Any]:
    """The town's communities with their number of villages; with `villages` (a village
    user's own), only the communities those villages belong to (the only ones they open)."""
    return list(
        conn.execute(
            text(
                "SELECT c.code, c.name, count(v.id) AS villages FROM community c"
                " LEFT JOIN village v ON v.community_id = c.id WHERE c.town_id = :t"
                " GROUP BY c.id HAVING cardinality(CAST(:v AS text[])) = 0"
                " OR bool_or(v.code = ANY(:v)) ORDER BY c.code"
            ),
            {"t": town_id, "v": list(villages)},
        ).mappings()
    )


@router.get("/", response_class=HTMLResponse, response_model=None)
def dashboard(
    request: Request,
    conn: ConnDep,
    user: PageReader,
    lang: PageLang,
    month: str | None = None,
    town: TownQuery = None,
) -> HTMLResponse | RedirectResponse:
    """总览 of a town: counts, maps, this month's bottom ten with interviews, the recheck list.

    A district reader without `?town=` is sent to the district view (the towns side by
    side), from where each town is one click away."""
    if town is None and user is not None and user.district_code and user.town_id is None:
        return RedirectResponse(f"/pages/districts/{user.district_code}?lang={lang}", 303)
    here = town_for(request, conn, user, town)
    month = month or _latest_scored_month(conn, here.id)
    ranking: list[Any] = []
    result = None
    if month:
        try:
            result = month_ranking(conn, month, rules=here.rules_for_month(month), town_id=here.id)
            ranking = list(result.ranking)
        except NotFound:
            ranking = []
    today = date.today()
    villages = village_scope(user, ())
    interview_args: dict[str, Any] = {
        "rules": here.rules_for_month(month) if month else here.rules_now,
        "late_days": request.app.state.settings.interview_late_days,
        "today": today,
        "villages": villages,
        "town_id": here.id,
    }
    interviews = due_interviews(conn, month, result=result, **interview_args) if month else []
    late_earlier = interviews_before(conn, month, **interview_args) if month else []
    counts = issue_reader.status_counts(
        conn, IssueFilter(villages=villages, as_of=today, towns=(here.id,))
    )
    counts["villages"] = conn.execute(
        text(
            "SELECT count(*) FROM village v WHERE (cardinality(CAST(:v AS text[])) = 0"
            " OR v.code = ANY(:v)) AND v.town_id = :t"
        ),
        {"v": list(villages), "t": here.id},
    ).scalar_one()
    recheck_month = _next_month(month) if month else f"{today:%Y-%m}"
    recheck = [
        {
            "village": v.village,
            "name": v.name,
            "submitted": sum(s.status == "submitted" for s in v.stops),
            "open": sum(s.status != "submitted" for s in v.stops),
            "overdue": sum(s.days_overdue > 0 for s in v.stops),
            "walk_m": v.walk_m,
        }
        for v in recheck_list(
            conn,
            month=parse_month(recheck_month),
            villages=villages,
            metric_srid=here.town.metric_srid,
            towns=(here.id,),
        )
    ]
    return render(
        request,
        "dashboard.html",
        lang,
        status_label=lambda s: status_label(s, lang),
        counts=counts,
        month=month,
        ranking=ranking,
        bottom_ten=[s for s in reversed(ranking) if s.bottom_ten],
        recheck=recheck,
        recheck_month=recheck_month,
        publication=publication_of(conn, month, town_id=here.id) if month else None,
        interviews=interviews,
        interview_counts={
            status: sum(i.status == status for i in interviews)
            for status in ("due", "held", "late")
        },
        late_earlier=late_earlier,
        interview_deadline=deadline_of(month, interview_args["late_days"]) if month else None,
        communities=_communities(conn, here.id, villages),
        town=here.town,
    )


@router.get("/pages/villages/{code}/visit", response_class=HTMLResponse)
def site_visit(
    code: str,
    request: Request,
    conn: ConnDep,
    user: PageReader,
    lang: PageLang,
    month: Annotated[str | None, Query(description="the round's month, YYYY-MM")] = None,
) -> HTMLResponse:
    """现场检查单: a village's map, due issues in walking order with photos, for printing.

    Without `month`, the latest round's month, else the current month; a bad month is an
    error page naming it.
    """
    village_scope(user, (code,))
    village = (
        conn.execute(
            text(
                "SELECT v.code, v.name, v.party_secretary, c.name AS community, v.town_id"
                " FROM village v LEFT JOIN community c ON c.id = v.community_id"
                f" WHERE v.code = :c AND {SCOPE_SQL.format(alias='v')}"
            ),
            {"c": code, **scope_params(town_scope(user))},
        )
        .mappings()
        .first()
    )
    if village is None:
        raise NotFound(f"no village with code {code!r}", field="code")
    month = month or _latest_round_month(conn, village["town_id"]) or f"{date.today():%Y-%m}"
    due = recheck_list(
        conn,
        month=parse_month(month),
        villages=(code,),
    )
    entry = due[0] if due else None
    stops = entry.stops if entry else []
    photos = issue_reader.photo_ids_by_issue(conn, [s.id for s in stops])
    return render(
        request,
        "visit.html",
        lang,
        status_label=lambda s: status_label(s, lang),
        village=village,
        month=month,
        stops=stops,
        photos=photos,
        walk_m=entry.walk_m if entry else 0.0,
    )


@router.get("/pages/communities/{code}", response_class=HTMLResponse)
def community_page(
    code: str,
    request: Request,
    conn: ConnDep,
    user: PageReader,
    lang: PageLang,
    month: Annotated[str | None, Query(description="the ranking month, YYYY-MM")] = None,
    town: TownQuery = None,
) -> HTMLResponse:
    """党建共同体: for its secretary (一线指挥长), its villages with their rank of the month,
    the interviews due, held and late, and the issue indicators of the villages and grids.

    Without `month`, the latest month with scores. A village user sees its own community.
    """
    here = town_for(request, conn, user, town)
    community = (
        conn.execute(
            text(
                "SELECT id, code, name, secretary, deputy_secretary FROM community"
                " WHERE code = :c AND town_id = :t"
            ),
            {"c": code, "t": here.id},
        )
        .mappings()
        .first()
    )
    if community is None:
        raise NotFound(f"no community with code {code!r}", field="code")
    members = list(
        conn.execute(
            text(
                "SELECT code, name, party_secretary, households FROM village"
                " WHERE community_id = :id ORDER BY code"
            ),
            {"id": community["id"]},
        ).mappings()
    )
    codes = [m["code"] for m in members]
    own = village_scope(user, ())
    if own and own[0] not in codes:
        raise Forbidden(
            f"user {user.name if user else ''} sees its own community only", field="code"
        )
    month = month or _latest_scored_month(conn, here.id)
    standings: dict[str, Any] = {}
    ranked = 0
    result = None
    if month:
        try:
            result = month_ranking(conn, month, rules=here.rules_for_month(month), town_id=here.id)
        except NotFound:
            result = None
    if result is not None:
        ranked = len(result.ranking)
        standings = {s.village: s for s in result.ranking if s.village in codes}
    settings = request.app.state.settings
    interview_args: dict[str, Any] = {
        "rules": here.rules_for_month(month) if month else here.rules_now,
        "late_days": settings.interview_late_days,
        "villages": codes,
        "town_id": here.id,
    }
    interviews = due_interviews(conn, month, result=result, **interview_args) if month else []
    late_earlier = interviews_before(conn, month, **interview_args) if month else []
    by_village = {i.village: i for i in interviews}
    year = int(month[:4]) if month else date.today().year
    period: dict[str, Any] = {
        "start": date(year, 1, 1),
        "end": date(year + 1, 1, 1),
        "towns": (here.id,),
    }
    indicators = {
        r["code"]: r for r in unit_indicator_rows(conn, "village", **period) if r["code"] in codes
    }
    totals = next(
        (r for r in unit_indicator_rows(conn, "community", **period) if r["code"] == code), None
    )
    grids = [r for r in unit_indicator_rows(conn, "grid", **period) if r["parent"] in codes]
    rows = [
        {
            **m,
            "standing": standings.get(m["code"]),
            "interview": by_village.get(m["code"]),
            "indicators": indicators.get(m["code"]),
        }
        for m in members
    ]
    rows.sort(key=lambda r: (r["standing"] is None, r["standing"].rank if r["standing"] else 0))
    return render(
        request,
        "community.html",
        lang,
        community=community,
        month=month,
        year=year,
        ranked=ranked,
        rows=rows,
        interviews=interviews,
        late_earlier=late_earlier,
        totals=totals,
        grids=grids,
    )
