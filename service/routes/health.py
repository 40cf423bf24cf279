"""Liveness and database check."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from geo import issue_reader
from service.deps import ConnDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(conn: ConnDep) -> dict[str, object]:
    """The service runs and PostGIS answers."""
    postgis = conn.execute(text("SELECT postgis_lib_version()")).scalar_one()
    villages = conn.execute(text("SELECT count(*) FROM village")).scalar_one()
    issues = issue_reader.count(conn)
    return {"status": "ok", "postgis": postgis, "villages": villages, "issues": issues}
