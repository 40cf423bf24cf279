"""Every successful write through the service is recorded with who did it (audit_log)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from sqlalchemy import text

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def install_audit(app: FastAPI) -> None:
    """Record method, path, status and the user of each successful write request."""

    @app.middleware("http")
    async def audit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        user = getattr(request.state, "user", None)
        if request.method in WRITE_METHODS and response.status_code < 400 and user is not None:
            with request.app.state.engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO audit_log (actor, role, method, path, status, detail)"
                        " VALUES (:actor, :role, :method, :path, :status, CAST(:detail AS jsonb))"
                    ),
                    {
                        "actor": user.name,
                        "role": user.role,
                        "method": request.method,
                        "path": request.url.path,
                        "status": response.status_code,
                        "detail": json.dumps({"query": request.url.query}, ensure_ascii=False),
                    },
                )
        return response
