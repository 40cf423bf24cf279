"""Open311 GeoReport v2 at /open311/v2: services (the categories), service requests (the
issues) read and posted, tokens. JSON or XML by the path's suffix; errors are the spec's
error list (`service.errors` shapes them for every path under /open311/)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection

from geo import issue_reader
from geo.errors import Forbidden, InvalidInput, NotFound
from geo.issue_filter import IssueFilter
from geo.issue_reader import IssueQuery
from geo.loop import known_category
from geo.open311 import Client, Reporter, ServiceRequest, client_for_key, media_urls, submit_request
from geo.synonyms import categories_with_synonyms
from geo.towns import Town, TownScope, list_towns, town_by_code, town_by_id
from geo.users import User
from geo.vocab import CATEGORY_CODE_LEN, ISSUE_CODE_LEN
from scoring.inputs import EARLIEST_YEAR, LATEST_YEAR
from service import open311 as doc
from service.auth import Unauthorized, optional_user
from service.deps import ConnDep
from service.filters import issue_filter, split_values
from service.towns import town_rules

PREFIX = "/open311/v2"

router = APIRouter(prefix=PREFIX, tags=["Open311 GeoReport v2"])
discovery = APIRouter(prefix="/open311", tags=["Open311 GeoReport v2"])

Lang = Annotated[
    str,
    Query(pattern="^(zh|en)$", description="labels: zh (default) or en (an extension of the spec)"),
]
Jurisdiction = Annotated[
    str | None,
    Query(
        max_length=64,
        description="a town's code (行政区划代码, e.g. 120113108) or name: only that town;"
        " 404 when it is not a town this caller reads",
    ),
]

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
"""The discovery document's name of the spec (an identifier, never fetched)."""

CHANGESET = "2026-11-30T00:00:00+08:00"
"""When this endpoint's interface last changed (the discovery document's changeset)."""


def _format(fmt: str) -> str:
    if fmt not in doc.FORMATS:
        raise InvalidInput(f"expected the format json or xml, got {fmt!r}", field="format")
    return fmt


def _document(body: bytes, fmt: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=doc.MEDIA_TYPES[fmt])


@dataclass(frozen=True)
class Caller:
    """Who reads: a signed-in user or token holder, an Open311 client (api_key), or nobody
    (while anonymous reads are on)."""

    user: User | None = None
    client: Client | None = None


def open311_reader(
    request: Request,
    conn: ConnDep,
    user: Annotated[User | None, Depends(optional_user)],
    api_key: Annotated[
        str | None, Query(description="a client's API key (`cunrong open311 key add`)")
    ] = None,
) -> Caller:
    """A reader of the Open311 resources: the usual bearer token or session, else a
    client's api_key, else nobody when CUNRONG_ANONYMOUS_READ is on (401 otherwise)."""
    if user is not None:
        return Caller(user=user)
    if api_key:
        client = client_for_key(conn, api_key)
        if client is None:
            raise Forbidden("invalid api_key (unknown or revoked)", field="api_key")
        return Caller(client=client)
    if request.app.state.settings.anonymous_read:
        return Caller()
    raise Unauthorized(
        "send api_key=<key> (from `cunrong open311 key add`) or 'Authorization: Bearer <token>'",
        field="api_key",
    )


ReaderDep = Annotated[Caller, Depends(open311_reader)]


def _scope(conn: Connection, caller: Caller, jurisdiction_id: str | None = None) -> IssueFilter:
    """The issues this caller may read: the one issue filter, with its village and town
    scope (a client reads its own town), narrowed to the town `jurisdiction_id` names."""
    scope = issue_filter(conn, caller.user)
    if caller.client is not None:
        scope = dataclasses.replace(scope, towns=(caller.client.town_id,))
    if jurisdiction_id:
        town = jurisdiction(conn, scope.towns, jurisdiction_id)
        scope = dataclasses.replace(scope, towns=(town.id,))
    return scope


def _towns(towns: Sequence[int] | None) -> TownScope:
    return None if towns is None else tuple(towns)


def jurisdiction(conn: Connection, towns: Sequence[int] | None, code: str) -> Town:
    """The town `code` names (its 行政区划代码 or name) among `towns` (None: any town); 404
    naming only the towns the caller may see, as the spec's "jurisdiction_id not found"."""
    try:
        town = town_by_code(conn, code, field="jurisdiction_id")
    except NotFound:
        town = None
    if town is None or (towns is not None and town.id not in towns):
        known = ", ".join(f"{t.code} ({t.name})" for t in list_towns(conn, _towns(towns)))
        raise NotFound(
            f"no jurisdiction_id {code!r}: expected a town code ({known})",
            field="jurisdiction_id",
        )
    return town


# --- services -------------------------------------------------------------------------------


@router.get("/services.{fmt}", response_class=Response)
def get_services(
    fmt: str,
    conn: ConnDep,
    caller: ReaderDep,
    jurisdiction_id: Jurisdiction = None,
    lang: Lang = "zh",
) -> Response:
    """GET Service List: the 16 categories (问题类别) as services (the same in every town)."""
    fmt = _format(fmt)
    _scope(conn, caller, jurisdiction_id)
    services = [doc.service(row, lang=lang) for row in categories_with_synonyms(conn)]
    return _document(doc.render("services", services, fmt), fmt)


@router.get("/services/{service_code}.{fmt}", response_class=Response)
def get_service_definition(
    service_code: Annotated[str, PathParam(max_length=CATEGORY_CODE_LEN)],
    fmt: str,
    conn: ConnDep,
    caller: ReaderDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """GET Service Definition: no attributes (metadata is false for every service)."""
    fmt = _format(fmt)
    _scope(conn, caller, jurisdiction_id)
    if not categories_with_synonyms(conn, [service_code]):
        raise NotFound(f"no service with service_code {service_code!r}", field="service_code")
    return _document(
        doc.render_one("service_definition", doc.service_definition(service_code), fmt), fmt
    )


# --- service requests -----------------------------------------------------------------------


def _parse_moment(value: str | None, field: str) -> datetime | None:
    """A W3C datetime (a bare date or a time without offset is read in the town's zone)."""
    if value is None or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"expected a W3C datetime such as 2024-05-06T08:30:00+08:00, got {value!r}",
            field=field,
        ) from None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise InvalidInput(
            f"expected a datetime in the years {EARLIEST_YEAR}–{LATEST_YEAR}, got {value!r}",
            field=field,
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=doc.TOWN)


def _window(
    start: datetime | None, end: datetime | None, *, days: int
) -> tuple[datetime, datetime]:
    """The requested_datetime range: the spec's most recent `days` days by default; a
    range given may not span more."""
    span = timedelta(days=days)
    if start is None and end is None:
        end = datetime.now(doc.TOWN)
        return end - span, end
    if start is None:
        assert end is not None
        return end - span, end
    if end is None:
        return start, start + span
    if end < start:
        raise InvalidInput("expected start_date ≤ end_date", field="start_date")
    if end - start > span:
        raise InvalidInput(
            f"the range start_date–end_date spans more than {days} days; ask in parts",
            field="end_date",
        )
    return start, end


def _requests(
    request: Request, conn: Connection, q: IssueQuery, *, lang: str
) -> list[dict[str, Any]]:
    """The issues of `q` as service requests (with their first photo, or the client's own
    media URL)."""
    rows = issue_reader.records(
        conn,
        q,
        properties=doc.REQUEST_PROPERTIES,
        max_page_size=request.app.state.settings.open311_max_requests,
    )
    given = media_urls(conn, [r["id"] for r in rows])
    base = str(request.base_url).rstrip("/")
    out = []
    for row in rows:
        photo = row["photo_ids"][0] if row["photo_ids"] else None
        url = f"{base}/photos/{photo}" if photo else given.get(row["id"])
        out.append(doc.service_request(row, photo_url=url, lang=lang))
    return out


@router.get("/requests.{fmt}", response_class=Response)
def get_requests(
    request: Request,
    fmt: str,
    conn: ConnDep,
    caller: ReaderDep,
    service_request_id: Annotated[
        str | None, Query(description="issue codes, comma-separated: overrides every other filter")
    ] = None,
    service_code: Annotated[
        str | None, Query(description="category code(s), comma-separated")
    ] = None,
    start_date: Annotated[
        str | None, Query(description="earliest requested_datetime (W3C)")
    ] = None,
    end_date: Annotated[str | None, Query(description="latest requested_datetime (W3C)")] = None,
    status: Annotated[str | None, Query(description="open or closed (comma-separated)")] = None,
    jurisdiction_id: Jurisdiction = None,
    lang: Lang = "zh",
) -> Response:
    """GET Service Requests: newest first, at most CUNRONG_OPEN311_MAX_REQUESTS (1000)."""
    fmt = _format(fmt)
    settings = request.app.state.settings
    scope = _scope(conn, caller, jurisdiction_id)
    codes = split_values([service_request_id] if service_request_id else None)
    if codes:
        q = IssueQuery(selection=scope, codes=codes, sort=("-requested_at", "-code"))
    else:
        categories = split_values([service_code] if service_code else None)
        for code in categories:
            known_category(conn, code, field="service_code")
        wanted = split_values([status] if status else None)
        statuses: list[str] = []
        for value in wanted:
            if value not in ("open", "closed"):
                raise InvalidInput(f"expected status open or closed, got {value!r}", field="status")
            statuses.extend(doc.statuses_of(value))
        start, end = _window(
            _parse_moment(start_date, "start_date"),
            _parse_moment(end_date, "end_date"),
            days=settings.open311_days,
        )
        q = IssueQuery(
            selection=dataclasses.replace(
                scope, categories=categories, statuses=tuple(dict.fromkeys(statuses))
            ),
            requested_from=start,
            requested_to=end,
            sort=("-requested_at", "-code"),
        )
    q = dataclasses.replace(q, limit=settings.open311_max_requests)
    return _document(doc.render("requests", _requests(request, conn, q, lang=lang), fmt), fmt)


@router.get("/requests/{service_request_id}.{fmt}", response_class=Response)
def get_request(
    request: Request,
    service_request_id: Annotated[str, PathParam(max_length=ISSUE_CODE_LEN)],
    fmt: str,
    conn: ConnDep,
    caller: ReaderDep,
    jurisdiction_id: Jurisdiction = None,
    lang: Lang = "zh",
) -> Response:
    """GET Service Request: one issue by its code (404 when it is not there for this reader)."""
    fmt = _format(fmt)
    q = IssueQuery(
        selection=_scope(conn, caller, jurisdiction_id), codes=[service_request_id], limit=1
    )
    found = _requests(request, conn, q, lang=lang)
    if not found:
        raise NotFound(f"no service request {service_request_id!r}", field="service_request_id")
    return _document(doc.render("requests", found, fmt), fmt)


@router.get("/tokens/{token}.{fmt}", response_class=Response)
def get_token(
    token: Annotated[str, PathParam(max_length=64)],
    fmt: str,
    conn: ConnDep,
    caller: ReaderDep,
    jurisdiction_id: Jurisdiction = None,
) -> Response:
    """GET service_request_id from a token: the token is the issue's id (a UUID), so it
    answers for requests posted here and for issues recorded with a client-supplied id."""
    fmt = _format(fmt)
    try:
        issue_id = uuid.UUID(token)
    except ValueError:
        raise NotFound(f"no token {token!r} (tokens are UUIDs)", field="token") from None
    q = IssueQuery(selection=_scope(conn, caller, jurisdiction_id), ids=[issue_id], limit=1)
    rows = issue_reader.records(conn, q, properties=("code",), max_page_size=1)
    if not rows:
        raise NotFound(f"no token {token!r}", field="token")
    answer = [{"service_request_id": rows[0]["code"], "token": str(issue_id)}]
    return _document(doc.render("requests", answer, fmt), fmt)


# --- posting a request ----------------------------------------------------------------------


class ServiceRequestForm(BaseModel):
    """POST Service Request: the spec's fields, form-encoded (lengths are checked, with the
    field named, by `geo.open311`)."""

    api_key: str | None = Field(None, description="the client's key (required; in the body)")
    jurisdiction_id: str | None = Field(
        None, description="the client's town (code or name); another town is 404"
    )
    service_code: str | None = Field(None, description="a category code (required)")
    lat: float | None = Field(None, description="WGS-84 latitude (required here)")
    long: float | None = Field(None, description="WGS-84 longitude (required here)")
    address_string: str | None = Field(None, description="kept as the issue's address")
    address_id: str | None = None
    email: str | None = None
    device_id: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    description: str | None = Field(None, description="what is wrong (at most 4000 characters)")
    media_url: str | None = Field(None, description="the client's own photo URL (not fetched)")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        """An empty field (`lat=`) is a field not sent."""
        if isinstance(value, str):
            return value.strip() or None
        return value


@router.post("/requests.{fmt}", response_class=Response)
def post_request(
    request: Request, fmt: str, conn: ConnDep, form: Annotated[ServiceRequestForm, Form()]
) -> Response:
    """POST Service Request (form-encoded, api_key in the body): recorded at once as an
    issue with source open311; the answer carries its service_request_id (and token)."""
    fmt = _format(fmt)
    if "api_key" in request.query_params:
        raise Forbidden(
            "send api_key in the form body, not in the URL (URLs end up in logs)", field="api_key"
        )
    key = form.api_key
    if key is None:
        raise Forbidden("api_key is required to post a service request", field="api_key")
    client = client_for_key(conn, key)
    if client is None:
        raise Forbidden("invalid api_key (unknown or revoked)", field="api_key")
    request.state.user = client  # the audit row and the access log name the client
    town = town_by_id(conn, client.town_id)
    if form.jurisdiction_id:
        jurisdiction(conn, (client.town_id,), form.jurisdiction_id)
    posted = ServiceRequest(
        service_code=form.service_code or "",
        lat=form.lat,
        long=form.long,
        description=form.description or "",
        address_string=form.address_string,
        address_id=form.address_id,
        media_url=form.media_url,
        reporter=Reporter(
            email=form.email,
            first_name=form.first_name,
            last_name=form.last_name,
            phone=form.phone,
            device_id=form.device_id,
            account_id=form.account_id,
        ),
    )
    settings = request.app.state.settings
    created = submit_request(
        conn,
        posted,
        client=client,
        found_on=datetime.now(doc.TOWN).date(),
        deadline=town_rules(request, town).loop.deadline,
        detection=settings.detection(),
    )
    row = issue_reader.records(
        conn,
        IssueQuery(ids=[created.id], limit=1),
        properties=("deadline", "village_name"),
        max_page_size=1,
    )[0]
    answer = doc.created_request(
        code=created.code,
        token=str(created.id),
        notice=doc.deadline_notice(row["deadline"], row["village_name"]),
        account_id=posted.reporter.account_id,
    )
    request.state.status_code = 200
    return _document(doc.render("requests", [answer], fmt), fmt)


# --- discovery ------------------------------------------------------------------------------


@discovery.get("/discovery.{fmt}", response_class=Response)
def get_discovery(request: Request, fmt: str, conn: ConnDep, caller: ReaderDep) -> Response:
    """The Open311 discovery document: where the GeoReport v2 endpoint is, its formats, who
    to ask for an API key, and the jurisdictions (towns) this caller can name."""
    fmt = _format(fmt)
    scope = _scope(conn, caller)
    base = str(request.base_url).rstrip("/")
    settings = request.app.state.settings
    body = {
        "changeset": CHANGESET,
        "contact": settings.open311_contact,
        "key_service": settings.open311_key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base + PREFIX,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
        "jurisdictions": [
            {"jurisdiction_id": t.code, "name": t.name, "district": t.district_name}
            for t in list_towns(conn, _towns(scope.towns))
        ],
    }
    return _document(doc.render_one("discovery", body, fmt), fmt)
