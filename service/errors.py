"""One error model for every response: {"error": code, "message": …, "field": …}."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import (
    Conflict,
    CunrongError,
    Forbidden,
    InvalidInput,
    NotFound,
)
from geo.io.report import ImportFailed
from scoring.errors import ScoringError
from service.web import error_page, is_page_path, login_redirect

STATUS_BY_ERROR: dict[type[CunrongError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
}


class ErrorBody(BaseModel):
    """What every error response looks like."""

    error: str
    message: str
    field: str | None = None


def _status_of(exc: CunrongError) -> int:
    if exc.code == "unauthorized":
        return 401
    for cls in type(exc).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 400


def _body(error: str, message: str, field: str | None = None) -> dict[str, str | None]:
    return ErrorBody(error=error, message=message, field=field).model_dump()


def _for_person(
    request: Request, status: int, message: str, field: str | None = None
) -> Response | None:
    """On a page, the answer for a person (sign-in redirect or error page); else None."""
    if not is_page_path(request.url.path):
        return None
    if status == 401:
        return login_redirect(request)
    return error_page(request, status, message, field=field)


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors and HTTP errors to the one error model; on the
    pages, to a sign-in redirect or an error page instead (a person never gets JSON)."""

    @app.exception_handler(ImportFailed)
    async def _import(request: Request, exc: ImportFailed) -> Response:
        page = _for_person(request, 422, "; ".join(exc.report.lines(limit=20)), exc.field)
        if page is not None:
            return page
        body = _body(exc.code, str(exc), exc.field) | {
            "problems": [asdict(p) for p in exc.report.sorted_problems()[:500]]
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(CunrongError)
    async def _domain(request: Request, exc: CunrongError) -> Response:
        status = _status_of(exc)
        page = _for_person(request, status, str(exc), exc.field)
        if page is not None:
            return page
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            _body(exc.code, str(exc), exc.field), status_code=status, headers=headers
        )

    @app.exception_handler(ScoringError)
    async def _scoring(request: Request, exc: ScoringError) -> Response:
        field = getattr(exc, "field", None) or getattr(exc, "key", None)
        page = _for_person(request, 422, str(exc), field)
        if page is not None:
            return page
        return JSONResponse(_body("invalid_input", str(exc), field), status_code=422)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # A value PostgreSQL cannot take (a NUL character, a number out of range): the
        # request's fault, never the server's. The first line of the driver's message says which.
        detail = str(exc.orig).splitlines()[0] if exc.orig else "invalid value"
        page = _for_person(request, 422, f"a value cannot be stored or compared: {detail}")
        if page is not None:
            return page
        return JSONResponse(
            _body("invalid_input", f"a value cannot be stored or compared: {detail}"),
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path")]
        field = ".".join(loc) or None
        message = first.get("msg", "invalid request")
        page = _for_person(request, 422, f"{field}: {message}", field)
        if page is not None:
            return page
        return JSONResponse(_body("invalid_input", f"{field}: {message}", field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        page = _for_person(request, exc.status_code, str(exc.detail))
        if page is not None:
            return page
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            _body(code.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
