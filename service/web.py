"""What every HTML page shares: templates, language, the signed-in user, CSRF, errors.

For page routes (here and in other modules):

    from service.web import PageLang, page_user, render

    @router.get("/pages/thing", response_class=HTMLResponse)
    def thing(request: Request, lang: PageLang, user: Annotated[User, Depends(page_user("admin"))]):
        return render(request, "thing.html", lang, title_zh="…", rows=…)

- `page_user(*roles)`: the signed-in user; nobody signed in → 303 to `/login?next=…`,
  a role not listed → the 403 page. `page_reader`: also lets anonymous readers in while
  anonymous reads are on (the demo).
- `render` fills the context every template of base.html expects: `t(zh, en)`, `lang`,
  `user`, `csrf_token` (also in `<meta name="csrf-token">` for fetch), `csrf_input` (the
  hidden form field, write `{{ csrf_input }}` in every form), `nav`, `csp_nonce` (write
  `<script nonce="{{ csp_nonce }}" …>` on every script: the Content-Security-Policy runs
  no other; no inline handlers like `onclick=`, use addEventListener in static/*.js); and
  remembers a `?lang=` choice in a cookie. base.html's blocks: `title`, `head`, `main`, `scripts`.
- A page never answers with JSON: errors raised on a page path become `error.html`
  (see `is_page_path`; wired in service.errors).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from html import escape as html_escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import folium
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from geo.errors import Forbidden
from geo.interviews import interview_wording
from geo.maps.assets import page_html
from geo.notify.inbox import unread_count
from geo.users import User
from service.auth import (
    ANON_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    Unauthorized,
    csrf_for,
    optional_user,
)
from service.middleware import csp_nonce

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")

LANG_COOKIE = "cunrong_lang"
LANGS = ("zh", "en")

HOME = {
    "admin": "/pages/office/",
    "inspector": "/pages/report",
    "village": "/pages/my-village",
    "leader": "/",
    "planner": "/sites/map",
}
"""Where each role lands after signing in."""

ROLE_LABELS = {
    "admin": ("整治办", "town office"),
    "inspector": ("检查员", "inspector"),
    "village": ("村", "village"),
    "leader": ("领导", "leader"),
    "planner": ("规划", "planner"),
}

FIELD_ROLES = ("inspector", "admin")
"""Who opens the capture and recheck pages (/pages/report, /pages/recheck)."""
SITES_ROLES = ("planner", "admin", "leader")
"""Who reads the micro-landscape sites and their map (/sites/map)."""
BULLETIN_ROLES = ("admin", "leader")
"""Who downloads the monthly bulletin (/bulletins/{month}.pdf|png)."""
INTERVIEW_ROLES = ("admin", "leader")
"""Who records interviews held (/pages/interviews, POST /interviews/{month}/{village})."""
PAGE_ROLES: dict[str, tuple[str, ...]] = {
    "/pages/interviews": INTERVIEW_ROLES,
    "/pages/report": FIELD_ROLES,
    "/pages/recheck": FIELD_ROLES,
    "/sites/map": SITES_ROLES,
    "/bulletins": BULLETIN_ROLES,
    "/pages/office/import": ("admin",),
}
"""Pages that only some roles open: a page offers a link to them only to those roles."""


def may_open(user: User | None, path: str) -> bool:
    """Whether `user` may open the page at `path` (one of PAGE_ROLES; any other: yes)."""
    roles = PAGE_ROLES.get(path)
    return roles is None or (user is not None and user.role in roles)


NAV: dict[str, tuple[tuple[str, str, str], ...]] = {
    "admin": (
        ("/pages/office/", "月度工作", "Monthly work"),
        ("/", "总览", "Overview"),
        ("/pages/report", "现场登记", "Report"),
        ("/pages/recheck", "复核", "Recheck"),
        ("/maps/ranking", "排名图", "Ranking map"),
        ("/pages/office/users", "用户", "Users"),
    ),
    "inspector": (
        ("/pages/report", "现场登记", "Report"),
        ("/pages/recheck", "复核", "Recheck"),
        ("/", "总览", "Overview"),
    ),
    "village": (
        ("/pages/my-village", "本村整改", "My village"),
        ("/", "总览", "Overview"),
    ),
    "leader": (
        ("/", "总览", "Overview"),
        ("/maps/ranking", "排名图", "Ranking map"),
        ("/maps/status", "整改情况", "Rectification"),
        ("/pages/interviews", "约谈", "Interviews"),
    ),
    "planner": (
        ("/sites/map", "选址", "Sites"),
        ("/", "总览", "Overview"),
    ),
}
ANON_NAV = (("/", "总览", "Overview"),)

PAGE_PREFIXES = ("/pages/", "/maps/", "/account/")
PAGE_PATHS = frozenset({"/", "/login", "/logout", "/pages", "/sites/map"})


def is_page_path(path: str) -> bool:
    """Whether a path is a page for people (HTML, never JSON) rather than the API."""
    return path in PAGE_PATHS or path.startswith(PAGE_PREFIXES)


def home_of(user: User) -> str:
    """The page a user lands on after signing in."""
    return HOME.get(user.role, "/")


def safe_next(value: str | None) -> str | None:
    """A local path to return to after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    if value.startswith(("/login", "/logout")):
        return None
    return value


def login_redirect(request: Request) -> RedirectResponse:
    """303 to the sign-in page, coming back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        here = request.headers.get("referer") or "/"
        here = safe_next(here) or "/"
    return RedirectResponse(f"/login?next={quote(here, safe='/')}", status_code=303)


def page_lang(request: Request) -> str:
    """zh (default) or en: the `lang` query parameter, else the remembered choice."""
    asked = request.query_params.get("lang")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(LANG_COOKIE)
    return remembered if remembered in LANGS else "zh"


PageLang = Annotated[str, Depends(page_lang)]


def is_secure(request: Request) -> bool:
    """Served over https, directly or behind a proxy that says so (X-Forwarded-Proto)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def csrf_token(request: Request) -> str:
    """The CSRF token for forms and fetches of this page (see service.auth.csrf_protect).

    Before anyone signs in it is anchored on a random cookie, set here if missing (and by
    `render` on the response)."""
    session = request.cookies.get(SESSION_COOKIE)
    anchor: str | None
    if session and getattr(request.state, "auth", None) == "session":
        anchor = session
    else:
        anchor = request.cookies.get(ANON_COOKIE) or getattr(request.state, "new_anchor", None)
        if anchor is None:
            anchor = secrets.token_urlsafe(24)
            request.state.new_anchor = anchor
    return csrf_for(request.app.state.settings.secret_key, str(anchor))


def page_user(*roles: str) -> Callable[..., User]:
    """A page dependency: the signed-in user (of one of `roles`, when given)."""

    def dependency(user: Annotated[User | None, Depends(optional_user)]) -> User:
        if user is None:
            raise Unauthorized("sign in to see this page", field="session")
        if roles and user.role not in roles:
            allowed = "、".join(ROLE_LABELS.get(r, (r, r))[0] for r in roles)
            own = ROLE_LABELS.get(user.role, (user.role, user.role))[0]
            raise Forbidden(
                f"本页供{allowed}使用，你登录的账号是{own} / this page is for"
                f" {', '.join(roles)}; you are signed in as {user.role}",
                field="role",
            )
        return user

    return dependency


def page_reader(
    request: Request, user: Annotated[User | None, Depends(optional_user)]
) -> User | None:
    """A page dependency: anyone while anonymous reads are on, else a signed-in user."""
    if user is None and not request.app.state.settings.anonymous_read:
        raise Unauthorized("sign in to see this page", field="session")
    return user


PageReader = Annotated[User | None, Depends(page_reader)]


def unread_of(request: Request, user: User | None) -> int | None:
    """The signed-in user's unread messages, for the header of every page (None: nobody
    signed in, or the database cannot answer — the page itself then says what is wrong)."""
    engine = getattr(request.app.state, "engine", None)
    if user is None or engine is None:
        return None
    try:
        with engine.connect() as conn:
            return unread_count(conn, user.id)
    except SQLAlchemyError:
        return None


def interview_words(standing: Any, lang: str) -> str:
    """A ranking line's interview (M4) in the page's language ('' when none is due)."""
    return interview_wording(standing.interview or None, standing.streak, lang) or ""


def page_context(request: Request, lang: str, **values: Any) -> dict[str, Any]:
    """The context base.html needs, plus `values`."""

    def t(zh: str, en: str) -> str:
        return zh if lang == "zh" else en

    user: User | None = getattr(request.state, "user", None)
    query = dict(request.query_params) | {"lang": "en" if lang == "zh" else "zh"}
    nav = NAV.get(user.role, ANON_NAV) if user else ANON_NAV
    token = csrf_token(request)
    return {
        "request": request,
        "lang": lang,
        "t": t,
        "user": user,
        "role_label": (lambda r: t(*ROLE_LABELS.get(r, (r, r)))),
        "may_open": (lambda path: may_open(user, path)),
        "interview_words": (lambda standing: interview_words(standing, lang)),
        "nav": [(href, t(zh, en)) for href, zh, en in nav],
        "current_path": request.url.path,
        "other_lang_query": urlencode(query),
        "csrf_token": token,
        "csp_nonce": csp_nonce(request),
        "csrf_input": Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'),
        "anonymous_read": request.app.state.settings.anonymous_read,
        "unread_count": unread_of(request, user),
        **values,
    }


def finish(request: Request, response: HTMLResponse) -> HTMLResponse:
    """Set the cookies a page needs: the remembered language, the anonymous CSRF anchor."""
    asked = request.query_params.get("lang")
    if asked in LANGS and request.cookies.get(LANG_COOKIE) != asked:
        response.set_cookie(
            LANG_COOKIE, asked, max_age=365 * 86400, samesite="lax", secure=is_secure(request)
        )
    anchor = getattr(request.state, "new_anchor", None)
    if anchor:
        response.set_cookie(
            ANON_COOKIE, anchor, httponly=True, samesite="lax", secure=is_secure(request)
        )
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def render(
    request: Request, template: str, lang: str, *, status_code: int = 200, **values: Any
) -> HTMLResponse:
    """A page from `template` with the shared context."""
    response = templates.TemplateResponse(
        request, template, page_context(request, lang, **values), status_code=status_code
    )
    return finish(request, response)


def map_page(request: Request, m: folium.Map, *, csrf: bool = False) -> HTMLResponse:
    """A map of geo.maps as a page: its scripts carry this response's CSP nonce.

    A map is a whole page of its own, not base.html. For a signed-in user it carries what
    base.html gives every page for offline use: `<meta name="cunrong-user">` and
    static/offline.js, which registers the service worker and asks it to keep this map when
    the worker did not answer it (a planner lands on /sites/map right after signing in). An
    anonymous map gets neither (offline.js would empty the kept pages). Both are fixed
    markup of ours put at the end of the head and of the body; the page's own scripts get
    the nonce from the map's templates (geo.maps.assets.page_html). With `csrf`, the page
    also carries `<meta name="csrf-token">` for the JSON calls its scripts make on the
    session (the sites map's decisions)."""
    user = getattr(request.state, "user", None)
    nonce = csp_nonce(request)
    html = page_html(m, nonce=nonce)
    if isinstance(user, User):
        meta = f'<meta name="cunrong-user" content="{int(user.id)}">'
        if csrf:
            meta += f'\n<meta name="csrf-token" content="{html_escape(csrf_token(request))}">'
        html = html.replace("</head>", meta + "\n</head>", 1)
        end = html.rfind("</body>")
        script = f'<script nonce="{nonce}" src="/static/offline.js"></script>\n'
        html = html[:end] + script + html[end:]
    return HTMLResponse(html)


ERROR_TITLES = {
    400: ("请求有误", "Bad request"),
    401: ("请先登录", "Please sign in"),
    403: ("无权访问", "Not allowed"),
    404: ("未找到", "Not found"),
    405: ("不支持的操作", "Method not allowed"),
    409: ("数据已被他人修改", "Changed meanwhile"),
    422: ("输入有误", "Please check the input"),
    429: ("尝试次数过多", "Too many attempts"),
}


def error_page(
    request: Request, status: int, message: str, *, field: str | None = None
) -> HTMLResponse:
    """An error for a person: same layout as every page, what went wrong and what to do."""
    title = ERROR_TITLES.get(status, ("出错了", "Something went wrong"))
    lang = page_lang(request)
    if status == 403 and field == "csrf_token":
        title = ("页面已过期", "The page has expired")
    user = getattr(request.state, "user", None)  # 回到首页: the page they land on
    return render(
        request,
        "error.html",
        lang,
        status_code=status,
        status=status,
        title_zh=title[0],
        title_en=title[1],
        message=message,
        field=field,
        back=request.headers.get("referer") if request.method == "GET" else None,
        home=home_of(user) if isinstance(user, User) else "/",
    )
