"""区级视图 (issue 13.2): the towns of 北辰区 side by side, as JSON, a map and a page.

Two towns built by hand, so every number can be worked out here:

- 大张庄镇 120113108: W01 (100 households) and E01 (300). Issues found in 2024: one closed on
  time, one closed late, one open past its deadline (overdue on 5 June), one open within it,
  and one rebound of the first (open, within its deadline) — 5 problems, 2.5 per village,
  1.25 per 100 households, closed on time 1 ÷ (2 closed + 1 overdue), 1 overdue, 1 rebound.
- 二号镇 120113901: B01 (200 households): one open and overdue, one closed on time — 2
  problems, 1.0 per 100 households, on time 1 ÷ (1 + 1), 1 overdue, no rebound.

May 2024 is scored in both towns; W01's interview of May is on record as held.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.towns import add_town
from geo.users import create_user
from service.app import create_app
from service.settings import ServiceSettings
from tests.server import serving

SQUARE = "MULTIPOLYGON((({w} 39.28,{e} 39.28,{e} 39.29,{w} 39.29,{w} 39.28)))"
AS_OF = "2024-06-05"

ISSUES = [  # village, code, found, deadline, status, closed, rebound of
    ("W01", "W01-202403-0001", "2024-03-01", "2024-03-20", "closed", "2024-03-10", None),
    ("W01", "W01-202403-0002", "2024-03-01", "2024-03-20", "closed", "2024-04-01", None),
    ("W01", "W01-202404-0001", "2024-04-01", "2024-05-01", "open", None, None),
    ("E01", "E01-202405-0001", "2024-05-10", "2024-07-01", "open", None, None),
    ("E01", "E01-202405-0002", "2024-05-11", "2024-07-01", "open", None, "W01-202403-0001"),
    ("B01", "B01-202404-0001", "2024-04-01", "2024-05-01", "open", None, None),
    ("B01", "B01-202404-0002", "2024-04-02", "2024-04-20", "closed", "2024-04-10", None),
]


@pytest.fixture(scope="module")
def district_url(pg_server, migrated_template) -> Iterator[str]:
    name = pg_server.create(template=migrated_template)
    url = pg_server.url_of(name)
    engine = create_engine(url)
    with engine.begin() as conn:
        second = add_town(conn, code="120113901", name="二号镇", district_name="北辰区")
        for code, town, west, households in (
            ("W01", 1, 117.19, 100),
            ("E01", 1, 117.20, 300),
            ("B01", second.id, 117.40, 200),
        ):
            conn.execute(
                text(
                    "INSERT INTO village (town_id, code, name, households, geom) VALUES"
                    " (:t, :c, :n, :h, ST_GeomFromText(:g, 4326))"
                ),
                {
                    "t": town,
                    "c": code,
                    "n": f"{code}村",
                    "h": households,
                    "g": SQUARE.format(w=west, e=west + 0.01),
                },
            )
        for village, code, found, deadline, status, closed, rebound in ISSUES:
            conn.execute(
                text(
                    "INSERT INTO issue (code, category_code, geom, village_id, found_on,"
                    " deadline, status, closed_on, rebound_of)"
                    " SELECT :code, 'clutter', ST_PointOnSurface(v.geom), v.id, :found,"
                    " :deadline, :status, :closed, (SELECT id FROM issue WHERE code = :rebound)"
                    " FROM village v WHERE v.code = :v"
                ),
                {
                    "code": code,
                    "found": found,
                    "deadline": deadline,
                    "status": status,
                    "closed": closed,
                    "rebound": rebound,
                    "v": village,
                },
            )
        conn.execute(
            text(
                "INSERT INTO observation_score (month, village_id, group_name, score)"
                " SELECT '2024-05-01', id, '第一组', 70 + id FROM village"
            )
        )
        conn.execute(
            text(
                "INSERT INTO interview (month, village_id, level, held_on, held_by, recorded_by)"
                " SELECT '2024-05-01', id, 'bottom', '2024-06-03', '王镇长', 'office'"
                " FROM village WHERE code = 'W01'"
            )
        )
    engine.dispose()
    yield url
    pg_server.drop(name)


@pytest.fixture(scope="module")
def district_client(district_url, tmp_path_factory) -> Iterator[tuple[TestClient, dict]]:
    engine = create_engine(district_url)
    headers = {}
    with engine.begin() as conn:
        for name, role, town, district in (
            ("district", "leader", None, "120113"),
            ("a_admin", "admin", "120113108", None),
            ("b_admin", "admin", "120113901", None),
        ):
            _, token = create_user(
                conn, name=name, role=role, town_code=town, district_code=district
            )
            headers[name] = {"Authorization": f"Bearer {token}"}
    engine.dispose()
    settings = ServiceSettings(
        database_url=district_url, data_dir=tmp_path_factory.mktemp("district")
    )
    with TestClient(create_app(settings)) as client:
        yield client, headers


def _view(client: TestClient, headers: dict, **params: str) -> dict:
    response = client.get(
        "/districts/120113", params={"as_of": AS_OF, "month": "2024-05", **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_district_reader_sees_every_town_side_by_side(district_client):
    client, headers = district_client
    view = _view(client, headers["district"])
    assert (view["code"], view["name"], view["start"]) == ("120113", "北辰区", "2024-01-01")
    rows = {r["code"]: r for r in view["towns"]}
    assert list(rows) == ["120113108", "120113901"]
    a, b = rows["120113108"], rows["120113901"]
    assert (a["name"], a["villages"], a["households"], a["issues"]) == ("大张庄镇", 2, 400, 5)
    assert a["per_village"] == pytest.approx(2.5) and a["per_100_households"] == 1.25
    assert (a["closed"], a["closed_on_time"], a["overdue"], a["rebounds"]) == (2, 1, 1, 1)
    assert a["on_time_rate"] == pytest.approx(1 / 3)
    assert (b["name"], b["villages"], b["households"], b["issues"]) == ("二号镇", 1, 200, 2)
    assert b["per_100_households"] == 1.0 and b["on_time_rate"] == pytest.approx(0.5)
    assert (b["closed"], b["closed_on_time"], b["overdue"], b["rebounds"]) == (1, 1, 1, 0)
    assert a["ranking_map"] == "/maps/ranking?town=120113108"
    # last month's interviews: as many as each town's own bottom ten, W01's held
    for code, row in rows.items():
        ranking = client.get(
            "/rankings/month/2024-05", params={"town": code}, headers=headers["district"]
        ).json()
        bottom = sum(r["bottom_ten"] for r in ranking["ranking"])
        assert sum(row["interviews"].values()) == bottom > 0, code
    assert a["interviews"]["held"] == 1 and b["interviews"]["held"] == 0


def test_without_a_period_the_view_shows_the_year_of_the_latest_problem(district_client):
    """The problems are of 2024; today is later: the default period is 2024, not the
    current year (which would be all zeros), and the page says which period it is."""
    client, headers = district_client
    response = client.get("/districts/120113", headers=headers["district"])
    assert response.status_code == 200, response.text
    view = response.json()
    assert (view["start"], view["end"], view["last_day"]) == (
        "2024-01-01",
        "2025-01-01",
        "2024-12-31",
    )
    # the last scored month before today: May 2024 (nothing scored since)
    assert view["interview_month"] == "2024-05"
    assert [r["issues"] for r in view["towns"]] == [5, 2]
    # with as_of in the year, the period ends on that day
    assert _view(client, headers["district"])["last_day"] == AS_OF
    # a period given is the period shown, both ends
    given = _view(client, headers["district"], start="2024-04-01", end="2024-05-01")
    assert (given["start"], given["last_day"]) == ("2024-04-01", "2024-04-30")
    assert [r["issues"] for r in given["towns"]] == [1, 2]
    page = client.get(
        "/pages/districts/120113",
        params={"start": "2024-04-01", "end": "2024-05-01"},
        headers=headers["district"],
    ).text
    assert '<span id="period-start">2024-04-01</span>' in page
    assert '<span id="period-end">2024-04-30</span>' in page
    assert "start=2024-04-01&amp;end=2024-05-01" in page  # the map counts the same period
    default_page = client.get("/pages/districts/120113", headers=headers["district"]).text
    assert '<span id="period-end">2024-12-31</span>' in default_page


def test_a_town_user_sees_only_its_own_town(district_client):
    client, headers = district_client
    for user, code in (("a_admin", "120113108"), ("b_admin", "120113901")):
        assert [r["code"] for r in _view(client, headers[user])["towns"]] == [code]
        page = client.get("/maps/districts/120113", headers=headers[user]).text
        other = "二号镇" if code == "120113108" else "大张庄镇"
        assert other not in page


def test_the_district_readers_overview_is_the_district_view(district_client):
    client, headers = district_client
    home = client.get("/", headers=headers["district"], follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/pages/districts/120113?lang=zh"
    page = client.get(home.headers["location"], headers=headers["district"])
    assert page.status_code == 200 and "二号镇" in page.text and "大张庄镇" in page.text
    # …and one town's overview is a click away
    town = client.get("/", params={"town": "120113901"}, headers=headers["district"])
    assert town.status_code == 200 and 'id="town-name"' in town.text and "二号镇" in town.text


def test_an_unknown_or_malformed_district_is_refused(district_client):
    client, headers = district_client
    missing = client.get("/districts/120199", headers=headers["district"])
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    bad = client.get("/districts/12011", headers=headers["district"])
    assert bad.status_code == 422
    bad_month = client.get(
        "/districts/120113", params={"month": "2024-13"}, headers=headers["district"]
    )
    assert bad_month.status_code == 422 and bad_month.json()["field"] == "month"


@pytest.fixture
def live_district(district_url, tmp_path) -> Iterator[str]:
    """The service on the two towns (anonymous reading on: development), for the browser."""
    app = create_app(ServiceSettings(database_url=district_url, data_dir=tmp_path))
    with serving(app) as url:
        yield url


@pytest.mark.parametrize("width", [390, 1366])
def test_the_district_page_in_chromium(live_district, browser, tmp_path, width):
    page = browser.open(
        f"{live_district}/pages/districts/120113?as_of={AS_OF}&month=2024-05",
        viewport={"width": width, "height": 900},
    )
    page.wait_for_selector("#towns")
    assert page.locator("tr.town-row").count() == 2
    assert page.locator("#n-issues").inner_text() == "7"
    assert "北辰区" in page.locator("#district h2").inner_text()
    # nothing wider than the screen: the table fits (the less urgent columns fold away)
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    frame = page.frame_locator("#district-map iframe")
    frame.locator("path.cr-town").first.wait_for(timeout=30_000)
    assert frame.locator("path.cr-town").count() == 2
    assert frame.locator(".cr-town-label").all_inner_texts() == ["大张庄镇", "二号镇"]
    fills = {frame.locator("path.cr-town").nth(i).get_attribute("fill") for i in range(2)}
    assert len(fills) == 2  # 1.25 and 1.0 per 100 households: two classes
    browser.screenshot(page, tmp_path / f"district-{width}.png")
    assert browser.log(page).errors == []
    # drill down: the town's name leads to its ranking map, with its own villages only
    page.locator("tr.town-row[data-town='120113901'] td.town a").click()
    page.wait_for_url("**/maps/ranking?town=120113901*")
    browser.wait_for_map(page)
    assert page.locator("path.cr-ranked").count() == 1
    browser.close_page(page)


def test_a_town_on_the_map_opens_its_ranking_map(live_district, browser):
    page = browser.open(f"{live_district}/maps/districts/120113?lang=en")
    browser.wait_for_map(page)
    page.locator("path.cr-town").nth(0).click(force=True)
    link = page.locator("a.cr-town-link")
    link.wait_for()
    assert link.get_attribute("href") == "/maps/ranking?town=120113108"
    assert "ranking map" in link.inner_text()
    assert browser.log(page).errors == []
    browser.close_page(page)
