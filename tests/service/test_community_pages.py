"""The community page (for its secretary) and the dashboard's interview block."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import create_engine, text


def _setup(client, tokens, url):
    scores = [
        {"month": m, "village": v, "group": "一", "score": s}
        for m in ("2024-03", "2024-04")
        for v, s in (("W01", 80), ("E01", 60))
    ]
    client.post("/scores", json=scores, headers=tokens["admin"])
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE community SET secretary = '周书记', deputy_secretary = '李副书记'")
        )
        conn.execute(text("UPDATE village SET party_secretary = '张书记' WHERE code = 'W01'"))
    engine.dispose()


def test_community_page_lists_villages_ranks_and_interviews(client, tokens, two_villages_url):
    _setup(client, tokens, two_villages_url)
    held = {"held_on": "2024-04-03", "held_by": "王副镇长"}
    client.post("/interviews/2024-03/W01", json=held, headers=tokens["admin"])
    page = client.get("/pages/communities/C1?month=2024-04")
    assert page.status_code == 200, page.text
    html = page.text
    assert "一号共同体" in html and "周书记" in html and "李副书记" in html
    # E01 (60) ranks 2nd, W01 (80) 1st; both in the bottom ten two months running
    assert html.index('data-village="W01"') < html.index('data-village="E01"')
    assert "镇主要领导" in html and "共同体副书记李副书记" in html
    # March: W01's interview held, E01's never held → late, listed under earlier months
    assert 'id="interviews-late"' in html
    late_table = html[html.index('id="interviews-late"') :]
    assert 'data-village="E01"' in late_table and 'data-village="W01"' not in late_table
    english = client.get("/pages/communities/C1?month=2024-04&lang=en").text
    assert "Villages and their ranks" in english
    assert client.get("/pages/communities/NOPE").status_code == 404
    assert "text/html" in client.get("/pages/communities/NOPE").headers["content-type"]


def test_dashboard_shows_interviews_due_held_and_late(client, tokens, two_villages_url):
    _setup(client, tokens, two_villages_url)
    held = {"held_on": "2024-04-03", "held_by": "王副镇长"}
    client.post("/interviews/2024-03/W01", json=held, headers=tokens["admin"])
    html = client.get("/?month=2024-03", headers=tokens["leader"]).text
    assert 'id="interviews"' in html
    assert 'id="n-interviews-held" class="good">1<' in html
    # today is long after 2024-04-15: E01's March interview is late
    assert 'id="n-interviews-late" class="bad">1<' in html
    assert 'id="n-interviews-due">0<' in html
    assert "/pages/communities/C1" in html
    april = client.get("/?month=2024-04", headers=tokens["leader"]).text
    # April's two are late, and March's E01 is still outstanding
    assert 'id="n-interviews-late" class="bad">3<' in april
    assert 'id="interviews-late"' in april


LINK = re.compile(r'href="(/(?:pages|maps|sites)/[^"]*)"')


def _links(html: str) -> set[str]:
    return {unescape(h) for h in LINK.findall(html)}


@pytest.mark.parametrize("name", ["admin", "inspector", "west", "leader", "planner"])
def test_every_page_the_dashboard_links_opens_for_its_reader(client, tokens, name):
    """A button on the dashboard (or on a community page it links) never leads its reader
    to 无权访问: pages of other roles and other villages are not offered."""
    _setup(client, tokens, client.app.state.settings.database_url)
    headers = tokens[name]
    links = _links(client.get("/", headers=headers).text)
    for community in [link for link in links if link.startswith("/pages/communities/")]:
        links |= _links(client.get(community, headers=headers).text)
    refused = {
        link: status
        for link in sorted(links)
        if (status := client.get(link, headers=headers).status_code) != 200
    }
    assert refused == {}
    field = {"admin", "inspector"}
    assert any(link.startswith("/pages/report") for link in links) == (name in field)
    assert any(link.startswith("/pages/recheck") for link in links) == (name in field)
    assert any(link.startswith("/sites/map") for link in links) == (
        name in {"admin", "leader", "planner"}
    )
    if name == "west":
        assert any(link.startswith("/pages/villages/W01/visit") for link in links)
        assert not any(link.startswith("/pages/villages/E01/") for link in links)


def test_a_refused_page_says_why_in_chinese_first(client, tokens):
    page = client.get("/pages/report", headers=tokens["leader"])
    assert page.status_code == 403
    assert "本页供检查员、整治办使用，你登录的账号是领导" in page.text
    assert "this page is for inspector, admin; you are signed in as leader" in page.text


@pytest.mark.parametrize("name", ["admin", "leader", "inspector", "planner", "west"])
def test_the_dashboard_offers_the_month_bulletin_to_who_may_download_it(client, tokens, name):
    _setup(client, tokens, client.app.state.settings.database_url)
    html = client.get("/?month=2024-04", headers=tokens[name]).text
    found = re.findall(r'href="(/bulletins/[^"]*)"', html)
    if name not in {"admin", "leader"}:
        assert found == []
        return
    assert [unescape(h).split("?")[0] for h in found] == [
        "/bulletins/2024-04.pdf",
        "/bulletins/2024-04.png",
    ]
    assert "月度通报" in html
    if name == "leader":  # the link opens (headless Chromium prints it)
        pdf = client.get(unescape(found[0]), headers=tokens[name])
        assert pdf.status_code == 200, pdf.text
        assert pdf.content.startswith(b"%PDF")


DOWNLOAD = re.compile(r'href="(/(?:exports|sites)[^"]*)"')


@pytest.mark.parametrize("name", ["admin", "leader", "planner", "inspector", "west"])
def test_the_dashboard_links_the_downloads_a_reader_may_take(client, tokens, name):
    """A planner (or anyone) on the pages reaches the exports without typing API addresses:
    each link answers 200 with a file for its reader; the sites only for who reads them."""
    _setup(client, tokens, client.app.state.settings.database_url)
    html = client.get("/", headers=tokens[name]).text
    links = [unescape(h) for h in DOWNLOAD.findall(html) if not h.startswith("/sites/map")]
    assert "/exports/issues.gpkg" in links and "/exports/ledger.xlsx" in links
    assert ("/sites?format=xlsx" in links) == (name in {"admin", "leader", "planner"})
    types = {}
    for link in links:
        answer = client.get(link, headers=tokens[name])
        assert answer.status_code == 200, (link, answer.text[:200])
        types[link] = answer.headers["content-type"]
    assert types["/exports/issues.gpkg"] == "application/geopackage+sqlite3"
    assert types["/exports/ledger.xlsx"].startswith("application/vnd.openxmlformats")
