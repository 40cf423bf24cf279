"""The issue filter as a request dependency: one parser for the list, exports, maps, pages."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Connection, select
from sqlalchemy.orm import InstrumentedAttribute

from geo.errors import Forbidden, InvalidInput
from geo.issue_filter import BBox, IssueFilter, parse_month
from geo.models import Category, Community, Village
from geo.users import User
from service.auth import Reader, town_scope
from service.deps import ConnDep
from service.schemas import Day


def split_values(values: list[str] | None) -> tuple[str, ...]:
    """Accept both ?status=a&status=b and ?status=a,b."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip() for v in value.split(",") if v.strip())
    return tuple(out)


def check_known(
    conn: Connection,
    *,
    field: str,
    given: Sequence[str],
    column: InstrumentedAttribute[str],
    towns: Sequence[int] | None = None,
    also: InstrumentedAttribute[str] | None = None,
) -> None:
    """Refuse codes that do not exist (in the caller's towns), suggesting the closest ones;
    `also` is a second column a value may name instead (a community's name). The values
    given are looked up by themselves (tile routes call this on every tile); the whole
    list is read only to suggest the closest to an unknown one."""
    if not given:
        return
    columns = (column,) if also is None else (column, also)

    def values(only: set[str] | None) -> set[str]:
        found: set[str] = set()
        for col in columns:
            query = select(col)
            if only is not None:
                query = query.where(col.in_(only))
            if towns is not None:
                query = query.where(col.class_.town_id.in_(towns))
            found.update(conn.execute(query).scalars())
        return found

    present = values(set(given))
    unknown = [value for value in given if value not in present]
    if not unknown:
        return
    close = difflib.get_close_matches(unknown[0], sorted(values(None)), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InvalidInput(f"unknown {field} {unknown[0]!r}{hint}", field=field)


def village_scope(user: User | None, villages: tuple[str, ...]) -> tuple[str, ...]:
    """A village user sees their own village only (403 when asking for another)."""
    if user is None or user.role != "village":
        return villages
    if any(v != user.village_code for v in villages):
        raise Forbidden(
            f"村账号只能查看本村 {user.village_code} 的问题 / user {user.name} sees village"
            f" {user.village_code} only",
            field="village",
        )
    return (user.village_code or "",)


def known_villages(
    conn: Connection, user: User | None, values: list[str] | None, *, own_only: bool = True
) -> tuple[str, ...]:
    """The `village` parameter of a route: split, scoped to a village user's own village
    (403 for another; not with `own_only=False`, for layers every reader of a town sees)
    and checked against the caller's towns (422 naming an unknown one)."""
    codes = split_values(values)
    if own_only:
        codes = village_scope(user, codes)
    check_known(conn, field="village", given=codes, column=Village.code, towns=town_scope(user))
    return codes


def known_communities(
    conn: Connection, user: User | None, values: list[str] | None
) -> tuple[str, ...]:
    """The `community` parameter (codes or names) checked against the caller's towns."""
    given = split_values(values)
    check_known(
        conn,
        field="community",
        given=given,
        column=Community.code,
        towns=town_scope(user),
        also=Community.name,
    )
    return given


def issue_filter(
    conn: ConnDep,
    user: Reader,
    village: Annotated[list[str] | None, Query(description="village code(s) 村编码")] = None,
    community: Annotated[list[str] | None, Query(description="community code or name")] = None,
    category: Annotated[list[str] | None, Query(description="category code(s) 问题类别")] = None,
    status: Annotated[list[str] | None, Query(description="open|submitted|closed|…")] = None,
    source: Annotated[list[str] | None, Query(description="inspection|recheck|…")] = None,
    month: Annotated[str | None, Query(description="found in month YYYY-MM")] = None,
    overdue: Annotated[bool | None, Query(description="open and past the deadline")] = None,
    bbox: Annotated[str | None, Query(description="west,south,east,north (EPSG:4326)")] = None,
    as_of: Annotated[Day | None, Query(description="date for 'overdue' (default today)")] = None,
) -> IssueFilter:
    """The selection of issues a request asks for, validated and scoped to the user: to
    their towns (`IssueFilter.towns`) and, for a village user, their village."""
    selection = IssueFilter(
        villages=village_scope(user, split_values(village)),
        communities=split_values(community),
        categories=split_values(category),
        statuses=split_values(status),
        sources=split_values(source),
        month=parse_month(month) if month else None,
        overdue=overdue,
        bbox=BBox.parse(bbox) if bbox else None,
        as_of=as_of,
        towns=town_scope(user),
    )
    check_known(
        conn, field="village", given=selection.villages, column=Village.code, towns=selection.towns
    )
    check_known(
        conn,
        field="community",
        given=selection.communities,
        column=Community.code,
        towns=selection.towns,
        also=Community.name,
    )
    check_known(conn, field="category", given=selection.categories, column=Category.code)
    return selection


IssueFilterDep = Annotated[IssueFilter, Depends(issue_filter)]

FILTER_PARAMS = frozenset(
    name for name in inspect.signature(issue_filter).parameters if name not in ("conn", "user")
)
"""The query parameters of the issue filter (a map passes them on to its tile URLs)."""


def page_limit(
    request: Request,
    limit: Annotated[
        int | None,
        Query(ge=1, description="page size (default and maximum: the service's settings)"),
    ] = None,
) -> int:
    """The page size asked for, else the default; more than `max_page_size` is refused."""
    settings = request.app.state.settings
    if limit is None:
        return int(settings.default_page_size)
    if limit > settings.max_page_size:
        raise InvalidInput(
            f"expected limit at most {settings.max_page_size}, got {limit}; page with offset",
            field="limit",
        )
    return limit


PageLimitDep = Annotated[int, Depends(page_limit)]
