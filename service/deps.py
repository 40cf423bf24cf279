"""Named dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection
from starlette.datastructures import FormData

from service.audit import record_write


def get_connection(request: Request) -> Iterator[Connection]:
    """One connection and transaction per request, committed when the route returns.

    The dependency has function scope, so the commit happens before the response is sent:
    a client told 201 can rely on the write being stored, and a failed commit is an error
    response, not a silent loss. A successful write's audit row joins the same transaction.
    """
    with request.app.state.engine.begin() as conn:
        yield conn
        record_write(conn, request)


ConnDep = Annotated[Connection, Depends(get_connection, scope="function")]


async def read_form(request: Request) -> FormData:
    """The posted form, read on the event loop so that the route itself can be a plain `def`
    (run in the threadpool) and keep its SQL off the loop."""
    return await request.form()


FormDep = Annotated[FormData, Depends(read_form)]
