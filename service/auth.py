"""Who is calling: bearer tokens or a sign-in session cookie → users; CSRF; role checks.

Two ways in, one `optional_user`:

- `Authorization: Bearer <token>` (scripts, the API; tokens from `cunrong user add`). No
  CSRF token is needed: a browser never adds this header to a cross-site request.
- the `cunrong_session` cookie set by `POST /login` (people, on the pages). Every unsafe
  request (POST, PUT, PATCH, DELETE) that rides on the cookie must prove it comes from one
  of our pages with the CSRF token (see `csrf_protect`).

A map page fetched with a bearer token only (a WebView or a script that sets the header on
the page's request, not on what the page then loads) puts a `map_key` in the URLs its
scripts fetch: signed, read-only, only for tiles, an issue's JSON and thumbnails, bound to
the token and expiring after `session_hours` (`map_key_for`, docs/tiles.md).
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection

from geo.accounts import keyed_hash, user_for_session
from geo.errors import CunrongError, Forbidden
from geo.towns import TownScope, use_town
from geo.users import User, active_user_and_token_hash, hash_token, user_in_town_for_token
from service.deps import ConnDep

_bearer = HTTPBearer(auto_error=False, description="token from `cunrong user add`")

SESSION_COOKIE = "cunrong_session"
"""The sign-in session's id (HttpOnly, SameSite=Lax, Secure over https)."""
ANON_COOKIE = "cunrong_csrf"
"""A random value that anchors the CSRF token of the sign-in form before anyone signs in."""
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Unauthorized(CunrongError):
    """No valid token or session."""

    code = "unauthorized"


MAP_KEY = "map_key"
"""The query parameter carrying a bearer-only map page's key to its tiles and popups."""
MAP_KEY_PATHS = re.compile(
    r"/(tiles/(issues|villages)/\d+/\d+/\d+\.mvt"
    r"|issues/[0-9a-fA-F-]{36}|photos/[0-9a-fA-F-]{36}/thumbnail)"
)
"""What a map page's scripts fetch; a map key opens nothing else."""


def _map_key_mac(secret: str, user_id: int, expires: int, token_hash: str) -> str:
    return keyed_hash(secret, f"{user_id}.{expires}.{token_hash}", purpose="map_key")[:40]


def map_key_for(secret: str, user_id: int, token_hash: str, *, hours: float) -> str:
    """A key for the tile, issue and thumbnail requests of one map page served on a bearer
    token (`token_hash`, its SHA-256): `user.expires.mac`, the MAC under `secret_key` over the
    token's hash, so it ends
    when the token is revoked or replaced, or after `hours`."""
    expires = int(time.time() + hours * 3600)
    return f"{user_id}.{expires}.{_map_key_mac(secret, user_id, expires, token_hash)}"


def user_for_map_key(conn: Connection, key: str, *, secret: str) -> User | None:
    """The active user a map key was made for, if it is well formed, unexpired and theirs."""
    parts = key.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    user_id, expires = int(parts[0]), int(parts[1])
    if expires < time.time() or user_id > 2**62:
        return None
    found = active_user_and_token_hash(conn, user_id)
    if found is None:
        return None
    user, token_hash = found
    if token_hash is None:
        return None
    mac = _map_key_mac(secret, user_id, expires, token_hash)
    if not hmac.compare_digest(parts[2].encode(), mac.encode()):
        return None
    return user


def _map_key_user(request: Request, conn: Connection) -> User | None:
    """The user of a `map_key` on a request a map page makes (401 for a bad one)."""
    key = request.query_params.get(MAP_KEY)
    if key is None or request.method not in ("GET", "HEAD"):
        return None
    root = request.scope.get("root_path", "")
    path = request.url.path.removeprefix(root)
    if not MAP_KEY_PATHS.fullmatch(path):
        return None
    user = user_for_map_key(conn, key, secret=request.app.state.settings.secret_key)
    if user is None:
        raise Unauthorized(
            "the map key is unknown, expired or its token revoked; reload the map", field=MAP_KEY
        )
    return user


class CsrfRefused(Forbidden):
    """An unsafe request on the session cookie without the page's CSRF token."""

    code = "csrf_failed"


def csrf_anchor(request: Request) -> str | None:
    """The cookie value the CSRF token is derived from: the session, else the anonymous one."""
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE)


def csrf_for(secret: str, anchor: str) -> str:
    """The CSRF token that goes with a cookie value (an HMAC under `secret_key`)."""
    return keyed_hash(secret, anchor, purpose="csrf")


async def csrf_protect(request: Request) -> None:
    """Refuse (403 `csrf_failed`) an unsafe request that rides on our cookies without the
    CSRF token of the page it came from. Installed for every route of the app.

    The token is bound to the session: ``HMAC(secret_key, session cookie)``; before signing
    in, to the random ``cunrong_csrf`` cookie. Pages get it as ``csrf_token`` in the
    template context (``service.web.page_context``), also in
    ``<meta name="csrf-token" content="…">`` of base.html.

    How to send it:

    - an HTML form: the hidden field ``csrf_token``; templates write ``{{ csrf_input }}``
      inside every ``<form method="post">``;
    - ``fetch``/XHR from a page with the session cookie (JSON API calls, photo uploads with
      FormData): the header ``X-CSRF-Token: <token>``, e.g.
      ``headers: {"X-CSRF-Token": document.querySelector('meta[name=csrf-token]').content}``.
      A multipart body may carry the ``csrf_token`` field instead of the header.
    - a service worker replaying queued posts later: store the token with the queued item
      and send the header; if the session changed meanwhile the post is refused (403) and
      must be re-tokened from a fresh page.

    Requests with ``Authorization: Bearer …`` (scripts) need no CSRF token; nor do API
    requests without our cookies (they carry no credential a browser adds by itself). A
    form post to a page (``/login``, ``/logout``, ``/pages/…``) always needs one, so the
    sign-in form cannot be posted from another site either.
    """
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    anchor = csrf_anchor(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = content_type in FORM_TYPES
    if request.cookies.get(SESSION_COOKIE) is None and not (
        is_form and _is_page_path(request.url.path)
    ):
        return  # no credential rides along: the route's own checks answer (401 and so on)
    sent = request.headers.get(CSRF_HEADER)
    if not sent and is_form:
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    secret = request.app.state.settings.secret_key
    expected = csrf_for(secret, anchor) if anchor is not None else ""
    # bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500)
    if not sent or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfRefused(
            "this form or request lacks a valid CSRF token; reload the page and try again"
            f" (send the page's token as the '{CSRF_FIELD}' field or the {CSRF_HEADER} header)",
            field=CSRF_FIELD,
        )


def _is_page_path(path: str) -> bool:
    from service.web import is_page_path

    return is_page_path(path)


def optional_user(
    request: Request,
    conn: ConnDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    """The caller, or None for nobody. A bearer token wins and a bad one is always refused;
    else a live session cookie names the user (an expired or revoked one counts as nobody)."""
    if credentials is not None:
        found = user_in_town_for_token(conn, credentials.credentials)
        if found is None:
            raise Unauthorized("the token is unknown or revoked", field="Authorization")
        request.state.user, request.state.town = found  # and the transaction's town is set
        request.state.auth = "bearer"
        request.state.token_hash = hash_token(credentials.credentials)  # for map_key_for
        return found[0]
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        user = user_for_session(conn, session_id, secret=request.app.state.settings.secret_key)
        if user is not None:
            request.state.user = user
            request.state.auth = "session"
            _write_in_town(conn, user)
            return user
    user = _map_key_user(request, conn)
    if user is not None:
        request.state.user = user
        request.state.auth = "map_key"
        _write_in_town(conn, user)
    return user


def _write_in_town(conn: Connection, user: User) -> None:
    """Whatever the request writes without a town goes to the user's town."""
    if user.town_id is not None:
        use_town(conn, user.town_id)


def town_scope(user: User | None) -> TownScope:
    """The towns a caller reads: their town, a district's towns; None (every town) for an
    anonymous reader (only where anonymous reading is on, i.e. the development demo)."""
    return None if user is None else user.towns


def signed_in(user: User | None) -> User:
    """The caller; 401 without a token."""
    if user is None:
        raise Unauthorized(
            "sign in at /login, or send 'Authorization: Bearer <token>'"
            " (create one with `cunrong user add`)",
            field="Authorization",
        )
    return user


def may_read(request: Request, user: User | None) -> User | None:
    """Any reader: anonymous reads only when CUNRONG_ANONYMOUS_READ is on (401 otherwise)."""
    if user is None and not request.app.state.settings.anonymous_read:
        return signed_in(None)
    return user


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The caller; 401 without a token. (The checks on the user found are `async`: they do
    no I/O, and a plain `def` would cost each request a trip through the threadpool.)"""
    return signed_in(user)


async def reader(
    request: Request, user: Annotated[User | None, Depends(optional_user)]
) -> User | None:
    """Any reader: anonymous reads only when CUNRONG_ANONYMOUS_READ is on."""
    return may_read(request, user)


def require(*roles: str, write: bool = True) -> Callable[[User], Coroutine[Any, Any, User]]:
    """A dependency allowing only `roles` (403 for others, 401 without a token); with
    `write`, never a district reader (who reads every town of a district and writes none)."""

    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise Forbidden(
                f"role {user.role} may not do this; allowed: {', '.join(roles)}", field="role"
            )
        if write and user.town_id is None:
            raise Forbidden(
                f"user {user.name} reads the towns of district {user.district_code} only",
                field="role",
            )
        return user

    return check


def check_village_scope(user: User | None, village_code: str | None) -> None:
    """A village user acts on their own village only."""
    if user is not None and user.role == "village" and village_code != user.village_code:
        raise Forbidden(
            f"user {user.name} acts for village {user.village_code} only", field="village"
        )


CurrentUser = Annotated[User, Depends(current_user)]
Reader = Annotated[User | None, Depends(reader)]
Writer = Annotated[User, Depends(require("admin", "inspector", "village"))]
Inspector = Annotated[User, Depends(require("admin", "inspector"))]
Admin = Annotated[User, Depends(require("admin"))]
OfficeOrLeader = Annotated[User, Depends(require("admin", "leader"))]
"""整治办 or a town leader: records interviews (约谈) held."""


def map_key(request: Request, user: User | None) -> str | None:
    """The `map_key` a page served on a bearer token gives the requests its scripts make
    (None on a session or an anonymous read: the cookie, or nothing, goes along anyway)."""
    if user is None or getattr(request.state, "auth", None) != "bearer":
        return None
    settings = request.app.state.settings
    return map_key_for(
        settings.secret_key, user.id, request.state.token_hash, hours=settings.session_hours
    )
