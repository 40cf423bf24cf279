"""Liveness and the state of each part: the service, the database, PostGIS, the schema."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from geo import issue_reader
from service.errors import RETRY_AFTER_S, ErrorBody, error_response, log, request_id_of

router = APIRouter(tags=["health"])

PartState = Literal["ok", "down", "unknown"]


class Health(BaseModel):
    """Everything answers."""

    status: Literal["ok"] = "ok"
    parts: dict[str, PartState]
    postgis: str
    """PostGIS version."""
    villages: int
    issues: int


class HealthDown(ErrorBody):
    """A part is down (the error shape, plus each part's state)."""

    parts: dict[str, PartState]


def _down(request: Request, parts: dict[str, PartState], part: str, exc: Exception) -> JSONResponse:
    """503 naming the part. The driver's reason goes to the log, not to the anonymous
    caller: it names the database's host, port or socket path and its user."""
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = first[0] if first else type(exc).__name__
    log.warning("health: %s is down: %s", part, reason)
    return error_response(
        request,
        503,
        "unavailable",
        f"{part} is down; the service log has the reason (request {request_id_of(request)})",
        headers={"Retry-After": str(RETRY_AFTER_S)},
        extra={"parts": parts},
    )


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": HealthDown, "description": "a part is down (see `parts`)"}},
)
def health(request: Request) -> Health | JSONResponse:
    """The service runs, the database answers, PostGIS is installed, the schema is there.

    503 with `parts` naming what is down (and `Retry-After`) otherwise.
    """
    parts: dict[str, PartState] = {
        "service": "ok",
        "database": "unknown",
        "postgis": "unknown",
        "schema": "unknown",
    }
    try:
        conn = request.app.state.engine.connect()
    except (OperationalError, InterfaceError, PoolTimeout) as exc:
        parts["database"] = "down"
        return _down(request, parts, "the database", exc)
    with conn:
        parts["database"] = "ok"
        try:
            postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
        except (OperationalError, InterfaceError) as exc:
            parts["database"] = "down"
            return _down(request, parts, "the database", exc)
        except DBAPIError as exc:
            parts["postgis"] = "down"
            return _down(request, parts, "PostGIS", exc)
        parts["postgis"] = "ok"
        try:
            villages = conn.execute(text("SELECT count(*) FROM village")).scalar_one()
            issues = issue_reader.count(conn)
        except (OperationalError, InterfaceError) as exc:
            parts["database"] = "down"
            return _down(request, parts, "the database", exc)
        except DBAPIError as exc:
            parts["schema"] = "down"
            return _down(request, parts, "the schema (run `cunrong db upgrade`)", exc)
        parts["schema"] = "ok"
    return Health(parts=parts, postgis=postgis, villages=villages, issues=issues)
