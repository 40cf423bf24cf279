"""One error model for every response: {"error": code, "message": …, "field": …, "request_id": …}.

`DEFAULT_STATUS_CODES` maps each exception class to its HTTP status (in the manner of tipg's
table); `install_error_handlers` registers one handler per class. The most specific class
wins (Starlette looks the exception's MRO up). Anything not in the table is caught by
`service.middleware.RequestContext`: a logged 500 in the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import Conflict, CunrongError, Forbidden, InvalidInput, NotFound, TooLarge
from geo.io.report import ImportFailed
from scoring.errors import ScoringError
from service import open311
from service.auth import Unauthorized
from service.render import RenderFailed
from service.web import error_page, is_page_path, login_redirect

log = logging.getLogger("cunrong.errors")

RETRY_AFTER_S = 5
"""What a client is told to wait when the database is unavailable."""

DEFAULT_STATUS_CODES: dict[type[Exception], int] = {
    InvalidInput: 422,
    ImportFailed: 422,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RenderFailed: 503,
    CunrongError: 400,
    ScoringError: 422,
    RequestValidationError: 422,
    DataError: 422,
    OperationalError: 503,
    InterfaceError: 503,
    PoolTimeout: 503,
    StarletteHTTPException: 400,
}
"""Exception class → HTTP status (an HTTPException keeps its own status)."""

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


class ErrorBody(BaseModel):
    """What every error response looks like."""

    error: str
    """A stable code: invalid_input, not_found, conflict, unavailable, internal_error, …"""
    message: str
    """For people: what was wrong and what was expected."""
    field: str | None = None
    """The field, parameter or header at fault (always given for a 422)."""
    request_id: str | None = None
    """The request's id, also sent as the X-Request-ID header (quote it when reporting)."""


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (401, "no valid token"),
        (403, "not allowed for this role or village"),
        (404, "not found"),
        (409, "conflict with the current state"),
        (422, "invalid input; `field` names it"),
        (503, "the database is unavailable; retry after `Retry-After` seconds"),
    )
}
"""The error responses every route may give, for OpenAPI (set on the app)."""


def request_id_of(request: Request) -> str | None:
    """The id `RequestContext` gave this request."""
    return getattr(request.state, "request_id", None)


def error_response(
    request: Request,
    status: int,
    error: str,
    message: str,
    field: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A response in the one error shape."""
    body = ErrorBody(
        error=error, message=message, field=field, request_id=request_id_of(request)
    ).model_dump()
    return JSONResponse(body | (extra or {}), status_code=status, headers=dict(headers or {}))


OPEN311_PATH = "/open311/"
"""Errors of the paths under here take the GeoReport v2 shape (`open311_error`)."""


def open311_error(
    request: Request, status: int, message: str, headers: Mapping[str, str]
) -> Response:
    """The spec's error list, `[{"code": 400, "description": …}]` or `<errors><error>…`, in
    the format of the path's suffix; invalid input is the spec's 400, not 422."""
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    status = 400 if status == 422 else status
    body = open311.render("errors", [open311.error(status, message)], fmt)
    return Response(
        body, status_code=status, media_type=open311.MEDIA_TYPES[fmt], headers=dict(headers)
    )


def _status(exc: Exception, table: Mapping[type[Exception], int]) -> int:
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return 500


def _validation_field(error: Mapping[str, Any]) -> str:
    """The parameter a validation error is about: never empty (`body` for a whole body)."""
    loc = [str(p) for p in error.get("loc", ())]
    source = loc[0] if loc else "request"
    if error.get("type") == "json_invalid":
        return "body"  # the rest of its loc is a character position
    return ".".join(loc[1:]) or source


def _describe(exc: Exception, status: int) -> tuple[str, str, str | None, dict[str, str]]:
    """(error code, message, field, headers) of a handled exception."""
    if isinstance(exc, CunrongError):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        return exc.code, str(exc), exc.field, headers
    if isinstance(exc, ScoringError):
        field = getattr(exc, "field", None) or getattr(exc, "key", None)
        return "invalid_input", str(exc), field, {}
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        field = _validation_field(first)
        message = str(first.get("msg", "invalid request")).removeprefix("Value error, ")
        if first.get("type") == "json_invalid":
            message = f"the body is not valid JSON ({first.get('ctx', {}).get('error', message)})"
        return "invalid_input", f"{field}: {message}", field, {}
    if isinstance(exc, DataError):
        # A value PostgreSQL cannot take that got past validation: the request's fault.
        detail = str(exc.orig).splitlines()[0] if exc.orig else "invalid value"
        return "invalid_input", f"a value cannot be stored or compared: {detail}", "request", {}
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return (
            "unavailable",
            "the database is unavailable; nothing was changed, try again shortly",
            None,
            {"Retry-After": str(RETRY_AFTER_S)},
        )
    if isinstance(exc, StarletteHTTPException) and status == 422:
        return "invalid_input", f"body: the body cannot be read ({exc.detail})", "body", {}
    if isinstance(exc, StarletteHTTPException):
        return (
            HTTP_CODES.get(exc.status_code, "http_error"),
            str(exc.detail),
            None,
            dict(exc.headers or {}),
        )
    return "error", str(exc), None, {}


def _handler(table: Mapping[type[Exception], int]) -> Callable[[Request, Exception], Any]:
    async def handle(request: Request, exc: Exception) -> Response:
        status = _status(exc, table)
        if isinstance(exc, StarletteHTTPException):
            # FastAPI's only 400 is a body it cannot parse: invalid input like any other.
            status = 422 if exc.status_code == 400 else exc.status_code
        error, message, field, headers = _describe(exc, status)
        if status == 422 and field is None:
            field = "request"
        if status == 503:
            log.warning("database unavailable: %s", type(exc).__name__)
        if request.url.path.startswith(OPEN311_PATH):  # the spec's error list
            return open311_error(request, status, message, headers)
        if is_page_path(request.url.path):  # people get a page, never JSON
            if status == 401:
                return login_redirect(request)  # nobody signed in: to the sign-in page
            page = error_page(request, status, message, field=field)
            page.headers.update({k: v for k, v in headers.items() if k != "WWW-Authenticate"})
            return page
        extra = None
        if isinstance(exc, ImportFailed):
            extra = {"problems": [asdict(p) for p in exc.report.sorted_problems()[:500]]}
        return error_response(request, status, error, message, field, headers=headers, extra=extra)

    return handle


def install_error_handlers(
    app: FastAPI, status_codes: Mapping[type[Exception], int] = DEFAULT_STATUS_CODES
) -> None:
    """Register one handler for every class of the table (the one error shape for all)."""
    handle = _handler(status_codes)
    for exc_class in status_codes:
        app.add_exception_handler(exc_class, handle)
