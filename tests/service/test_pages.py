"""The dashboard and the site-visit sheet render the town's state, escaped, in both languages."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def _score(client, tokens):
    scores = [
        {"month": "2024-03", "village": "W01", "group": "一", "score": 80},
        {"month": "2024-03", "village": "E01", "group": "一", "score": 60},
    ]
    client.post("/scores", json=scores, headers=tokens["admin"])


def test_dashboard_lists_bottom_ten_interviews_and_recheck(client, tokens):
    _score(client, tokens)
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    html = page.text
    assert "月度排名" in html and "2024-03" in html
    assert "分管领导" in html  # both villages are in the bottom ten: interviews due
    assert "/pages/villages/E01/visit?month=2024-04" in html
    english = client.get("/?lang=en").text
    assert "Monthly ranking" in english


def test_site_visit_sheet_escapes_descriptions(client, two_villages_url):
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE issue SET description = :d WHERE code = 'I3'"),
            {"d": '<script>document.title="pwned"</script><img src=x onerror=alert(1)>'},
        )
    engine.dispose()
    html = client.get("/pages/villages/E01/visit?month=2024-04").text
    assert "&lt;script&gt;" in html and "<script>document.title" not in html
    assert "<img src=x" not in html
    # the walk starts at the village centre, where I3 lies; I4 is 0.001° (≈ 86 m) east of it
    assert html.index(">I3<") < html.index(">I4<")
    assert client.get("/pages/villages/NOPE/visit?month=2024-04").status_code == 404
    assert client.get("/pages/villages/E01/visit?month=April").status_code == 422


def test_village_users_see_their_own_counts_and_indicators(client, tokens):
    west = client.get("/indicators?as_of=2024-12-31", headers=tokens["west"]).json()
    assert [row["village"] for row in west] == ["W01"]
    page = client.get("/", headers=tokens["west"]).text
    assert 'id="n-villages">1<' in page  # the village user's dashboard counts one village
    everyone = client.get("/indicators?as_of=2024-12-31").json()
    assert sorted(row["village"] for row in everyone) == ["E01", "W01"]
