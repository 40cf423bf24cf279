"""Every successful write through the service is recorded with who did it (audit_log).

The row is written in the request's own transaction, just before it commits, so a write
and its audit row are stored together or not at all.
"""

from __future__ import annotations

import json

from fastapi import Request
from sqlalchemy import Connection, text

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def record_write(conn: Connection, request: Request) -> None:
    """Add the audit row of a write request that succeeded (no-op for reads and anonymous)."""
    user = getattr(request.state, "user", None)
    if request.method not in WRITE_METHODS or user is None:
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
