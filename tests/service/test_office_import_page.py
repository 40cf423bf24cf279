"""The town office imports boundaries and issues from its page (/pages/office/import):
a dry-run preview naming every bad row and field, then 确认导入 imports exactly the
previewed file. Real PostGIS, forms with CSRF, a signed-in session."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.errors import InvalidInput
from tests.server import deployed_app
from tests.service.signin import PASSWORDS, csrf_of, login, page_token

PAGE = "/pages/office/import"
GOOD = (
    "类别,经度,纬度,发现日期\n"
    "tangled_wires,117.205,39.285,2024-03-05\nclutter,117.195,39.285,2024-03-06\n"
)
BAD = (
    "类别,经度,纬度,发现日期\nclutter,117.205,39.285,2024-03-05\nclutter,117.195,north,2024-03-06\n"
)


@pytest.fixture
def office(two_villages_url: str, people, tmp_path) -> Iterator[TestClient]:
    """The town office (admin) signed in, with a small upload limit."""
    app = deployed_app(
        two_villages_url,
        photo_root=tmp_path / "photos",
        data_dir=tmp_path / "data",
        max_upload_mib=0.05,
        max_zip_member_mib=1,
    )
    with TestClient(app) as client:
        assert login(client, "admin", PASSWORDS["admin"]).status_code == 303
        yield client


def _count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM issue")).scalar_one()
    engine.dispose()
    return int(n)


def _upload(client: TestClient, kind: str, name: str, body: bytes, **extra: str):
    token = csrf_of(client.get(PAGE).text)
    return client.post(
        PAGE,
        data={"csrf_token": token, "kind": kind, **extra},
        files={"file": (name, body, "application/octet-stream")},
        follow_redirects=False,
    )


def _token(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, "no confirmation form"
    return found.group(1)


def test_a_bad_row_is_named_by_row_and_field_and_nothing_is_saved(office, two_villages_url):
    before = _count(two_villages_url)
    preview = _upload(office, "issues", "issues.csv", BAD.encode())
    assert preview.status_code == 422
    assert 'data-errors="1"' in preview.text
    row = re.search(
        r'<td data-label="行" class="num">(\d+)</td>\s*<td data-label="字段">([^<]+)</td>',
        preview.text,
    )
    assert row is not None and row.group(1) == "3", preview.text
    assert row.group(2) in ("纬度", "lat", "latitude"), row.group(2)
    assert "未导入任何数据" in preview.text
    assert 'id="confirm"' not in preview.text and 'name="token"' not in preview.text
    assert _count(two_villages_url) == before


def test_a_good_file_is_imported_only_after_confirm(office, two_villages_url):
    before = _count(two_villages_url)
    preview = _upload(office, "issues", "issues.csv", GOOD.encode())
    assert preview.status_code == 200, preview.text
    assert 'id="would-insert">2<' in preview.text and "确认导入" in preview.text
    assert _count(two_villages_url) == before  # a dry run
    token = _token(preview.text)
    forged = office.post(f"{PAGE}/confirm", data={"token": token}, follow_redirects=False)
    assert forged.status_code == 403 and _count(two_villages_url) == before
    done = office.post(
        f"{PAGE}/confirm",
        data={"token": token, "csrf_token": csrf_of(preview.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    result = office.get(done.headers["location"]).text
    assert "2 条新增" in result and "0 条更新" in result and 'href="/maps/status"' in result
    assert _count(two_villages_url) == before + 2
    engine = create_engine(two_villages_url)
    with engine.connect() as conn:
        cats = conn.execute(
            text(
                "SELECT category_code FROM issue"
                " WHERE found_on IN ('2024-03-05', '2024-03-06') AND code NOT LIKE 'I_'"
            )
        ).scalars()
        assert sorted(cats) == ["clutter", "tangled_wires"]
    engine.dispose()
    again = office.post(
        f"{PAGE}/confirm",
        data={"token": token, "csrf_token": csrf_of(result)},
        follow_redirects=False,
    )
    assert again.status_code == 422 and "no longer available" in again.text
    assert _count(two_villages_url) == before + 2


def test_a_preview_belongs_to_the_session_that_uploaded_it(
    office, two_villages_url, people, tmp_path
):
    preview = _upload(office, "issues", "issues.csv", GOOD.encode())
    token = _token(preview.text)
    # another worker of the same deployment (same data folder), another sign-in
    app = deployed_app(two_villages_url, data_dir=tmp_path / "data")
    with TestClient(app) as other:
        login(other, "admin", PASSWORDS["admin"])
        page = other.get(PAGE).text
        stolen = other.post(
            f"{PAGE}/confirm",
            data={"token": token, "csrf_token": csrf_of(page)},
            follow_redirects=False,
        )
    assert stolen.status_code == 422 and "no longer available" in stolen.text
    assert 'id="import-error"' in stolen.text


@pytest.mark.parametrize(
    ("kind", "name", "body", "status", "says"),
    [
        ("lakes", "issues.csv", GOOD.encode(), 422, "unknown kind"),
        ("issues", "issues.exe", b"MZ", 422, "expected one of"),
        ("villages", "big.geojson", b" " * 60_000, 413, "larger than"),
        ("villages", "broken.zip", b"PK not a zip", 422, "not a valid .zip"),
        ("villages", "broken.gpkg", b"not a geopackage", 422, "broken.gpkg"),
        ("roads", "broken.kml", b"<kml><Placemark>", 422, "broken.kml"),
        ("issues", "broken.xlsx", b"PK no workbook", 422, ".xlsx"),
    ],
)
def test_bad_input_shows_the_page_again_with_a_message(
    office, two_villages_url, kind, name, body, status, says
):
    before = _count(two_villages_url)
    answer = _upload(office, kind, name, body)
    assert answer.status_code == status, answer.text
    assert says in answer.text
    # the form again with the message, or (a file the reader cannot read) the preview's errors
    assert 'id="import-error"' in answer.text or 'data-errors="1"' in answer.text
    assert 'id="confirm"' not in answer.text and 'href="/pages/office/import' in answer.text
    assert _count(two_villages_url) == before


def test_a_zip_bomb_is_refused(office):
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("villages.geojson", b"\0" * (3 * 2**20))
    assert len(bomb.getvalue()) < 50_000
    answer = _upload(office, "villages", "bomb.zip", bomb.getvalue())
    assert answer.status_code == 413 and "unpacks to more than" in answer.text
    assert 'id="import-error"' in answer.text


def test_no_file_is_a_message_not_a_500(office):
    token = csrf_of(office.get(PAGE).text)
    answer = office.post(
        PAGE,
        data={"csrf_token": token, "kind": "issues", "file": "not a file"},
        follow_redirects=False,
    )
    assert answer.status_code == 422 and "choose a file" in answer.text


@pytest.mark.parametrize("name", ["inspector", "west"])
def test_only_the_office_imports_from_the_page(two_villages_url, people, name):
    app = deployed_app(two_villages_url)
    with TestClient(app) as client:
        assert login(client, name, PASSWORDS[name]).status_code == 303
        assert client.get(PAGE).status_code == 403
        refused = client.post(
            PAGE,
            data={"kind": "issues", "csrf_token": page_token(client)},
            files={"file": ("i.csv", GOOD.encode(), "text/csv")},
        )
        assert refused.status_code == 403
        assert 'href="/pages/office/import"' not in client.get("/").text


def test_the_month_page_links_to_the_import(office):
    home = office.get("/pages/office/").text
    assert 'id="st-import"' in home and 'href="/pages/office/import"' in home


def test_a_boundary_file_previews_updates_then_imports(office, two_villages_url):
    ring = [[117.19, 39.28], [117.201, 39.28], [117.201, 39.29], [117.19, 39.29], [117.19, 39.28]]
    feature = {
        "type": "Feature",
        "properties": {"code": "W01", "name": "西村"},
        "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]},
    }
    body = json.dumps({"type": "FeatureCollection", "features": [feature]}).encode()
    preview = _upload(office, "villages", "villages.geojson", body)
    assert preview.status_code == 200, preview.text
    assert 'id="would-update">1<' in preview.text and 'id="would-insert">0<' in preview.text
    done = office.post(
        f"{PAGE}/confirm",
        data={"token": _token(preview.text), "csrf_token": csrf_of(preview.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    result = office.get(done.headers["location"] + "&lang=en").text
    assert "0 new, 1 updated" in result and 'href="/"' in result
    engine = create_engine(two_villages_url)
    with engine.connect() as conn:
        east = conn.execute(
            text("SELECT round(ST_XMax(geom)::numeric, 3) FROM village WHERE code = 'W01'")
        ).scalar_one()
    engine.dispose()
    assert float(east) == 117.201


def test_another_worker_confirms_a_preview_kept_in_the_data_folder(
    office, two_villages_url, tmp_path
):
    """The preview is kept under the deployment's data folder, which every worker shares:
    the same session's confirmation may reach another worker."""
    before = _count(two_villages_url)
    preview = _upload(office, "issues", "issues.csv", GOOD.encode())
    token = _token(preview.text)
    assert (tmp_path / "data" / "import-previews" / token / "pending.json").is_file()
    worker = deployed_app(two_villages_url, data_dir=tmp_path / "data")
    with TestClient(worker, cookies=dict(office.cookies)) as other:
        done = other.post(
            f"{PAGE}/confirm",
            data={"token": token, "csrf_token": csrf_of(other.get(PAGE).text)},
            follow_redirects=False,
        )
    assert done.status_code == 303, done.text
    assert _count(two_villages_url) == before + 2
    assert not (tmp_path / "data" / "import-previews" / token).exists()


def test_a_preview_is_claimed_once(office, tmp_path):
    """Two confirmations at once (a double click) cannot both import the file."""
    import json

    from service import import_previews

    preview = _upload(office, "issues", "issues.csv", GOOD.encode())
    token = _token(preview.text)
    kept = tmp_path / "data" / "import-previews" / token / "pending.json"
    owner = json.loads(kept.read_text(encoding="utf-8"))["owner"]
    first = import_previews.take(tmp_path / "data", token, owner)
    assert first.file.is_file()
    with pytest.raises(InvalidInput, match="no longer available"):
        import_previews.take(tmp_path / "data", token, owner)
