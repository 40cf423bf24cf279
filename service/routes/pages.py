"""HTML pages (Jinja2, Chinese first): the dashboard and the printable site-visit sheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, text

from geo import issue_reader
from geo.assessment import publication_of
from geo.errors import NotFound
from geo.issue_filter import IssueFilter, parse_month
from geo.recheck import recheck_list
from geo.vocab import status_label
from scoring.inputs import next_month
from service.deps import ConnDep
from service.filters import village_scope
from service.rankings import month_ranking
from service.web import PageLang, PageReader, page_context, render, templates

router = APIRouter(tags=["pages 页面"], include_in_schema=False)
__all__ = ["Lang", "_context", "router", "templates"]

Lang = Annotated[str, Query(pattern="^(zh|en)$", description="zh | en")]


def _context(request: Request, lang: str, **values: Any) -> dict[str, Any]:
    """The shared page context (service.web.page_context) plus `status_label`."""
    return page_context(
        request, lang, **({"status_label": lambda s: status_label(s, lang)} | values)
    )


def _latest_round_month(conn: Connection) -> str | None:
    latest = conn.execute(text("SELECT max(month) FROM inspection_round")).scalar()
    return f"{latest:%Y-%m}" if latest else None


def _latest_scored_month(conn: Connection) -> str | None:
    latest = conn.execute(text("SELECT max(month) FROM observation_score")).scalar()
    return f"{latest:%Y-%m}" if latest else None


def _next_month(month: str) -> str:
    return next_month(f"{parse_month(month):%Y-%m}")


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request, conn: ConnDep, user: PageReader, lang: PageLang, month: str | None = None
) -> HTMLResponse:
    """总览: counts, maps, this month's bottom ten with interviews, the recheck list."""
    month = month or _latest_scored_month(conn)
    ranking: list[Any] = []
    if month:
        try:
            ranking = list(month_ranking(conn, month, rules=request.app.state.rules).ranking)
        except NotFound:
            ranking = []
    today = date.today()
    villages = village_scope(user, ())
    counts = issue_reader.status_counts(conn, IssueFilter(villages=villages, as_of=today))
    counts["villages"] = conn.execute(
        text(
            "SELECT count(*) FROM village v WHERE cardinality(CAST(:v AS text[])) = 0"
            " OR v.code = ANY(:v)"
        ),
        {"v": list(villages)},
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
            metric_srid=request.app.state.settings.metric_srid,
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
        publication=publication_of(conn, month) if month else None,
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
    month = month or _latest_round_month(conn) or f"{date.today():%Y-%m}"
    village = (
        conn.execute(
            text(
                "SELECT v.code, v.name, v.party_secretary, c.name AS community FROM village v"
                " LEFT JOIN community c ON c.id = v.community_id WHERE v.code = :c"
            ),
            {"c": code},
        )
        .mappings()
        .first()
    )
    if village is None:
        raise NotFound(f"no village with code {code!r}", field="code")
    due = recheck_list(
        conn,
        month=parse_month(month),
        villages=(code,),
        metric_srid=request.app.state.settings.metric_srid,
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
