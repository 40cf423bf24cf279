"""GET /bulletins/{month}.pdf|png: the monthly bulletin (月度通报), for the office and leaders."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from geo.users import User
from service.auth import require
from service.bulletin import bulletin
from service.deps import ConnDep
from service.towns import TownQuery, town_for
from service.web import BULLETIN_ROLES

router = APIRouter(tags=["bulletins"])

BulletinReader = Annotated[User, Depends(require(*BULLETIN_ROLES, write=False))]
MEDIA = {"pdf": "application/pdf", "png": "image/png"}


@router.get(
    "/bulletins/{month}.{fmt}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}}}},
)
def get_bulletin(
    month: Annotated[str, Path(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")],
    fmt: Annotated[str, Path(pattern="^(pdf|png)$", description="pdf (A4) or png (16:9)")],
    request: Request,
    conn: ConnDep,
    user: BulletinReader,
    town: TownQuery = None,
) -> Response:
    """月度通报 of the month: A4 PDF, or a 1920×1080 PNG slide (rendered by headless Chromium;
    a plain `def`, so FastAPI runs it in the threadpool)."""
    settings = request.app.state.settings
    here = town_for(request, conn, user, town)
    data = bulletin(
        conn,
        month,
        fmt=fmt,
        rules=here.rules_for_month(month),
        town_id=here.id,
        photo_root=request.app.state.photo_root,
        town_name=here.town.name,
        timeout_s=settings.bulletin_timeout_s,
        interview_late_days=settings.interview_late_days,
    )
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'inline; filename="bulletin-{month}.{fmt}"'},
    )
