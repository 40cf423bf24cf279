"""Every successful write through the service is recorded with who did it (audit_log).

The row is written in the request's own transaction, just before it commits, so a write
and its audit row are stored together or not at all.
"""

from __future__ import annotations

import json

from fastapi import Request
from sqlalchemy import Connection, text

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def audit_params(request: Request) -> dict[str, object]:
    """The audit row of this request as the parameters a statement that writes it along
    with its change takes (`geo.loop.AUDIT_PARAMS`); the route then marks the request
    `audited` so that `record_write` does not add a second row."""
    user = request.state.user
    return {
        "audit_actor": user.name,
        "audit_role": user.role,
        "audit_method": request.method,
        "audit_path": request.url.path,
        "audit_detail": json.dumps({"query": request.url.query}, ensure_ascii=False),
    }


def record_write(conn: Connection, request: Request) -> None:
    """Add the audit row of a write request that succeeded (no-op for reads and anonymous,
    and for a request whose own statement wrote its audit row: `request.state.audited`)."""
    user = getattr(request.state, "user", None)
    if request.method not in WRITE_METHODS or user is None:
        return
    if getattr(request.state, "audited", False):
        return
    route = request.scope.get("route")
    status = getattr(request.state, "status_code", None) or getattr(route, "status_code", None)
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
            "status": status or 200,
            "detail": json.dumps({"query": request.url.query}, ensure_ascii=False),
        },
    )
