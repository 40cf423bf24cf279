"""What the town office and a leader read on their pages each month, in both languages
(HTTP): the interview lines speak the page's language, and the pages link to pages, not
to the API's JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

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
