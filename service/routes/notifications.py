"""The inbox over HTTP and as a page, and the office's view of the delivery queue.

- `GET /me/notifications` (JSON): the caller's messages and unread count;
  `POST /me/notifications/{id}/read`, `POST /me/notifications/read-all`.
- `/pages/inbox`: the same for people, with mark read / mark all read buttons.
- `/pages/office/deliveries` (admin): dead letters (死信) with a retry button, what waits
  for a retry, what was sent, and the webhook subscriptions — of the admin's town(s). A
  webhook of every town (`webhook.town_id` NULL: a district's or the deployment's
  integration) and its deliveries are listed only when the admin's scope is every town
  (in a single-town deployment: always); an admin of one town of several never sees its
  name or URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel

from geo.notify.inbox import INBOX_PAGE, inbox, mark_all_read, mark_read, unread_count
from geo.notify.kinds import kind_label
from geo.notify.queue import deliveries, delivery_counts, retry, webhooks
from geo.users import User
from service.auth import CurrentUser, town_scope
from service.deps import ConnDep
from service.web import PageLang, page_user, render

router = APIRouter(tags=["notifications 通知"])
pages = APIRouter(include_in_schema=False)


class NotificationOut(BaseModel):
    """One message of the inbox."""

    id: int
    kind: str
    title_zh: str
    title_en: str
    body_zh: str
    body_en: str
    link: str | None
    issue_code: str | None
    village: str | None
    created_at: datetime
    read_at: datetime | None


class InboxOut(BaseModel):
    """The caller's messages, newest first, and how many are unread."""

    unread: int
    items: list[NotificationOut]


class ReadOut(BaseModel):
    """After marking read: how many are still unread."""

    unread: int
    marked: int


Unread = Annotated[bool, Query(description="only unread messages")]
MAX_ID = 2**63 - 1
"""The largest bigint: ids beyond it name nothing (422, not a database error)."""
Before = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="only messages older than this id")
]
NotificationId = Annotated[int, Path(ge=1, le=MAX_ID)]
DeliveryId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/me/notifications", response_model=InboxOut)
def my_notifications(
    conn: ConnDep,
    user: CurrentUser,
    unread: Unread = False,
    before: Before = None,
    limit: Limit = INBOX_PAGE,
) -> InboxOut:
    """站内消息: the caller's notifications (newest first) and the unread count."""
    items = inbox(conn, user.id, unread_only=unread, before=before, limit=limit)
    return InboxOut(unread=unread_count(conn, user.id), items=[NotificationOut(**i) for i in items])


@router.post("/me/notifications/{notification_id}/read", response_model=ReadOut)
def read_one(notification_id: NotificationId, conn: ConnDep, user: CurrentUser) -> ReadOut:
    """Mark one of the caller's messages read (404 when it is not theirs)."""
    mark_read(conn, user.id, notification_id)
    return ReadOut(unread=unread_count(conn, user.id), marked=1)


@router.post("/me/notifications/read-all", response_model=ReadOut)
def read_all(conn: ConnDep, user: CurrentUser) -> ReadOut:
    """Mark every message of the caller read."""
    marked = mark_all_read(conn, user.id)
    return ReadOut(unread=0, marked=marked)


# --- pages ----------------------------------------------------------------------------------

Person = Annotated[User, Depends(page_user())]
Office = Annotated[User, Depends(page_user("admin"))]


@pages.get("/pages/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: Person,
    unread: Unread = False,
    before: Before = None,
) -> HTMLResponse:
    """消息: the signed-in user's messages, unread first marked, with mark-read buttons."""
    items = inbox(conn, user.id, unread_only=unread, before=before, limit=INBOX_PAGE)
    return render(
        request,
        "inbox.html",
        lang,
        items=items,
        only_unread=unread,
        kind_label=lambda k: kind_label(k, lang),
        older=items[-1]["id"] if len(items) == INBOX_PAGE else None,
        unread=unread_count(conn, user.id),
    )


@pages.post("/pages/inbox/{notification_id}/read")
def inbox_read(notification_id: NotificationId, conn: ConnDep, user: Person) -> RedirectResponse:
    """Mark one message read, back to the inbox."""
    mark_read(conn, user.id, notification_id)
    return RedirectResponse("/pages/inbox", status_code=303)


@pages.post("/pages/inbox/read-all")
def inbox_read_all(conn: ConnDep, user: Person) -> RedirectResponse:
    """Mark every message read, back to the inbox."""
    mark_all_read(conn, user.id)
    return RedirectResponse("/pages/inbox", status_code=303)


@pages.get("/pages/office/deliveries", response_class=HTMLResponse)
def deliveries_page(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: Office,
    retried: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    """通知投递: dead letters with a retry button, deliveries waiting, recently sent."""
    towns = town_scope(user)  # an admin sees the deliveries of their own town
    shown: dict[str, list[dict[str, Any]]] = {
        status: deliveries(conn, status=status, limit=100, towns=towns)
        for status in ("dead", "pending", "sent")
    }
    return render(
        request,
        "office/deliveries.html",
        lang,
        counts=delivery_counts(conn, towns=towns),
        dead=shown["dead"],
        pending=shown["pending"],
        sent=shown["sent"],
        # its towns' webhooks; those of every town only when the scope is every town
        webhooks=webhooks(conn, towns=towns),
        retried=retried,
        kind_label=lambda k: kind_label(k, lang),
    )


@pages.post("/pages/office/deliveries/{delivery_id}/retry")
def delivery_retry(delivery_id: DeliveryId, conn: ConnDep, user: Office) -> RedirectResponse:
    """Queue a dead letter again; the worker sends it on its next pass."""
    retry(conn, delivery_id, towns=town_scope(user))
    return RedirectResponse(f"/pages/office/deliveries?retried={delivery_id}", status_code=303)
