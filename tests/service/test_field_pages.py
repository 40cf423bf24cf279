"""The field pages' server side: locate and check endpoints, the pages, their error pages."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.postgis


def jpeg(color=(200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(out, "JPEG")
    return out.getvalue()


def issue_id(url: str, code: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM issue WHERE code = :c"), {"c": code}).scalar()
    engine.dispose()
    return str(found)


def count_issues(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM issue")).scalar_one()
    engine.dispose()
    return n


def test_locate_names_village_or_says_outside(client):
    got = client.get("/locate", params={"lon": 117.195, "lat": 39.285})
    assert got.status_code == 200
    place = got.json()
    assert (place["village"], place["village_name"], place["grid"]) == ("W01", "西村", None)
    assert place["outside_m"] is None
    assert place["boundary"]["type"] == "MultiPolygon"
    far = client.get("/locate", params={"lon": 117.5, "lat": 39.285})
    assert far.status_code == 422
    assert far.json()["field"] == "geometry"
    assert "outside the town" in far.json()["message"]
    swapped = client.get("/locate", params={"lon": 39.285, "lat": 117.195})
    assert swapped.status_code == 422
    assert "swapped" in swapped.json()["message"]


def test_check_warns_of_duplicate_and_rebound_with_photo_and_writes_nothing(
    client, tokens, two_villages_url
):
    i1 = issue_id(two_villages_url, "I1")
    up = client.post(
        f"/issues/{i1}/photos",
        headers=tokens["inspector"],
        files={"file": ("a.jpg", jpeg(), "image/jpeg")},
        data={"kind": "before"},
    )
    assert up.status_code == 201
    before = count_issues(two_villages_url)
    dup = client.post(
        "/issues/check",
        headers=tokens["inspector"],
        json={"category": "clutter", "lon": 117.19501, "lat": 39.28501, "found_on": "2024-05-02"},
    )
    assert dup.status_code == 200, dup.text
    body = dup.json()
    assert body["place"]["village"] == "W01"
    assert [d["code"] for d in body["possible_duplicates"]] == ["I1"]
    assert body["possible_duplicates"][0]["thumbnail_url"] == f"/photos/{up.json()['id']}/thumbnail"
    assert body["rebound_of"] is None
    rebound = client.post(
        "/issues/check",
        headers=tokens["inspector"],
        json={"category": "weeds", "lon": 117.19601, "lat": 39.28601, "found_on": "2024-05-02"},
    ).json()
    assert rebound["rebound_of"]["code"] == "I2"
    assert rebound["rebound_of"]["thumbnail_url"] is None
    assert count_issues(two_villages_url) == before


def test_check_refuses_villages_and_bad_input(client, tokens):
    body = {"category": "clutter", "lon": 117.195, "lat": 39.285}
    assert client.post("/issues/check", headers=tokens["west"], json=body).status_code == 403
    bad = client.post("/issues/check", headers=tokens["inspector"], json=body | {"category": "x"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "category"
    out = client.post("/issues/check", headers=tokens["inspector"], json=body | {"lon": 118.0})
    assert out.status_code == 422


def test_report_page_has_every_category_labelled_and_the_app_shell(client, tokens):
    page = client.get("/pages/report", headers=tokens["inspector"])
    assert page.status_code == 200
    html = page.text
    assert html.count('class="cat"') == 16
    assert "房前屋后生活垃圾" in html and "待上传" not in html.split("<main>")[0]
    assert 'capture="environment"' in html and "multiple" in html
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert "https://" not in html.split('id="config"')[0]  # nothing remote in the head
    for path in ("/static/report.js", "/static/outbox.js", "/static/vendor/leaflet/leaflet.js"):
        assert client.get(path).status_code == 200, path
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    assert manifest.json()["start_url"] == "/pages/report"
    sw = client.get("/pages/sw.js")
    assert sw.headers["service-worker-allowed"] == "/pages/"
    assert html.count('rel="icon"') == 1
    icon = client.get("/favicon.ico")  # where map pages and /docs make browsers look
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/png"
    assert icon.content.startswith(b"\x89PNG")
    english = client.get("/pages/report?lang=en", headers=tokens["inspector"])
    assert "Report an issue" in english.text


def test_the_worker_controls_its_folder_and_answers_name_their_user(client, tokens):
    for folder in ("/", "/pages/", "/maps/"):  # /: the worker; the others for older phones
        sw = client.get(f"{folder}sw.js")
        assert sw.status_code == 200
        assert sw.headers["service-worker-allowed"] == folder
        assert sw.headers["content-type"].startswith("text/javascript")
        assert sw.headers["cache-control"] == "no-cache"
        keep = client.app.state.settings.offline_keep_bytes
        assert f"var KEEP_BYTES = {keep};" in sw.text  # the setting, written in
    mine = client.get("/pages/report", headers=tokens["inspector"])
    user = mine.headers["x-cunrong-user"]
    assert user.isdigit() and f'<meta name="cunrong-user" content="{user}">' in mine.text
    assert re.search(r'<script nonce="[^"]+" src="/static/offline.js"></script>', mine.text)
    other = client.get("/pages/my-village", headers=tokens["west"])
    assert other.headers["x-cunrong-user"] not in ("", user)
    nobody = client.get("/pages/report", follow_redirects=False)
    assert nobody.status_code == 303 and "x-cunrong-user" not in nobody.headers
    login = client.get("/login")
    assert "x-cunrong-user" not in login.headers and "cunrong-user" not in login.text
    offline = r'<script nonce="[^"]+" src="/static/offline.js"></script>'
    assert re.search(offline, login.text)  # empties the copies
    assert client.get("/static/offline.js").status_code == 200


def test_field_pages_need_a_sign_in_and_the_right_role(client, tokens):
    for path in ("/pages/report", "/pages/my-village", "/pages/recheck?village=W01"):
        away = client.get(path, follow_redirects=False)
        assert away.status_code == 303
        assert away.headers["location"].startswith("/login?next=")
    for path in ("/pages/report", "/pages/recheck?village=W01"):
        refused = client.get(path, headers=tokens["west"])
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")


def test_village_page_lists_open_issues_with_submit_and_scope(client, tokens):
    west = client.get("/pages/my-village", headers=tokens["west"])
    assert west.status_code == 200
    assert "西村" in west.text and "I1" in west.text and "I3" not in west.text
    assert "提交整改" in west.text
    assert "逾期" in west.text  # I1's deadline (2024-03-15) has passed
    other = client.get("/pages/my-village?village=E01", headers=tokens["west"])
    assert other.status_code == 403
    assert other.headers["content-type"].startswith("text/html")
    assert "W01" in other.text
    chooser = client.get("/pages/my-village", headers=tokens["inspector"])
    assert chooser.status_code == 200 and 'name="village"' in chooser.text
    east = client.get("/pages/my-village?village=E01", headers=tokens["inspector"])
    assert "I3" in east.text and "I4" in east.text and "等待检查员复核" in east.text


def test_recheck_page_in_walking_order_with_buttons(client, tokens):
    page = client.get("/pages/recheck?village=E01&month=2024-05", headers=tokens["inspector"])
    assert page.status_code == 200
    html = page.text
    assert html.index("I3") < html.index("I4") or html.index("I4") < html.index("I3")
    assert 'id="n-stops">2<' in html
    assert html.count('data-action="close"') == 1  # only the submitted one can be closed
    assert html.count('data-action="unrectified"') == 2
    assert client.get("/pages/recheck?village=E01", headers=tokens["west"]).status_code == 403


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/pages/recheck?village=NOPE", 404, "NOPE"),
        ("/pages/recheck?village=W01&month=2024-13", 422, "month"),
        ("/pages/recheck?village=W01&month=soon", 422, "month"),
        ("/pages/my-village?village=ZZ9", 404, "ZZ9"),
        ("/pages/nowhere", 404, "未找到"),
    ],
)
def test_pages_answer_people_with_an_error_page_not_json(client, tokens, path, status, says):
    got = client.get(path, headers=tokens["inspector"])
    assert got.status_code == status
    assert got.headers["content-type"].startswith("text/html")
    assert says in got.text and 'id="error"' in got.text
    assert not got.text.lstrip().startswith("{")


def test_site_visit_without_month_defaults_to_this_month(client, tokens):
    got = client.get("/pages/villages/W01/visit", headers=tokens["inspector"])
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/html")
    assert 'id="stops"' in got.text or "W01" in got.text
    api = client.get("/issues/not-a-uuid")  # the API keeps answering JSON
    assert api.status_code == 422
    assert api.headers["content-type"].startswith("application/json")


def test_recheck_and_visit_sheet_name_categories_in_the_page_language(client, tokens):
    """In English the stops' categories read as English labels, not the code (clutter) on
    the recheck page nor the Chinese label on the site-visit sheet; Chinese stays Chinese."""
    from geo.categories import CATEGORIES

    labels = {c.code: (c.label_zh, c.label_en) for c in CATEGORIES}
    api = client.get("/recheck?month=2024-05&village=E01", headers=tokens["inspector"]).json()
    codes = {s["category"] for v in api for s in v["stops"]}
    assert codes
    assert {s["category_en"] for v in api for s in v["stops"]} == {labels[c][1] for c in codes}
    pages = (
        "/pages/recheck?village=E01&month=2024-05",
        "/pages/villages/E01/visit?month=2024-05",
    )
    for path in pages:
        en = client.get(f"{path}&lang=en", headers=tokens["inspector"]).text
        zh = client.get(f"{path}&lang=zh", headers=tokens["inspector"]).text
        for code in codes:
            zh_label, en_label = labels[code]
            assert en_label in en and zh_label not in en, (path, code)
            assert zh_label in zh, (path, code)


def test_the_site_visit_sheet_leads_an_inspector_to_the_recheck_walk(client, tokens):
    """On the site-visit sheet an inspector taps through to the same village's and month's
    recheck page to record the outcomes; a village user (who may not recheck) gets no link."""
    sheet = client.get("/pages/villages/E01/visit?month=2024-05", headers=tokens["inspector"])
    assert sheet.status_code == 200
    link = re.search(r'id="recheck-link" href="([^"]+)"', sheet.text)
    assert link and link.group(1).replace("&amp;", "&").startswith(
        "/pages/recheck?village=E01&month=2024-05"
    )
    walk = client.get(link.group(1).replace("&amp;", "&"), headers=tokens["inspector"])
    assert walk.status_code == 200 and 'id="n-stops">2<' in walk.text
    own = client.get("/pages/villages/E01/visit?month=2024-05", headers=tokens["east"])
    assert own.status_code == 200 and 'id="recheck-link"' not in own.text


def test_another_village_s_page_says_why_in_chinese_and_leads_home(client, tokens):
    """A village user opening another village's page gets a 403 page that says, Chinese
    first, that a village account sees its own village, and whose 回到首页 is their own
    village's page (their home), not the town's overview."""
    for path in ("/pages/my-village?village=W01", "/pages/villages/W01/visit?month=2024-05"):
        got = client.get(path, headers=tokens["east"])
        assert got.status_code == 403
        assert "村账号只能查看本村 E01 的问题" in got.text
        assert 'href="/pages/my-village" id="home-link"' in got.text
    api = client.get("/issues?village=W01", headers=tokens["east"])
    assert api.status_code == 403 and api.json()["field"] == "village"
