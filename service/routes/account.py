"""Signing in and out, and changing one's own password (pages; forms post with CSRF)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection, text

from geo.accounts import (
    authenticate,
    create_session,
    end_session,
    failure_delay,
    keyed_hash,
    recent_failures,
    record_attempt,
    set_password,
    user_for_session,
)
from geo.errors import InvalidInput
from geo.passwords import verify_password
from geo.users import User
from service.auth import ANON_COOKIE, SESSION_COOKIE
from service.deps import ConnDep
from service.web import (
    PageLang,
    home_of,
    is_secure,
    page_user,
    render,
    safe_next,
)

router = APIRouter(tags=["pages 页面"], include_in_schema=False)
log = logging.getLogger("cunrong.login")

OUTCOME_MESSAGES = {
    "locked": (
        "尝试次数过多，已暂时锁定，请于 {until} 后再试。",
        "Too many failed attempts: sign-in is locked until {until}.",
    ),
    "failed": ("用户名或密码不正确。", "Wrong user name or password."),
}


def client_address(request: Request) -> str:
    """The caller's address (uvicorn puts the proxy's X-Forwarded-For here when the
    proxy is trusted: FORWARDED_ALLOW_IPS)."""
    return request.client.host if request.client else "unknown"


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    next: str | None = None,
) -> Response:
    """登录: the sign-in form (a signed-in user goes straight to their home page)."""
    session_id = request.cookies.get(SESSION_COOKIE)
    user = (
        user_for_session(conn, session_id, secret=request.app.state.settings.secret_key)
        if session_id
        else None
    )
    if user is not None:
        request.state.user = user
        request.state.auth = "session"
        return RedirectResponse(safe_next(next) or home_of(user), status_code=303)
    response = render(request, "login.html", lang, next=safe_next(next) or "", username="")
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE)  # expired or revoked: forget it
    return response


@router.post("/login", response_class=HTMLResponse)
async def login_submit(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password; on success start a session and go to the user's home page."""
    settings = request.app.state.settings
    name = username.strip()
    address = client_address(request)
    window = timedelta(minutes=settings.login_window_minutes)

    def attempt(conn: Connection) -> tuple[str, User | None, str | None, int, str]:
        failures = recent_failures(
            conn, name=name, address=address, window=window, limit=settings.login_max_failures
        )
        if failures.unlocks_at is not None:
            record_attempt(conn, name=name, address=address, outcome="locked")
            return "locked", None, None, failures.worst, f"{failures.unlocks_at:%H:%M}"
        result = authenticate(conn, name, password)
        record_attempt(conn, name=name, address=address, outcome=result.outcome)
        if result.user is None:
            return result.outcome, None, None, failures.worst + 1, ""
        session_id = create_session(
            conn,
            result.user,
            secret=settings.secret_key,
            lifetime=timedelta(hours=settings.session_hours),
            address=address,
            user_agent=request.headers.get("user-agent"),
        )
        return "ok", result.user, session_id, 0, ""

    outcome, user, session_id, failures, until = await run_in_threadpool(attempt, conn)
    if user is None or session_id is None:
        log.warning("sign-in refused: user=%r address=%s outcome=%s", name, address, outcome)
        if outcome != "locked":
            # Slow down guessing; the answer is held without holding a worker thread.
            await asyncio.sleep(
                failure_delay(
                    failures,
                    base=settings.login_delay_seconds,
                    cap=settings.login_delay_max_seconds,
                )
            )
        key = "locked" if outcome == "locked" else "failed"
        zh, en = OUTCOME_MESSAGES[key]
        return render(
            request,
            "login.html",
            lang,
            status_code=429 if outcome == "locked" else 401,
            error=(zh if lang == "zh" else en).format(until=until),
            next=safe_next(next) or "",
            username=name,
        )
    log.info("signed in: user=%r address=%s", user.name, address)
    request.state.user = user  # the audit row of this POST names who signed in
    response = RedirectResponse(safe_next(next) or home_of(user), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path="/",
    )
    response.delete_cookie(ANON_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, conn: ConnDep) -> Response:
    """退出: end this session and forget the cookie."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        end_session(conn, session_id, secret=request.app.state.settings.secret_key)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_form(
    request: Request, lang: PageLang, user: Annotated[User, Depends(page_user())]
) -> HTMLResponse:
    """修改密码: the form."""
    return render(request, "password.html", lang, done=False)


@router.post("/account/password", response_class=HTMLResponse)
def password_change(
    request: Request,
    conn: ConnDep,
    lang: PageLang,
    user: Annotated[User, Depends(page_user())],
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    repeat: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    """Change one's own password; the user's other sessions end."""
    settings = request.app.state.settings
    stored = conn.execute(
        text("SELECT password_hash FROM app_user WHERE id = :id"),
        {"id": user.id},
    ).scalar()
    problem: tuple[str, str] | None = None
    if not verify_password(stored, current):
        problem = ("当前密码不正确。", "The current password is wrong.")
    elif new != repeat:
        problem = ("两次输入的新密码不一致。", "The two new passwords differ.")
    if problem is None:
        session_id = request.cookies.get(SESSION_COOKIE) or ""
        try:
            set_password(
                conn,
                user.name,
                new,
                keep_session_hash=keyed_hash(settings.secret_key, session_id, purpose="session"),
            )
        except InvalidInput as exc:
            problem = (f"新密码不符合要求：{exc}", f"The new password is refused: {exc}")
    if problem is not None:
        return render(
            request,
            "password.html",
            lang,
            status_code=422,
            done=False,
            error=problem[0] if lang == "zh" else problem[1],
        )
    return render(request, "password.html", lang, done=True)
