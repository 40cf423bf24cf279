"""Open311 GeoReport v2 on the domain side: the client systems and their API keys, and a
posted service request turned into an issue through the one create path (`geo.loop`).

A client is another system — a district's 12345 hotline platform, a city dashboard — not a
person: it gets an API key (shown once; only its SHA-256 is stored, like user tokens) and
posts requests that become issues with source `open311`. What it sends beyond the issue
(the reporter's e-mail, name, phone, device and account ids, its own media URL) is kept in
`open311_report` for the office and never shown to readers.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo.deadlines import DeadlineRule
from geo.defaults import DEADLINE_RULE
from geo.errors import Conflict, InvalidInput, NotFound
from geo.loop import (
    DEFAULT_DETECTION,
    CreatedIssue,
    Detection,
    NewIssue,
    check_point,
    create_issue,
    known_category,
)
from geo.towns import resolve_town, use_town
from geo.users import hash_token
from geo.vocab import ADDRESS_LEN, DESCRIPTION_LEN, NAME_LEN, PERSON_LEN

CLIENT_ROLE = "open311"
"""The role a client appears with in the audit log and the access log."""

POSITION_FIELD = "lat/long"
"""The field named when a request's position is missing or cannot be placed."""

MEDIA_URL_LEN = 2000
"""The longest media URL kept (browsers' practical limit)."""


@dataclass(frozen=True)
class Client:
    """A system posting through Open311 with an API key."""

    id: int
    name: str
    town_id: int
    """The client's town: its requests go there, and it reads that town's only."""
    role: str = CLIENT_ROLE

    @property
    def label(self) -> str:
        """How the client appears in an issue's history."""
        return f"{self.name} ({CLIENT_ROLE})"


def create_client(
    conn: Connection, *, name: str, note: str | None = None, town_code: str | None = None
) -> tuple[Client, str]:
    """Register a client of the town `town_code` (default: the only town) and return it with
    its new API key (shown once, never stored)."""
    name = name.strip()
    if not name:
        raise InvalidInput("the client name is empty", field="name")
    if len(name) > NAME_LEN:
        raise InvalidInput(f"a client name has at most {NAME_LEN} characters", field="name")
    town = resolve_town(conn, town_code)
    key = secrets.token_urlsafe(32)
    try:
        with conn.begin_nested():
            client_id = conn.execute(
                text(
                    "INSERT INTO open311_client (name, key_hash, note, town_id)"
                    " VALUES (:n, :h, :note, :t) RETURNING id"
                ),
                {"n": name, "h": hash_token(key), "note": note, "t": town.id},
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"an Open311 client named {name!r} exists already", field="name") from None
    return Client(client_id, name, town.id), key


def client_for_key(conn: Connection, key: str) -> Client | None:
    """The active client holding this API key, if any (one probe of the unique hash)."""
    row = conn.execute(
        text("SELECT id, name, town_id FROM open311_client WHERE key_hash = :h AND active"),
        {"h": hash_token(key)},
    ).first()
    return Client(row.id, row.name, row.town_id) if row else None


def revoke_client(conn: Connection, name: str) -> None:
    """Stop a client's key from working (the client stays, for the issues it posted)."""
    row = conn.execute(
        text(
            "UPDATE open311_client SET active = false, revoked_at = coalesce(revoked_at, now())"
            " WHERE name = :n RETURNING id"
        ),
        {"n": name},
    ).first()
    if row is None:
        raise NotFound(f"no Open311 client named {name!r}", field="name")


def list_clients(conn: Connection) -> list[dict[str, Any]]:
    """Every client with its state and how many requests it posted (never the key)."""
    rows = conn.execute(
        text(
            "SELECT c.name, t.code AS town, c.active, c.created_at, c.revoked_at, c.note,"
            " (SELECT count(*) FROM open311_report r WHERE r.client_id = c.id) AS requests"
            " FROM open311_client c JOIN town t ON t.id = c.town_id ORDER BY c.name"
        )
    ).mappings()
    return [dict(r) for r in rows]


@dataclass(frozen=True)
class Reporter:
    """Who reported the problem to the client (all optional, kept for the office only)."""

    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    device_id: str | None = None
    account_id: str | None = None


REPORTER_LIMITS: dict[str, int] = {
    "email": NAME_LEN,
    "first_name": NAME_LEN,
    "last_name": NAME_LEN,
    "phone": PERSON_LEN,
    "device_id": NAME_LEN,
    "account_id": NAME_LEN,
}
"""The longest value kept of each reporter field (the columns of `open311_report`)."""


@dataclass(frozen=True)
class ServiceRequest:
    """A GeoReport v2 `POST requests` as this town reads it."""

    service_code: str
    lat: float | None
    long: float | None
    description: str = ""
    address_string: str | None = None
    address_id: str | None = None
    media_url: str | None = None
    reporter: Reporter = field(default_factory=Reporter)


def _check_request(req: ServiceRequest) -> tuple[float, float]:
    """The request's (lon, lat), or InvalidInput naming the field at fault."""
    if not req.service_code.strip():
        raise InvalidInput("service_code is required (one of GET services)", field="service_code")
    if req.lat is None or req.long is None:
        given = " (address_string alone cannot be placed: there is no geocoder)"
        raise InvalidInput(
            "lat and long are required: every request is placed in a village by its position"
            f" (WGS-84 degrees){given if req.address_string else ''}",
            field=POSITION_FIELD,
        )
    check_point(req.long, req.lat, field=POSITION_FIELD)
    if len(req.description) > DESCRIPTION_LEN:
        raise InvalidInput(
            f"description has at most {DESCRIPTION_LEN} characters, got {len(req.description)}",
            field="description",
        )
    if req.address_string is not None and len(req.address_string) > ADDRESS_LEN:
        raise InvalidInput(
            f"address_string has at most {ADDRESS_LEN} characters", field="address_string"
        )
    if req.address_id is not None and len(req.address_id) > NAME_LEN:
        raise InvalidInput(f"address_id has at most {NAME_LEN} characters", field="address_id")
    for name, limit in REPORTER_LIMITS.items():
        value = getattr(req.reporter, name)
        if value is not None and len(value) > limit:
            raise InvalidInput(f"{name} has at most {limit} characters", field=name)
    if req.reporter.email is not None and "@" not in req.reporter.email:
        raise InvalidInput(f"expected an e-mail address, got {req.reporter.email!r}", field="email")
    if req.media_url is not None and (
        not req.media_url.startswith(("http://", "https://")) or len(req.media_url) > MEDIA_URL_LEN
    ):
        raise InvalidInput(
            f"expected media_url to be an http(s) URL of at most {MEDIA_URL_LEN} characters",
            field="media_url",
        )
    return req.long, req.lat


def submit_request(
    conn: Connection,
    req: ServiceRequest,
    *,
    client: Client,
    found_on: date,
    deadline: str | int | DeadlineRule = DEADLINE_RULE,
    detection: Detection = DEFAULT_DETECTION,
) -> CreatedIssue:
    """Record a posted request as an issue (source `open311`) through `geo.loop.create_issue`,
    and keep the client's extra fields beside it."""
    lon, lat = _check_request(req)
    use_town(conn, client.town_id)
    known_category(conn, req.service_code, field="service_code")
    try:
        created = create_issue(
            conn,
            NewIssue(
                category=req.service_code,
                lon=lon,
                lat=lat,
                found_on=found_on,
                description=req.description,
                found_by=client.name,
                source="open311",
                address=req.address_string,
            ),
            actor=client.label,
            deadline=deadline,
            detection=detection,
        )
    except InvalidInput as exc:
        if exc.field != "geometry":
            raise
        raise type(exc)(exc.message, field=POSITION_FIELD) from None
    conn.execute(
        text(
            "INSERT INTO open311_report (issue_id, client_id, email, first_name, last_name,"
            " phone, device_id, account_id, address_id, media_url) VALUES (:issue, :client,"
            " :email, :first_name, :last_name, :phone, :device_id, :account_id, :address_id,"
            " :media_url)"
        ),
        {
            "issue": created.id,
            "client": client.id,
            **{name: getattr(req.reporter, name) for name in REPORTER_LIMITS},
            "address_id": req.address_id,
            "media_url": req.media_url,
        },
    )
    return created


def media_urls(conn: Connection, issue_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """issue id → the media URL its Open311 client sent, for the issues that have one."""
    if not issue_ids:
        return {}
    rows = conn.execute(
        text(
            "SELECT issue_id, media_url FROM open311_report"
            " WHERE issue_id = ANY(:ids) AND media_url IS NOT NULL"
        ),
        {"ids": list(issue_ids)},
    )
    return {r.issue_id: r.media_url for r in rows}
