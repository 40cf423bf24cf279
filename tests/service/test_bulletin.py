"""The monthly bulletin (月度通报) of the sample town: PDF read back with pdftotext, the PNG
slide's shape, refusals (no scores, wrong role), and one photo inlined."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text

from service.app import create_app
from service.cli import app as cli_app
from service.settings import ServiceSettings
from tests.cli import runner_for

MONTH = "2024-05"


def _pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    )
    return out.stdout.decode("utf-8")


def _month(url: str, month: str) -> list[tuple[str, int, bool]]:
    """(name, rank, bottom_ten) of the month's ranking, from the API's own JSON."""
    app = create_app(ServiceSettings(database_url=url, anonymous_read=True))
    with TestClient(app) as client:
        body = client.get(f"/rankings/month/{month}").json()
    return [(r["name"], r["rank"], r["bottom_ten"]) for r in body["ranking"]]


@pytest.fixture
def users(sample_url: str) -> dict[str, dict[str, str]]:
    from geo.users import create_user

    engine = create_engine(sample_url)
    headers = {}
    with engine.begin() as conn:
        village = conn.execute(text("SELECT code FROM village ORDER BY code LIMIT 1")).scalar_one()
        for name, role, code in (
            ("admin", "admin", None),
            ("leader", "leader", None),
            ("inspector", "inspector", None),
            ("west", "village", village),
        ):
            _, token = create_user(conn, name=name, role=role, village_code=code)
            headers[name] = {"Authorization": f"Bearer {token}"}
    engine.dispose()
    return headers


def test_cli_pdf_has_heading_month_ranking_and_bottom_ten(sample_url: str, tmp_path: Path) -> None:
    out = tmp_path / "通报.pdf"
    result = runner_for(sample_url, data_dir=tmp_path).invoke(
        cli_app, ["bulletin", MONTH, "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:5] == b"%PDF-"
    words = _pdf_text(out)
    assert "大张庄镇" in words
    assert "2024年5月" in words and "月度通报" in words
    ranking = _month(sample_url, MONTH)
    assert len(ranking) > 10
    for name, _, _ in ranking:
        assert name in words, name
    bottom = [name for name, _, is_bottom in ranking if is_bottom]
    assert len(bottom) == 10
    section = words[words.index("后十名及约谈") :]
    for name in bottom:
        assert name in section, name
    # interviews due (geo.interviews): May's are past their deadline by now, none held
    assert section[: section.index("典型问题曝光")].count("逾期未约谈") == 10
    assert "村支部书记" in section
    assert "典型问题曝光" in words and "整改示范" in words
    # the first row: rank 1, its village, and its rank change column
    first = next(line for line in words.splitlines() if ranking[0][0] in line)
    assert first.split()[0] == "1"


def test_cli_png_is_a_16_by_9_slide(sample_url: str, tmp_path: Path) -> None:
    out = tmp_path / "slide.png"
    result = runner_for(sample_url, data_dir=tmp_path).invoke(
        cli_app, ["bulletin", MONTH, "-o", str(out), "--format", "png"]
    )
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        width, height = image.size
        assert (width, height) == (1920, 1080)
        # not a blank page: the red header band is there
        assert image.convert("RGB").getpixel((960, 40)) == (0xBB, 0, 0)


def test_a_month_without_scores_is_a_clear_refusal(sample_url: str, tmp_path: Path) -> None:
    out = tmp_path / "none.pdf"
    result = runner_for(sample_url, data_dir=tmp_path).invoke(
        cli_app, ["bulletin", "2024-08", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert "2024-08" in result.output
    assert not out.exists()
    bad = runner_for(sample_url, data_dir=tmp_path).invoke(
        cli_app, ["bulletin", "2024-13", "-o", str(out)]
    )
    assert bad.exit_code == 1 and "YYYY-MM" in bad.output


def test_http_roles_formats_and_refusals(
    sample_url: str, tmp_path: Path, users: dict[str, dict[str, str]]
) -> None:
    settings = ServiceSettings(database_url=sample_url, data_dir=tmp_path, anonymous_read=False)
    with TestClient(create_app(settings)) as client:
        assert client.get(f"/bulletins/{MONTH}.pdf").status_code == 401
        for name in ("west", "inspector"):
            refused = client.get(f"/bulletins/{MONTH}.pdf", headers=users[name])
            assert refused.status_code == 403, name
        pdf = client.get(f"/bulletins/{MONTH}.pdf", headers=users["leader"])
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content[:5] == b"%PDF-"
        png = client.get(f"/bulletins/{MONTH}.png", headers=users["admin"])
        assert png.status_code == 200
        with Image.open(io.BytesIO(png.content)) as image:
            assert image.size[0] * 9 == image.size[1] * 16
        none = client.get("/bulletins/2024-08.pdf", headers=users["admin"])
        assert none.status_code == 404
        assert none.json()["field"] == "month"
        assert client.get("/bulletins/2024-05.gif", headers=users["admin"]).status_code in {
            404,
            422,
        }


def test_typical_problem_photos_are_inlined(
    sample_url: str, tmp_path: Path, users: dict[str, dict[str, str]]
) -> None:
    """A before-photo posted on an open May issue of the worst village shows in the PDF."""
    from service.bulletin import bulletin_data

    worst = _month(sample_url, MONTH)[-1][0]
    engine = create_engine(sample_url)
    with engine.connect() as conn:
        issue = conn.execute(
            text(
                "SELECT i.id FROM issue i JOIN village v ON v.id = i.village_id"
                " WHERE v.name = :n AND i.found_on >= '2024-05-01' AND i.found_on < '2024-06-01'"
                " AND (i.closed_on IS NULL OR i.closed_on > '2024-05-31') ORDER BY i.code LIMIT 1"
            ),
            {"n": worst},
        ).scalar()
    assert issue is not None, "the sample's worst village has an issue open at May's end"
    settings = ServiceSettings(database_url=sample_url, data_dir=tmp_path)
    picture = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 40, 40)).save(picture, "JPEG")
    with TestClient(create_app(settings)) as client:
        posted = client.post(
            f"/issues/{issue}/photos",
            files={"file": ("before.jpg", picture.getvalue(), "image/jpeg")},
            data={"kind": "before"},
            headers=users["admin"],
        )
        assert posted.status_code == 201, posted.text
    from service.rankings import rules_for

    with engine.connect() as conn:
        data = bulletin_data(
            conn,
            MONTH,
            rules=rules_for(None),
            photo_root=settings.photo_dir,
            town_name="大张庄镇",
            today=date(2024, 12, 31),
        )
    engine.dispose()
    first = data["typical"][0]
    assert first.village_name == worst
    assert first.before is not None and first.before.startswith("data:image/jpeg;base64,")
    assert first.after is None


def test_a_closed_issue_with_before_and_after_photos_is_the_good_example(
    sample_url: str, tmp_path: Path, users: dict[str, dict[str, str]]
) -> None:
    """The rule of docs/bulletin.md: closed by the month's end, both photos → 整改示范."""
    from service.bulletin import bulletin_data
    from service.rankings import rules_for

    engine = create_engine(sample_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT i.id, i.code, v.name FROM issue i JOIN village v ON v.id = i.village_id"
                " WHERE i.found_on >= '2024-05-01' AND i.found_on < '2024-06-01'"
                " AND i.status = 'closed' AND i.closed_on <= '2024-05-31' ORDER BY i.code LIMIT 1"
            )
        ).one()
    settings = ServiceSettings(database_url=sample_url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        for kind, colour in (("before", (200, 40, 40)), ("after", (40, 160, 40))):
            picture = io.BytesIO()
            Image.new("RGB", (640, 480), colour).save(picture, "JPEG")
            posted = client.post(
                f"/issues/{row.id}/photos",
                files={"file": (f"{kind}.jpg", picture.getvalue(), "image/jpeg")},
                data={"kind": kind},
                headers=users["admin"],
            )
            assert posted.status_code == 201, posted.text
    with engine.connect() as conn:
        data = bulletin_data(
            conn,
            MONTH,
            rules=rules_for(None),
            photo_root=settings.photo_dir,
            town_name="大张庄镇",
            today=date(2024, 12, 31),
        )
    engine.dispose()
    good = data["good"]
    assert good is not None and good.code == row.code and good.village_name == row.name
    assert good.before and good.after and good.before != good.after
    assert not good.open_at_month_end
