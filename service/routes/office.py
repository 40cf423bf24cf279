"""The town office's monthly work (整治办): pages under /pages/office/, admin only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from geo.users import User
from service.web import PageLang, page_user, render

router = APIRouter(prefix="/pages/office", tags=["pages 页面"], include_in_schema=False)
Office = Annotated[User, Depends(page_user("admin"))]


@router.get("/", response_class=HTMLResponse)
def office_home(request: Request, lang: PageLang, user: Office) -> HTMLResponse:
    """月度工作 (being built)."""
    del user
    return render(request, "office/home.html", lang)
