"""Signing in on the pages: sessions, CSRF, lock-out, expiry and revocation, safe defaults.

Every test talks to the real app on a real PostGIS (the two-village town of conftest), as a
browser would: the sign-in form hands out a CSRF token, the session lives in a cookie.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.accounts import failure_delay
from geo.users import create_user, deactivate_user
from service.app import create_app
from service.auth import SESSION_COOKIE
from service.cli import app as cli
from service.settings import ServiceSettings
from tests.cli import runner_for
from tests.service.signin import PASSWORDS, csrf_of, login, page_token

HOMES = {
    "admin": "/pages/office/",
    "inspector": "/pages/report",
    "west": "/pages/my-village",
    "leader": "/",
    "planner": "/sites/map",
}


def _app(url: str, tmp_path, **settings):
    settings.setdefault("login_delay_seconds", 0.0)
    app = create_app(ServiceSettings(database_url=url, **settings))
    app.state.photo_root = tmp_path / "photos"
    return app


@pytest.fixture
def strict(two_villages_url: str, people, tmp_path) -> Iterator[TestClient]:
    """The service as deployed: production, anonymous reads off by default."""
    app = _app(two_villages_url, tmp_path, environment="production", secret_key="s" * 40)
    with TestClient(app) as client:
        yield client


def _scalar(url: str, sql: str, **params):
    engine = create_engine(url)
    with engine.begin() as conn:
        result = conn.execute(text(sql), params)
        value = result.scalar() if result.returns_rows else None
    engine.dispose()
    return value


def _cookie_header(response) -> str:
    return next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v
    )


def _cookie_attributes(response) -> set[str]:
    """The attributes of the session cookie set by `response`, lower-cased."""
    return {a.strip().lower() for a in _cookie_header(response).split(";")[1:]}


def test_anonymous_reads_are_off_outside_development():
    assert ServiceSettings(environment="production", secret_key="x" * 32).anonymous_read is False
    assert ServiceSettings(environment="development").anonymous_read is True
    assert ServiceSettings(
        environment="production", secret_key="x" * 32, anonymous_read=True
    ).anonymous_read


@pytest.mark.parametrize("name", sorted(HOMES))
def test_each_role_lands_on_its_home_page_with_a_session_cookie(strict, name):
    response = login(strict, name, PASSWORDS[name])
    assert response.status_code == 303
    assert response.headers["location"] == HOMES[name]
    attributes = _cookie_attributes(response)
    assert {"httponly", "samesite=lax", "path=/", "max-age=43200"} <= attributes  # 12 h
    assert "secure" not in attributes  # plain http here
    who = strict.get("/account/password")
    assert who.status_code == 200 and name in who.text


def test_sign_in_returns_to_the_page_asked_for_but_never_to_another_site(strict):
    assert login(strict, "leader", PASSWORDS["leader"], next="/maps/status").headers[
        "location"
    ] == ("/maps/status")
    strict.cookies.clear()
    assert login(strict, "leader", PASSWORDS["leader"], next="//evil.example/x").headers[
        "location"
    ] == ("/")


def test_the_cookie_is_secure_behind_an_https_proxy(strict):
    form = strict.get("/login")
    response = strict.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORDS["admin"],
            "csrf_token": csrf_of(form.text),
        },
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert {"secure", "httponly", "samesite=lax"} <= _cookie_attributes(response)


def test_wrong_password_and_unknown_user_are_refused_on_the_page_and_logged(
    strict, two_villages_url
):
    for name, password in (("admin", "not-the-password"), ("nobody", "whatever-1")):
        response = login(strict, name, password)
        assert response.status_code == 401
        assert "text/html" in response.headers["content-type"]
        assert "用户名或密码不正确" in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert strict.get("/", follow_redirects=False).status_code == 303  # still nobody
    outcomes = _scalar(
        two_villages_url,
        "SELECT string_agg(username || ':' || outcome, ',' ORDER BY id) FROM login_attempt",
    )
    assert outcomes == "admin:bad_password,nobody:unknown_user"
    assert "not-the-password" not in outcomes


def test_a_post_without_the_csrf_token_is_refused(strict, two_villages_url):
    strict.get("/login")  # the anonymous CSRF cookie is set
    refused = strict.post("/login", data={"username": "admin", "password": PASSWORDS["admin"]})
    assert refused.status_code == 403
    assert "text/html" in refused.headers["content-type"]
    assert "页面已过期" in refused.text
    forged = strict.post(
        "/login",
        data={"username": "admin", "password": PASSWORDS["admin"], "csrf_token": "forged"},
    )
    assert forged.status_code == 403
    # a form posted from another site, with no cookie of ours at all
    strict.cookies.clear()
    assert strict.post("/login", data={"username": "a", "password": "b"}).status_code == 403
    assert _scalar(two_villages_url, "SELECT count(*) FROM user_session") == 0

    assert login(strict, "admin", PASSWORDS["admin"]).status_code == 303
    assert strict.post("/logout").status_code == 403  # still signed in
    assert strict.get("/account/password").status_code == 200
    token = page_token(strict)
    signed_out = strict.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/login"


def test_json_calls_on_the_session_need_the_csrf_header_bearer_tokens_do_not(
    strict, two_villages_url
):
    login(strict, "admin", PASSWORDS["admin"])
    body = {"month": "2024-05", "team": "整治办"}
    refused = strict.post("/rounds", json=body)
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert _scalar(two_villages_url, "SELECT count(*) FROM inspection_round") == 0
    token = page_token(strict)
    opened = strict.post("/rounds", json=body, headers={"X-CSRF-Token": token})
    assert opened.status_code == 201, opened.text
    assert opened.json()["opened_by"] == "admin"
    assert _scalar(two_villages_url, "SELECT actor FROM audit_log WHERE path = '/rounds'") == (
        "admin"
    )

    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        _, bearer = create_user(conn, name="script", role="admin")
    engine.dispose()
    script = TestClient(strict.app)
    by_token = script.post(
        "/rounds",
        json={"month": "2024-06", "team": "整治办"},
        headers={"Authorization": f"Bearer {bearer}"},
    )
    assert by_token.status_code == 201


def test_a_csrf_token_with_non_ascii_characters_is_refused_not_a_server_error(
    strict, two_villages_url
):
    """hmac.compare_digest raises TypeError on str with non-ASCII characters: a header
    (latin-1) or a form field with one was a 500."""
    login(strict, "admin", PASSWORDS["admin"])
    body = {"month": "2024-05", "team": "整治办"}
    by_header = strict.post("/rounds", json=body, headers={"X-CSRF-Token": "été".encode("latin-1")})
    assert by_header.status_code == 403 and by_header.json()["error"] == "csrf_failed"
    by_field = strict.post("/logout", data={"csrf_token": "令牌"}, follow_redirects=False)
    assert by_field.status_code == 403
    assert _scalar(two_villages_url, "SELECT count(*) FROM inspection_round") == 0


def test_ten_failures_in_fifteen_minutes_lock_the_user_and_the_address(strict, two_villages_url):
    for n in range(10):
        response = login(strict, "admin", f"wrong-guess-{n}")
        assert response.status_code == 401, n
    locked = login(strict, "admin", PASSWORDS["admin"])  # even the right password
    assert locked.status_code == 429
    assert "尝试次数过多" in locked.text
    assert SESSION_COOKIE not in locked.headers.get("set-cookie", "")
    # the address is locked too: another user from the same address is refused
    assert login(strict, "leader", PASSWORDS["leader"]).status_code == 429
    assert (
        _scalar(
            two_villages_url,
            "SELECT count(*) FROM login_attempt WHERE outcome = 'locked'",
        )
        == 2
    )
    # fifteen minutes later the failures have left the window
    _scalar(two_villages_url, "UPDATE login_attempt SET at = at - interval '16 minutes'")
    assert login(strict, "admin", PASSWORDS["admin"]).status_code == 303


def test_failures_are_answered_ever_more_slowly_after_the_third():
    delays = [failure_delay(n, base=0.5, cap=4.0) for n in range(1, 10)]
    assert delays[:2] == [0.0, 0.0]
    assert delays[2:6] == [0.5, 1.0, 2.0, 4.0]
    assert max(delays) == 4.0


def test_an_expired_or_revoked_session_signs_nobody_in(strict, two_villages_url):
    login(strict, "leader", PASSWORDS["leader"])
    assert strict.get("/", follow_redirects=False).status_code == 200
    lifetime = _scalar(two_villages_url, "SELECT expires_at - created_at FROM user_session")
    assert lifetime.total_seconds() == 12 * 3600  # CUNRONG_SESSION_HOURS
    _scalar(two_villages_url, "UPDATE user_session SET expires_at = now() - interval '1 second'")
    expired = strict.get("/", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"].startswith("/login")
    assert strict.get("/villages").status_code == 401

    login(strict, "leader", PASSWORDS["leader"])
    assert strict.get("/", follow_redirects=False).status_code == 200
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        deactivate_user(conn, "leader")
    engine.dispose()
    assert strict.get("/", follow_redirects=False).status_code == 303
    assert (
        _scalar(
            two_villages_url,
            "SELECT count(*) FROM user_session WHERE revoked_at IS NULL AND expires_at > now()",
        )
        == 0
    )
    assert login(strict, "leader", PASSWORDS["leader"]).status_code == 401  # revoked user


def test_a_signed_out_cookie_cannot_be_replayed(strict):
    login(strict, "leader", PASSWORDS["leader"])
    stolen = strict.cookies.get(SESSION_COOKIE)
    strict.post("/logout", data={"csrf_token": page_token(strict, "/")})
    other = TestClient(strict.app, cookies={SESSION_COOKIE: stolen})
    assert other.get("/", follow_redirects=False).status_code == 303


def test_without_anonymous_reads_pages_redirect_and_the_api_answers_401(strict):
    for path in ("/", "/pages/villages/W01/visit?month=2024-03", "/maps/issues", "/pages/office/"):
        response = strict.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=/"), path
    assert strict.get("/maps/ranking", follow_redirects=False).headers["location"] == (
        "/login?next=/maps/ranking"
    )
    for path in ("/villages", "/issues", "/rounds"):
        response = strict.get(path)
        assert response.status_code == 401 and response.json()["error"] == "unauthorized"
    assert strict.get("/health").status_code == 200
    assert strict.get("/login").status_code == 200


def test_a_village_user_cannot_open_another_villages_page(strict):
    login(strict, "west", PASSWORDS["west"])
    own = strict.get("/pages/villages/W01/visit?month=2024-03")
    assert own.status_code == 200 and "西村" in own.text
    other = strict.get("/pages/villages/E01/visit?month=2024-03")
    assert other.status_code == 403
    assert "text/html" in other.headers["content-type"]
    assert "无权访问" in other.text and "W01" in other.text
    assert strict.get("/pages/office/").status_code == 403


def test_pages_never_answer_with_json(strict):
    login(strict, "admin", PASSWORDS["admin"])
    no_month = strict.get("/pages/villages/W01/visit")
    assert no_month.status_code == 200 and "text/html" in no_month.headers["content-type"]
    bad_month = strict.get("/pages/villages/W01/visit?month=2024-13")
    assert bad_month.status_code == 422 and "text/html" in bad_month.headers["content-type"]
    assert "输入有误" in bad_month.text and "month" in bad_month.text
    unknown = strict.get("/pages/villages/NOPE/visit")
    assert unknown.status_code == 404 and "text/html" in unknown.headers["content-type"]
    assert "NOPE" in unknown.text
    assert strict.get("/?month=garbage").status_code == 422
    assert "<html" in strict.get("/?month=garbage").text
    missing = strict.get("/pages/no-such-page")
    assert missing.status_code == 404 and "<html" in missing.text


def test_a_user_changes_their_own_password_and_other_sessions_end(strict, two_villages_url):
    login(strict, "inspector", PASSWORDS["inspector"])
    elsewhere = TestClient(strict.app)
    login(elsewhere, "inspector", PASSWORDS["inspector"])
    token = page_token(strict)
    wrong = strict.post(
        "/account/password",
        data={"csrf_token": token, "current": "nope-nope", "new": "fresh-pass-2", "repeat": "x"},
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    short = strict.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": PASSWORDS["inspector"],
            "new": "short",
            "repeat": "short",
        },
    )
    assert short.status_code == 422 and "8" in short.text
    done = strict.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": PASSWORDS["inspector"],
            "new": "fresh-pass-2",
            "repeat": "fresh-pass-2",
        },
    )
    assert done.status_code == 200 and "密码已修改" in done.text
    assert strict.get("/account/password").status_code == 200  # this session goes on
    assert elsewhere.get("/account/password", follow_redirects=False).status_code == 303
    assert login(elsewhere, "inspector", PASSWORDS["inspector"]).status_code == 401
    assert login(elsewhere, "inspector", "fresh-pass-2").status_code == 303


def test_the_language_switch_is_remembered(strict):
    login(strict, "leader", PASSWORDS["leader"])
    assert "总览" in strict.get("/").text
    english = strict.get("/?lang=en")
    assert 'lang="en"' in english.text and "Sign out" in english.text
    assert 'lang="en"' in strict.get("/account/password").text
    assert 'lang="zh-CN"' in strict.get("/?lang=zh").text


def test_cli_adds_a_user_with_a_password_and_sets_a_new_one(two_villages_url, tmp_path):
    runner = runner_for(two_villages_url)
    added = runner.invoke(
        cli,
        ["user", "add", "王检查", "--role", "inspector", "--password"],
        input="short\nshort\nfield-pass-1\nfield-pass-1\n",
    )
    assert added.exit_code == 0, added.output
    assert "at least 8 characters" in added.output and "token: " in added.output
    assert "field-pass-1" not in added.output  # hidden input
    app = _app(two_villages_url, tmp_path, environment="production", secret_key="s" * 40)
    with TestClient(app) as client:
        assert login(client, "王检查", "field-pass-1").headers["location"] == "/pages/report"
        assert client.get("/account/password").status_code == 200
        changed = runner.invoke(
            cli, ["user", "passwd", "王检查"], input="other-pass-2\nother-pass-2\n"
        )
        assert changed.exit_code == 0, changed.output
        assert client.get("/account/password", follow_redirects=False).status_code == 303
        assert login(client, "王检查", "other-pass-2").status_code == 303
    unknown = runner.invoke(cli, ["user", "passwd", "nobody"], input="abcdefgh1\nabcdefgh1\n")
    assert unknown.exit_code == 1 and "no user named 'nobody'" in unknown.output
    listed = runner.invoke(cli, ["user", "list"])
    assert "王检查" in listed.output and "password" in listed.output


def test_demo_users_are_made_only_in_development(sample_url):
    production = runner_for(sample_url, environment="production", secret_key="k" * 40)
    refused = production.invoke(cli, ["sample", "users"])
    assert refused.exit_code == 1 and "development" in refused.output
    assert _scalar(sample_url, "SELECT count(*) FROM app_user") == 0
    development = runner_for(sample_url)
    made = development.invoke(cli, ["sample", "users"])
    assert made.exit_code == 0, made.output
    assert "office" in made.output and "office-demo" in made.output
    assert _scalar(sample_url, "SELECT count(*) FROM app_user") == 5
    again = development.invoke(cli, ["sample", "users"])  # idempotent
    assert again.exit_code == 0 and _scalar(sample_url, "SELECT count(*) FROM app_user") == 5
