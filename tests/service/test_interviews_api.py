"""约谈记录: a month's bottom ten calls for interviews; the office or a leader records them."""

from __future__ import annotations

import io

import openpyxl
import pytest
from PIL import Image
from sqlalchemy import create_engine, text


@pytest.fixture
def scored(client, tokens, two_villages_url):
    """March and April scored (both villages in the bottom ten both months), with names."""
    scores = [
        {"month": m, "village": v, "group": "一", "score": s}
        for m in ("2024-03", "2024-04")
        for v, s in (("W01", 80), ("E01", 60))
    ]
    assert client.post("/scores", json=scores, headers=tokens["admin"]).status_code == 201
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE community SET deputy_secretary = '李副书记'"))
        conn.execute(text("UPDATE village SET party_secretary = '张书记' WHERE code = 'W01'"))
        conn.execute(text("UPDATE village SET party_secretary = '赵书记' WHERE code = 'E01'"))
    engine.dispose()
    return two_villages_url


def _rows(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM interview")).scalar_one()
    engine.dispose()
    return count


def test_a_months_bottom_ten_calls_for_interviews_by_the_leader_in_charge(client, scored):
    march = client.get("/interviews?month=2024-03&as_of=2024-04-10").json()
    # 15 days after March: due until 2024-04-15
    assert (march["deadline"], march["late_days"]) == ("2024-04-15", 15)
    assert [i["village"] for i in march["interviews"]] == ["E01", "W01"]  # worst first
    east = march["interviews"][0]
    assert (east["rank"], east["level"], east["status"]) == (2, "bottom", "due")
    assert east["interviewer"] == "分管领导"
    assert east["interviewees"] == "村支部书记赵书记"
    assert east["deputy_secretary"] is None
    assert (march["due"], march["held"], march["late"]) == (2, 0, 0)
    late = client.get("/interviews?month=2024-03&as_of=2024-04-16").json()
    assert [i["status"] for i in late["interviews"]] == ["late", "late"]
    assert late["late"] == 2


def test_two_months_running_call_for_the_principal_leader_and_the_deputy_secretary(client, scored):
    april = client.get("/interviews?month=2024-04&as_of=2024-05-01").json()
    west = next(i for i in april["interviews"] if i["village"] == "W01")
    assert (west["level"], west["interviewer"]) == ("streak", "镇主要领导")
    assert west["deputy_secretary"] == "李副书记"
    assert west["interviewees"] == "村支部书记张书记、共同体副书记李副书记"
    assert west["community_name"] == "一号共同体"


def test_recording_an_interview_held_on_time_and_late(client, tokens, scored):
    body = {"held_on": "2024-04-03", "held_by": "王副镇长", "note": "提醒整改柴草乱堆"}
    done = client.post("/interviews/2024-03/W01", json=body, headers=tokens["leader"])
    assert done.status_code == 201, done.text
    assert (done.json()["status"], done.json()["on_time"]) == ("held", True)
    late = {"held_on": "2024-04-20", "held_by": "王副镇长"}
    assert (
        client.post("/interviews/2024-03/E01", json=late, headers=tokens["admin"]).json()["on_time"]
        is False
    )
    march = client.get("/interviews?month=2024-03&as_of=2024-05-01").json()
    assert (march["due"], march["held"], march["late"]) == (0, 2, 0)
    west = next(i for i in march["interviews"] if i["village"] == "W01")
    assert (west["held_by"], west["note"], west["recorded_by"]) == (
        "王副镇长",
        "提醒整改柴草乱堆",
        "leader (leader)",
    )
    # a correction replaces the record instead of adding one
    again = client.post(
        "/interviews/2024-03/W01", json=body | {"held_on": "2024-04-05"}, headers=tokens["admin"]
    )
    assert again.json()["held_on"] == "2024-04-05"
    assert _rows(scored) == 2


def test_bad_interview_records_are_refused_and_change_nothing(client, tokens, scored):
    body = {"held_on": "2024-04-03", "held_by": "王副镇长"}
    assert client.post("/interviews/2024-03/W01", json=body).status_code == 401
    for role in ("inspector", "west", "planner"):
        refused = client.post("/interviews/2024-03/W01", json=body, headers=tokens[role])
        assert refused.status_code == 403, role
    early = client.post(
        "/interviews/2024-03/W01", json=body | {"held_on": "2024-02-28"}, headers=tokens["admin"]
    )
    assert early.status_code == 422 and early.json()["field"] == "held_on"
    unknown = client.post("/interviews/2024-03/NOPE", json=body, headers=tokens["admin"])
    assert unknown.status_code == 404 and unknown.json()["field"] == "village"
    unscored = client.post("/interviews/2024-06/W01", json=body, headers=tokens["admin"])
    assert unscored.status_code == 404
    bad_month = client.post("/interviews/2024-13/W01", json=body, headers=tokens["admin"])
    assert bad_month.status_code == 422
    blank = client.post(
        "/interviews/2024-03/W01", json=body | {"held_by": ""}, headers=tokens["admin"]
    )
    assert blank.status_code == 422 and blank.json()["field"] == "held_by"
    assert client.get("/interviews?month=March").status_code == 422
    assert _rows(scored) == 0


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_scan_of_the_signed_record_is_stored_and_served(client, tokens, scored):
    not_held = client.post(
        "/interviews/2024-03/W01/scan",
        files={"file": ("record.pdf", PDF, "application/pdf")},
        headers=tokens["admin"],
    )
    assert not_held.status_code == 404
    body = {"held_on": "2024-04-03", "held_by": "王副镇长"}
    client.post("/interviews/2024-03/W01", json=body, headers=tokens["admin"])
    not_pdf = client.post(
        "/interviews/2024-03/W01/scan",
        files={"file": ("record.pdf", b"hello", "application/pdf")},
        headers=tokens["admin"],
    )
    assert not_pdf.status_code == 422 and not_pdf.json()["field"] == "file"
    cut = client.post(
        "/interviews/2024-03/W01/scan",
        files={"file": ("record.pdf", PDF[:20], "application/pdf")},
        headers=tokens["admin"],
    )
    assert cut.status_code == 422 and "%%EOF" in cut.json()["message"]
    stored = client.post(
        "/interviews/2024-03/W01/scan",
        files={"file": ("record.pdf", PDF, "application/pdf")},
        headers=tokens["leader"],
    )
    assert stored.status_code == 201, stored.text
    url = stored.json()["scan_url"]
    assert url == "/interviews/2024-03/W01/scan"
    served = client.get(url)
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert client.get("/interviews/2024-03/E01/scan").status_code == 404
    # a photographed record (PNG) replaces the PDF
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(image, "PNG")
    png = client.post(
        "/interviews/2024-03/W01/scan",
        files={"file": ("record.png", image.getvalue(), "image/png")},
        headers=tokens["admin"],
    )
    assert png.status_code == 201
    assert client.get(url).headers["content-type"] == "image/png"


def test_village_users_see_their_own_interviews(client, tokens, scored):
    west = client.get("/interviews?month=2024-03", headers=tokens["west"]).json()
    assert [i["village"] for i in west["interviews"]] == ["W01"]
    assert (
        client.get("/interviews?month=2024-03&village=E01", headers=tokens["west"]).status_code
        == 403
    )


def test_exports_carry_the_interviews(client, tokens, scored):
    body = {"held_on": "2024-04-03", "held_by": "王副镇长", "note": "已约谈"}
    client.post("/interviews/2024-03/W01", json=body, headers=tokens["admin"])
    csv = client.get("/exports/interviews.csv?month=2024-03&as_of=2024-04-20")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("月份 month,村代码 village")
    assert any("W01" in line and "已约谈" in line and "王副镇长" in line for line in lines)
    assert any("E01" in line and "逾期未约谈" in line for line in lines)
    xlsx = client.get("/exports/interviews.xlsx?month=2024-03")
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = book.active
    assert sheet["A1"].value == "约谈记录 2024-03"
    assert [c.value for c in sheet[2]][:2] == ["月份 month", "村代码 village"]
    assert sheet.max_row == 4  # title, headers, two interviews
    year = openpyxl.load_workbook(io.BytesIO(client.get("/exports/year/2024.xlsx").content))
    interviews = year["约谈记录 interviews"]
    # March's two and April's two (April's are two months running)
    values = [[c.value for c in row] for row in interviews.iter_rows(min_row=2)]
    assert len(values) == 4
    assert sum("连续两月后十名" in row for row in values) == 2
    assert {"村指标 village", "网格指标 grid", "党建共同体指标 community"} <= set(year.sheetnames)
