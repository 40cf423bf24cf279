"""Limits (issue 10.2): each a named setting, refused with a 413 that names it; nothing stored."""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pyogrio
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text

from service.app import create_app
from service.settings import ServiceSettings


@pytest.fixture
def limited(two_villages_url, tmp_path) -> Iterator[Callable[..., TestClient]]:
    """A client on the two-village town with some limits lowered."""
    with ExitStack() as stack:

        def make(**limits: object) -> TestClient:
            app = create_app(ServiceSettings(database_url=two_villages_url, **limits))
            app.state.photo_root = tmp_path / "photos"
            return stack.enter_context(TestClient(app))

        yield make


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    engine.dispose()
    return n


def _villages(vertices: int = 5) -> dict:
    """Two villages as GeoJSON; the west one's boundary has `vertices` vertices (a circle)."""
    ring = [
        [
            117.195 + 0.004 * math.cos(2 * math.pi * i / (vertices - 1)),
            39.285 + 0.004 * math.sin(2 * math.pi * i / (vertices - 1)),
        ]
        for i in range(vertices - 1)
    ]
    ring.append(ring[0])
    east = [[117.20, 39.28], [117.21, 39.28], [117.21, 39.29], [117.20, 39.29], [117.20, 39.28]]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code, "name": name, "community": "C1"},
                "geometry": {"type": "Polygon", "coordinates": [coords]},
            }
            for code, name, coords in (("W01", "西村", ring), ("E01", "东村", east))
        ],
    }


def _assert_413(response, setting: str) -> dict:
    assert response.status_code == 413, response.text
    body = response.json()
    assert body["error"] == "too_large"
    assert setting in body["message"]
    return body


def test_zip_bomb_is_stopped_at_the_unpacked_limit(limited, tokens, two_villages_url):
    # 64 MiB of zeros packs into about 64 KB: refused at 8 MiB unpacked, before reading it all
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("villages.geojson", json.dumps(_villages()))
        with z.open("padding.csv", "w") as member:
            for _ in range(64):
                member.write(b"\0" * 2**20)
    assert len(bomb.getvalue()) < 2**20
    client = limited(max_unzipped_mib=8, max_zip_member_mib=100)
    before = client.get("/villages").json()
    response = client.post(
        "/import/villages",
        files={"file": ("bomb.zip", bomb.getvalue(), "application/zip")},
        headers=tokens["admin"],
    )
    body = _assert_413(response, "CUNRONG_MAX_UNZIPPED_MIB")
    assert "8 MiB" in body["message"] and body["field"] == "file"
    assert client.get("/villages").json() == before


def test_zip_member_and_member_count_limits(limited, tokens):
    client = limited(max_zip_member_mib=1, max_zip_members=3)
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("villages.geojson", b" " * (2 * 2**20) + json.dumps(_villages()).encode())
    response = client.post(
        "/import/villages",
        files={"file": ("big.zip", big.getvalue(), "application/zip")},
        headers=tokens["admin"],
    )
    body = _assert_413(response, "CUNRONG_MAX_ZIP_MEMBER_MIB")
    assert "villages.geojson" in body["message"] and "MiB" in body["message"]
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as z:
        for i in range(5):
            z.writestr(f"part{i}.txt", b"x")
    response = client.post(
        "/import/villages",
        files={"file": ("many.zip", many.getvalue(), "application/zip")},
        headers=tokens["admin"],
    )
    body = _assert_413(response, "CUNRONG_MAX_ZIP_MEMBERS")
    assert "5 files" in body["message"]


def test_upload_size_limit_is_in_mib(limited, tokens):
    client = limited(max_upload_mib=0.5)
    data = json.dumps(_villages()).encode() + b" " * 2**20
    response = client.post(
        "/import/villages",
        files={"file": ("villages.geojson", data, "application/geo+json")},
        headers=tokens["admin"],
    )
    body = _assert_413(response, "CUNRONG_MAX_UPLOAD_MIB")
    assert "0.5 MiB" in body["message"] and " MB" not in body["message"]


def test_polygon_with_too_many_vertices_is_refused(limited, tokens, two_villages_url):
    client = limited(max_polygon_vertices=1_000)
    before = client.get("/villages").json()
    response = client.post(
        "/import/villages",
        files={"file": ("v.geojson", json.dumps(_villages(5_000)), "application/geo+json")},
        headers=tokens["admin"],
    )
    body = _assert_413(response, "CUNRONG_MAX_POLYGON_VERTICES")
    assert "feature 1" in body["message"] and "5,000 vertices" in body["message"]
    assert body["field"] == "geometry"
    assert client.get("/villages").json() == before
    # the same file passes under the default limit
    fine = limited().post(
        "/import/villages",
        files={"file": ("v.geojson", json.dumps(_villages(5_000)), "application/geo+json")},
        headers=tokens["admin"],
    )
    assert fine.status_code == 200, fine.text


def test_a_geojson_feature_too_long_to_hold_that_many_vertices_is_refused_before_parsing(
    limited, tokens
):
    """GDAL would build the whole feature as a JSON tree first (≈ 13× its text); a feature
    longer than the vertex limit could take as text is stopped by GDAL's own cap."""
    client = limited(max_polygon_vertices=1_000)  # a cap of 2 MB of text per feature
    before = client.get("/villages").json()
    data = json.dumps(_villages(80_000))  # ≈ 3.4 MB in one feature
    assert len(data) > 3_000_000
    response = client.post(
        "/import/villages",
        files={"file": ("v.geojson", data, "application/geo+json")},
        headers=tokens["admin"],
    )
    body = _assert_413(response, "CUNRONG_MAX_POLYGON_VERTICES")
    assert "over 2 MB of GeoJSON text" in body["message"], body
    assert "at most 1,000 vertices" in body["message"] and body["field"] == "geometry"
    assert client.get("/villages").json() == before
    assert pyogrio.get_gdal_config_option("OGR_GEOJSON_MAX_OBJ_SIZE") is None  # put back


def test_vertices_per_file_and_rows_per_upload(limited, tokens):
    client = limited(max_file_vertices=100, max_upload_rows=1)
    response = client.post(
        "/import/villages",
        files={"file": ("v.geojson", json.dumps(_villages(60)), "application/geo+json")},
        headers=tokens["admin"],
    )
    _assert_413(response, "CUNRONG_MAX_UPLOAD_ROWS")
    client = limited(max_file_vertices=50)
    response = client.post(
        "/import/villages",
        files={"file": ("v.geojson", json.dumps(_villages(60)), "application/geo+json")},
        headers=tokens["admin"],
    )
    body = _assert_413(response, "CUNRONG_MAX_FILE_VERTICES")
    assert "65 vertices" in body["message"]


def test_score_sheet_rows_and_size(limited, tokens, two_villages_url):
    client = limited(max_upload_rows=2, max_sheet_mib=0.01)
    rows = "".join(f"2024-03,W01,group {i},80\n" for i in range(3))
    sheet = ("month,village,group,score\n" + rows).encode()
    response = client.post(
        "/scores/upload",
        files={"file": ("scores.csv", sheet, "text/csv")},
        headers=tokens["admin"],
    )
    _assert_413(response, "CUNRONG_MAX_UPLOAD_ROWS")
    big = sheet + b"\n" * 20_000
    response = client.post(
        "/scores/upload",
        files={"file": ("scores.csv", big, "text/csv")},
        headers=tokens["admin"],
    )
    _assert_413(response, "CUNRONG_MAX_SHEET_MIB")
    assert _count(two_villages_url, "observation_score") == 0


def _issue(client: TestClient, tokens) -> str:
    response = client.post(
        "/issues",
        json={"category": "clutter", "lon": 117.195, "lat": 39.2855},
        headers=tokens["inspector"],
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_big_pixel_png_is_refused_from_its_header(limited, tokens, two_villages_url, tmp_path):
    client = limited()  # default CUNRONG_MAX_IMAGE_PIXELS: 40 megapixels
    issue = _issue(client, tokens)
    out = io.BytesIO()
    Image.new("1", (7700, 7700)).save(out, "PNG")  # about 60 megapixels in a few KB
    assert len(out.getvalue()) < 200_000
    response = client.post(
        f"/issues/{issue}/photos",
        files={"file": ("big.png", out.getvalue(), "image/png")},
        headers=tokens["inspector"],
    )
    body = _assert_413(response, "CUNRONG_MAX_IMAGE_PIXELS")
    assert "7700×7700" in body["message"] and body["field"] == "file"
    assert _count(two_villages_url, "photo") == 0
    assert not (tmp_path / "photos").exists() or not any((tmp_path / "photos").rglob("*.*"))


def test_photo_size_limit_is_in_mib(limited, tokens, two_villages_url):
    client = limited(max_photo_mib=0.01)
    issue = _issue(client, tokens)
    noise = Image.effect_noise((300, 300), 80).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)
    assert len(out.getvalue()) > 0.01 * 2**20
    response = client.post(
        f"/issues/{issue}/photos",
        files={"file": ("n.jpg", out.getvalue(), "image/jpeg")},
        headers=tokens["inspector"],
    )
    body = _assert_413(response, "CUNRONG_MAX_PHOTO_MIB")
    assert "MiB" in body["message"] and " MB" not in body["message"]
    assert _count(two_villages_url, "photo") == 0


def test_an_oversized_body_is_refused_before_it_is_read(limited, tokens, two_villages_url):
    client = limited(max_upload_mib=0.1, max_photo_mib=0.1, max_sheet_mib=0.1)
    issue = _issue(client, tokens)
    big = b"\xff\xd8" + b"\0" * (3 * 2**20)
    declared = client.post(
        f"/issues/{issue}/photos",
        files={"file": ("big.jpg", big, "image/jpeg")},
        headers=tokens["inspector"],
    )
    body = _assert_413(declared, "CUNRONG_MAX_PHOTO_MIB")
    assert "request body" in body["message"] and "1.1 MiB" in body["message"]

    def chunks():  # no Content-Length: counted as it arrives
        yield b"--x\r\nContent-Disposition: form-data; name=file; filename=a.jpg\r\n\r\n"
        for _ in range(3):
            yield b"\0" * 2**20

    streamed = client.post(
        f"/issues/{issue}/photos",
        content=chunks(),
        headers={**tokens["inspector"], "Content-Type": "multipart/form-data; boundary=x"},
    )
    _assert_413(streamed, "CUNRONG_MAX_PHOTO_MIB")
    assert _count(two_villages_url, "photo") == 0
