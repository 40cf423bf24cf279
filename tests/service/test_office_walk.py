"""What the town office and a leader read on their pages each month, in both languages
(HTTP): the interview lines speak the page's language, and the pages link to pages, not
to the API's JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tests.server import deployed_app
from tests.service.signin import PASSWORDS, csrf_of, login


@pytest.fixture
def office(two_villages_url: str, people, tmp_path) -> Iterator[TestClient]:
    """The town office (admin) signed in, anonymous reads off, March 2024 scored: both
    villages in the bottom ten, interviews due."""
    app = deployed_app(two_villages_url, photo_root=tmp_path / "photos")
    with TestClient(app) as client:
        assert login(client, "admin", PASSWORDS["admin"]).status_code == 303
        token = csrf_of(client.get("/pages/office/scores").text)
        saved = client.post(
            "/pages/office/scores",
            data={
                "csrf_token": token,
                "month": "2024-03",
                "group_0": "第一组",
                "s|W01|0": "80",
                "s|E01|0": "60",
            },
            follow_redirects=False,
        )
        assert saved.status_code == 303, saved.text
        yield client


def test_interviews_are_worded_in_the_pages_language(office):
    zh = office.get("/?month=2024-03").text
    assert "分管领导约谈提醒村支部书记" in zh and "村支部书记" in zh
    en = office.get("/?month=2024-03&lang=en").text
    assert "the leader in charge interviews the party secretary" in en
    assert "分管领导约谈提醒" not in en  # the ranking's interview column was Chinese
    assert "party secretary" in en.split('id="interviews-month"')[1]
    assert "村支部书记" not in en  # nor were the interviewees' titles translated
    publish = office.get("/pages/office/publish?month=2024-03&lang=en").text
    assert "the leader in charge interviews the party secretary" in publish
    assert "分管领导约谈提醒" not in publish


def _interviews_on_record(url: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT v.code, i.held_on::text, i.held_by, i.note, i.scan_mime FROM interview i"
                " JOIN village v ON v.id = i.village_id ORDER BY v.code"
            )
        )
        found = [tuple(r) for r in rows]
    engine.dispose()
    return found


def _record(client: TestClient, village: str, lang: str = "zh", files=None, **fields):
    token = csrf_of(client.get("/pages/interviews?month=2024-03").text)
    return client.post(
        f"/pages/interviews/2024-03/{village}?lang={lang}",
        data={"csrf_token": token, "back": "2024-03", **fields},
        files=files,
        follow_redirects=False,
    )


def test_the_office_records_an_interview_held_on_a_page(office, two_villages_url):
    """The dashboard counted interviews late but the only way to record one held was the
    API (POST /interviews/…): the office and leaders now have /pages/interviews."""
    dashboard = office.get("/?month=2024-03").text
    assert 'href="/pages/interviews?month=2024-03' in dashboard
    assert 'href="/interviews?' not in dashboard  # no link to the API's JSON
    assert 'href="/rankings/month/' not in dashboard
    assert 'href="/pages/office/publish?month=2024-03' in dashboard
    page = office.get("/pages/interviews?month=2024-03")
    assert page.status_code == 200
    assert page.text.count('<details class="record') == 2  # both villages in the bottom ten
    assert 'action="/pages/interviews/2024-03/E01' in page.text

    # a day before the ranking month: refused in Chinese, what was typed is kept, nothing saved
    early = _record(office, "E01", held_on="2024-02-28", held_by="王副镇长", note="约谈提醒整改")
    assert early.status_code == 422
    assert "约谈日期：应不早于排名月份的第一天 2024-03-01" in early.text
    assert 'value="2024-02-28"' in early.text and 'value="王副镇长"' in early.text
    assert "约谈提醒整改</textarea>" in early.text
    nobody = _record(office, "E01", lang="en", held_on="2024-03-28", held_by="  ")
    assert nobody.status_code == 422 and "Held by: name who held the interview" in nobody.text
    not_a_scan = _record(
        office,
        "E01",
        held_on="2024-03-28",
        held_by="王副镇长",
        files={"scan": ("record.pdf", b"not a pdf at all", "application/pdf")},
    )
    assert not_a_scan.status_code == 422 and "扫描件：" in not_a_scan.text
    assert 'value="王副镇长"' in not_a_scan.text
    assert _interviews_on_record(two_villages_url) == []

    saved = _record(office, "E01", held_on="2024-03-28", held_by="王副镇长", note="约谈提醒整改")
    assert saved.status_code == 303
    assert saved.headers["location"] == "/pages/interviews?month=2024-03&saved=E01"
    after = office.get(saved.headers["location"]).text
    assert 'id="n-held" class="good">1<' in after
    assert _interviews_on_record(two_villages_url) == [
        ("E01", "2024-03-28", "王副镇长", "约谈提醒整改", None)
    ]


def test_leaders_record_interviews_and_villages_may_not(two_villages_url, people, tmp_path):
    app = deployed_app(two_villages_url, photo_root=tmp_path / "photos")
    with TestClient(app) as leader:
        assert login(leader, "leader", PASSWORDS["leader"]).status_code == 303
        assert 'href="/pages/interviews"' in leader.get("/").text  # in the leader's menu
        assert leader.get("/pages/interviews").status_code == 200
    with TestClient(app) as village:
        assert login(village, "west", PASSWORDS["west"]).status_code == 303
        assert village.get("/pages/interviews").status_code == 403
        assert "/pages/interviews" not in village.get("/").text


def test_the_late_count_agrees_between_the_dashboard_and_the_interviews_page(office):
    """Both count the month's late interviews and earlier months' still not held, and say
    so: April has no ranking, March's two interviews are late."""
    dashboard = office.get("/?month=2024-04").text
    page = office.get("/pages/interviews?month=2024-04").text
    late = dashboard.split('id="n-interviews-late" class="bad">')[1].split("<")[0]
    assert page.split('id="n-late" class="bad">')[1].split("<")[0] == late
    assert "含此前月份 2" in dashboard and "含此前月份 2" in page
