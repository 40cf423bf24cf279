"""HTML pages (Jinja2, Chinese first): the dashboard and the printable site-visit sheet."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection, text

from geo.errors import NotFound
from geo.issue_filter import parse_month
from geo.ledger import STATUS_ZH
from geo.models import OPEN_STATUSES
from geo.recheck import recheck_list
from service.deps import ConnDep
from service.filters import village_scope
from service.rankings import month_ranking
from service.web import PageLang, PageReader, render

router = APIRouter(tags=["pages 页面"], include_in_schema=False)

STATUS_EN = {
    "open": "open",
    "submitted": "awaiting recheck",
    "closed": "closed",
    "unrectified": "not rectified",
    "inadequate": "inadequately rectified",
}


def _status_label(lang: str) -> Any:
    return lambda s: STATUS_ZH[s] if lang == "zh" else STATUS_EN[s]


def _latest_round_month(conn: Connection) -> str | None:
    latest = conn.execute(text("SELECT max(month) FROM inspection_round")).scalar()
    return f"{latest:%Y-%m}" if latest else None


def _latest_scored_month(conn: Connection) -> str | None:
    latest = conn.execute(text("SELECT max(month) FROM observation_score")).scalar()
    return f"{latest:%Y-%m}" if latest else None


def _next_month(month: str) -> str:
    first = parse_month(month)
    return f"{first.year + first.month // 12}-{first.month % 12 + 1:02d}"


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
    counts = (
        conn.execute(
            text(
                "SELECT (SELECT count(*) FROM village v WHERE cardinality(CAST(:v AS text[])) = 0"
                "   OR v.code = ANY(:v)) AS villages, count(*) AS issues,"
                " count(*) FILTER (WHERE i.status = ANY(:open)) AS open,"
                " count(*) FILTER (WHERE i.status = 'submitted') AS submitted,"
                " count(*) FILTER (WHERE i.status = 'closed') AS closed,"
                " count(*) FILTER (WHERE i.status = ANY(:open)"
                "   AND i.deadline < :today) AS overdue FROM issue i"
                " LEFT JOIN village v ON v.id = i.village_id"
                " WHERE cardinality(CAST(:v AS text[])) = 0 OR v.code = ANY(:v)"
            ),
            {"today": today, "v": list(villages), "open": list(OPEN_STATUSES)},
        )
        .mappings()
        .one()
    )
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
        for v in recheck_list(conn, month=parse_month(recheck_month), villages=villages)
    ]
    return render(
        request,
        "dashboard.html",
        lang,
        status_label=_status_label(lang),
        counts=counts,
        month=month,
        ranking=ranking,
        bottom_ten=[s for s in reversed(ranking) if s.bottom_ten],
        recheck=recheck,
        recheck_month=recheck_month,
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

    Without a month, the latest round's month, else this month; a bad month is an error
    page naming it."""
    village_scope(user, (code,))
    if not month:
        month = _latest_round_month(conn) or f"{date.today():%Y-%m}"
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
    due = recheck_list(conn, month=parse_month(month), villages=(code,))
    entry = due[0] if due else None
    stops = entry.stops if entry else []
    photos: dict[Any, list[Any]] = {}
    if stops:
        for row in conn.execute(
            text("SELECT issue_id, id FROM photo WHERE issue_id = ANY(:ids) ORDER BY uploaded_at"),
            {"ids": [s.id for s in stops]},
        ):
            photos.setdefault(row.issue_id, []).append(row.id)
    return render(
        request,
        "visit.html",
        lang,
        status_label=_status_label(lang),
        village=village,
        month=month,
        stops=stops,
        photos=photos,
        walk_m=entry.walk_m if entry else 0.0,
    )
