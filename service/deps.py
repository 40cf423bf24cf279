"""Named dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection


def get_connection(request: Request) -> Iterator[Connection]:
    """One connection and transaction per request (committed when the route returns)."""
    with request.app.state.engine.begin() as conn:
        yield conn


ConnDep = Annotated[Connection, Depends(get_connection)]
