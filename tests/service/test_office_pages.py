"""The town office's monthly work on its pages: rounds, the score grid and its upload
preview, third-party results and honors, publishing, users. Real PostGIS, forms with CSRF."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import create_engine, text

from service.app import create_app
from service.settings import ServiceSettings
from tests.server import deployed_app
from tests.service.signin import PASSWORDS, csrf_of, login, page_token


@pytest.fixture
def office(two_villages_url: str, people, tmp_path) -> Iterator[TestClient]:
    """The town office (admin) signed in, anonymous reads off."""
    app = deployed_app(two_villages_url, photo_root=tmp_path / "photos")
    with TestClient(app) as client:
        assert login(client, "admin", PASSWORDS["admin"]).status_code == 303
        yield client


def _rows(url: str, sql: str, **params) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql), params)]
    engine.dispose()
    return rows


def _post(client: TestClient, path: str, data: dict, *, page: str, **kwargs):
    token = csrf_of(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False, **kwargs)


def test_only_the_office_opens_its_pages(two_villages_url, people, tmp_path):
    app = create_app(
        ServiceSettings(database_url=two_villages_url, environment="prod", secret_key="x" * 40)
    )
    with TestClient(app) as client:
        assert client.get("/pages/office/scores", follow_redirects=False).status_code == 303
        login(client, "inspector", PASSWORDS["inspector"])
        refused = client.get("/pages/office/users")
        assert refused.status_code == 403 and "无权访问" in refused.text


def test_open_a_round_from_the_form(office, two_villages_url):
    page = office.get("/pages/office/rounds")
    assert page.status_code == 200 and 'name="month"' in page.text
    forged = office.post("/pages/office/rounds", data={"month": "2024-05"})
    assert forged.status_code == 403
    assert _rows(two_villages_url, "SELECT id FROM inspection_round") == []
    opened = _post(
        office,
        "/pages/office/rounds",
        {"month": "2024-05", "team": "整治办", "started_on": "2024-05-20"},
        page="/pages/office/rounds",
    )
    assert opened.status_code == 303
    listed = office.get(opened.headers["location"]).text
    assert "已开启月度检查" in listed and "2024-05" in listed
    assert _rows(
        two_villages_url,
        "SELECT count(*) FROM round_village rv JOIN inspection_round r ON r.id = rv.round_id",
    ) == [(2,)]
    again = _post(office, "/pages/office/rounds", {"month": "2024-05"}, page="/pages/office/rounds")
    assert again.status_code == 422 and "already has a round" in again.text
    assert "<html" in again.text  # an error page, not JSON
    home = office.get("/pages/office/?month=2024-05").text
    assert "已开启" in home and "2/2" in home


def test_the_score_grid_names_bad_cells_and_saves_nothing_until_all_are_good(
    office, two_villages_url
):
    grid = office.get("/pages/office/scores?month=2024-05")
    assert grid.status_code == 200
    assert "第一组" in grid.text and 'aria-label="西村 第一组"' in grid.text
    form = {"month": "2024-05", "group_0": "第一组", "group_1": "第二组"}
    bad = _post(
        office,
        "/pages/office/scores",
        form | {"s|W01|0": "88", "s|W01|1": "abc", "s|E01|0": "101"},
        page="/pages/office/scores",
    )
    assert bad.status_code == 422
    assert bad.text.count('class="badcell"') == 2
    assert "&#39;abc&#39;" in bad.text and "&#39;101&#39;" in bad.text
    assert 'value="88"' in bad.text  # what was typed is kept
    assert _rows(two_villages_url, "SELECT * FROM observation_score") == []
    good = _post(
        office,
        "/pages/office/scores",
        form | {"s|W01|0": "88", "s|W01|1": "90.5", "s|E01|0": "76"},
        page="/pages/office/scores",
    )
    assert good.status_code == 303
    shown = office.get(good.headers["location"]).text
    assert "已保存 3 个分数" in shown and 'value="90.5"' in shown
    assert sorted(
        _rows(
            two_villages_url,
            "SELECT v.code, s.group_name, s.score::float, s.entered_by FROM observation_score s"
            " JOIN village v ON v.id = s.village_id",
        )
    ) == [
        ("E01", "第一组", 76.0, "admin (admin)"),
        ("W01", "第一组", 88.0, "admin (admin)"),
        ("W01", "第二组", 90.5, "admin (admin)"),
    ]


def _sheet(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "observation_scores"
    sheet.append(["month", "village", "group", "score"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_uploaded_sheet_is_previewed_with_every_bad_cell_before_saving(office, two_villages_url):
    bad = _sheet(
        [
            ["2024-05", "W01", "第一组", 80],
            ["2024-05", "ZZ9", "第一组", 70],
            ["2024-5", "E01", "第一组", 75],
            ["2024-05", "E01", "第一组", 120],
        ]
    )
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    preview = _post(
        office,
        "/pages/office/scores/upload",
        {},
        page="/pages/office/scores",
        files={"file": ("scores.xlsx", bad, xlsx)},
    )
    assert preview.status_code == 422
    assert 'data-problems="3"' in preview.text
    for row, says in ((3, "ZZ9"), (4, "YYYY-MM"), (5, "0 to 100")):
        assert f"第{row}行" in preview.text and says in preview.text
    assert 'id="confirm"' not in preview.text
    assert _rows(two_villages_url, "SELECT * FROM observation_score") == []

    good = _sheet([["2024-05", "W01", "第一组", 80], ["2024-05", "E01", "第一组", 75]])
    preview = _post(
        office,
        "/pages/office/scores/upload",
        {},
        page="/pages/office/scores",
        files={"file": ("scores.xlsx", good, xlsx)},
    )
    assert preview.status_code == 200 and 'id="confirm"' in preview.text
    assert _rows(two_villages_url, "SELECT * FROM observation_score") == []  # not yet
    rows = preview.text.split('name="rows" value="')[1].split('"')[0]
    import html

    saved = office.post(
        "/pages/office/scores/confirm",
        data={"csrf_token": csrf_of(preview.text), "rows": html.unescape(rows)},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and "saved=2" in saved.headers["location"]
    assert _rows(two_villages_url, "SELECT count(*) FROM observation_score") == [(2,)]
    wrong_kind = _post(
        office,
        "/pages/office/scores/upload",
        {},
        page="/pages/office/scores",
        files={"file": ("scores.txt", b"x", "text/plain")},
    )
    assert wrong_kind.status_code == 422 and ".xlsx" in wrong_kind.text


def test_third_party_results_and_honors(office, two_villages_url):
    page = office.get("/pages/office/third-party?year=2024")
    assert page.status_code == 200 and 'name="e|W01"' in page.text
    bad = _post(
        office,
        "/pages/office/third-party",
        {"year": "2024", "e|W01": "on", "f|W01": "3", "u|W01": "5"},
        page="/pages/office/third-party",
    )
    assert bad.status_code == 422 and "cannot exceed" in bad.text
    saved = _post(
        office,
        "/pages/office/third-party",
        {"year": "2024", "e|W01": "on", "f|W01": "3", "u|W01": "1"},
        page="/pages/office/third-party",
    )
    assert saved.status_code == 303
    assert _rows(
        two_villages_url,
        "SELECT year, evaluated, problems_found, problems_unrectified FROM third_party_evaluation",
    ) == [(2024, True, 3, 1)]
    honor = _post(
        office,
        "/pages/office/honors",
        {"village": "E01", "awarded_on": "2024-06-01", "kind": "model_village"},
        page="/pages/office/third-party",
    )
    assert honor.status_code == 303
    shown = office.get("/pages/office/third-party?year=2024").text
    assert "形成典型" in shown and "东村" in shown and "checked" in shown


def test_publish_the_months_ranking(office, two_villages_url):
    empty = office.get("/pages/office/publish?month=2024-05")
    assert empty.status_code == 200 and "无法排名" in empty.text
    refused = _post(
        office, "/pages/office/publish", {"month": "2024-05"}, page="/pages/office/publish"
    )
    assert refused.status_code == 422 and "nothing to publish" in refused.text
    _post(
        office,
        "/pages/office/scores",
        {"month": "2024-05", "group_0": "第一组", "s|W01|0": "88", "s|E01|0": "70"},
        page="/pages/office/scores",
    )
    page = office.get("/pages/office/publish?month=2024-05").text
    assert page.index("西村") < page.index("东村") and 'id="not-published"' in page
    published = _post(
        office,
        "/pages/office/publish",
        {"month": "2024-05", "note": "第一次"},
        page="/pages/office/publish?month=2024-05",
    )
    assert published.status_code == 303
    assert "已发布" in office.get(published.headers["location"]).text
    assert _rows(two_villages_url, "SELECT published_by, note FROM ranking_publication") == [
        ("admin", "第一次")
    ]
    assert 'id="ranking-published"' in office.get("/?month=2024-05").text


def test_user_management_add_reset_revoke_and_move(office, two_villages_url):
    page = "/pages/office/users"
    added = _post(
        office,
        page,
        {"name": "西村书记", "role": "village", "village": "W01", "password": "first-pass-1"},
        page=page,
    )
    assert added.status_code == 303
    assert "西村书记" in office.get(page).text
    duplicate = _post(
        office, page, {"name": "西村书记", "role": "inspector", "password": "abcdefgh1"}, page=page
    )
    assert duplicate.status_code == 409 and "exists already" in duplicate.text
    short = _post(office, page, {"name": "x1", "role": "leader", "password": "short"}, page=page)
    assert short.status_code == 422

    person = TestClient(office.app)
    assert login(person, "西村书记", "first-pass-1").headers["location"] == "/pages/my-village"
    assert person.get("/account/password").status_code == 200

    from service.routes.office import user_path

    moved = _post(office, user_path("西村书记", "village"), {"village": "E01"}, page=page)
    assert moved.status_code == 303
    assert _rows(
        two_villages_url,
        "SELECT v.code FROM app_user u JOIN village v ON v.id = u.village_id"
        " WHERE u.name = '西村书记'",
    ) == [("E01",)]
    reset = _post(
        office, user_path("西村书记", "password"), {"password": "second-pass-2"}, page=page
    )
    assert reset.status_code == 303
    assert person.get("/account/password", follow_redirects=False).status_code == 303
    assert login(person, "西村书记", "first-pass-1").status_code == 401
    assert login(person, "西村书记", "second-pass-2").status_code == 303
    revoked = _post(office, user_path("西村书记", "revoke"), {}, page=page)
    assert revoked.status_code == 303
    assert person.get("/account/password", follow_redirects=False).status_code == 303
    assert login(person, "西村书记", "second-pass-2").status_code == 401
    assert "已停用" in office.get(page).text
    back = _post(office, user_path("西村书记", "activate"), {}, page=page)
    assert back.status_code == 303
    assert login(person, "西村书记", "second-pass-2").status_code == 303
    self_revoke = _post(office, user_path("admin", "revoke"), {}, page=page)
    assert self_revoke.status_code == 422
    assert page_token(office, page)  # the office is still signed in
