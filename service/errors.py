"""One error model for every response: {"error": code, "message": …, "field": …}."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from geo.errors import (
    Conflict,
    CunrongError,
    Forbidden,
    InvalidInput,
    NotFound,
    TooLarge,
)
from geo.io.report import ImportFailed
from scoring.errors import ScoringError

STATUS_BY_ERROR: dict[type[CunrongError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Forbidden: 403,
    TooLarge: 413,
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


def install_error_handlers(app: FastAPI) -> None:
    """Map domain errors, validation errors and HTTP errors to the one error model."""

    @app.exception_handler(ImportFailed)
    async def _import(_: Request, exc: ImportFailed) -> JSONResponse:
        body = _body(exc.code, str(exc), exc.field) | {
            "problems": [asdict(p) for p in exc.report.sorted_problems()[:500]]
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(CunrongError)
    async def _domain(_: Request, exc: CunrongError) -> JSONResponse:
        status = _status_of(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(
            _body(exc.code, str(exc), exc.field), status_code=status, headers=headers
        )

    @app.exception_handler(ScoringError)
    async def _scoring(_: Request, exc: ScoringError) -> JSONResponse:
        field = getattr(exc, "field", None) or getattr(exc, "key", None)
        return JSONResponse(_body("invalid_input", str(exc), field), status_code=422)

    @app.exception_handler(DataError)
    async def _data(_: Request, exc: DataError) -> JSONResponse:
        # A value PostgreSQL cannot take (a NUL character, a number out of range): the
        # request's fault, never the server's. The first line of the driver's message says which.
        detail = str(exc.orig).splitlines()[0] if exc.orig else "invalid value"
        return JSONResponse(
            _body("invalid_input", f"a value cannot be stored or compared: {detail}"),
            status_code=422,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path")]
        field = ".".join(loc) or None
        message = first.get("msg", "invalid request")
        return JSONResponse(_body("invalid_input", f"{field}: {message}", field), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            _body(code.get(exc.status_code, "http_error"), str(exc.detail)),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
