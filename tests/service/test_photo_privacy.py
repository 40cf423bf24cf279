"""Photos (issue 10.6): readers get a copy without EXIF; the original stays private; retries
store one photo; where a photo was taken is shown to admins and inspectors only."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image
from sqlalchemy import create_engine, text

from tests.service.test_loop_api import new_issue

SERIAL = "SN-CAM-00451977"


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    return (float(d), float(m), round(((value - d) * 60 - m) * 60, 3))


def camera_jpeg(*, orientation: int | None = None) -> bytes:
    """A JPEG as a phone writes it: GPS position, camera make/model and body serial number."""
    image = Image.new("RGB", (120, 80), (90, 140, 60))
    image.paste((250, 20, 20), (0, 0, 30, 20))  # a red corner, to see the orientation
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CunrongCam"
    exif[ExifTags.Base.Model] = "Field-1"
    exif[ExifTags.Base.DateTime] = "2024:05:06 10:15:00"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.BodySerialNumber] = SERIAL
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: _dms(39.2855), 3: "E", 4: _dms(117.1951)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    return out.getvalue()


def _upload(client, issue_id, data, headers, kind="before"):
    return client.post(
        f"/issues/{issue_id}/photos",
        files={"file": ("p.jpg", data, "image/jpeg")},
        data={"kind": kind},
        headers=headers,
    )


def _assert_no_metadata(data: bytes) -> None:
    assert b"Exif" not in data and SERIAL.encode() not in data and b"CunrongCam" not in data
    with Image.open(io.BytesIO(data)) as served:
        assert dict(served.getexif()) == {}
        assert "exif" not in served.info and "xmp" not in served.info


def test_readers_get_photos_and_thumbnails_without_exif(client, tokens, tmp_path):
    issue = new_issue(client, tokens["inspector"]).json()
    data = camera_jpeg()
    assert SERIAL.encode() in data and b"Exif" in data  # the upload carries both
    uploaded = _upload(client, issue["id"], data, tokens["inspector"])
    assert uploaded.status_code == 201, uploaded.text
    photo = uploaded.json()
    served = client.get(photo["url"])
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    _assert_no_metadata(served.content)
    with Image.open(io.BytesIO(served.content)) as image:
        assert image.size == (120, 80)
    thumb = client.get(photo["thumbnail_url"])
    assert thumb.status_code == 200
    _assert_no_metadata(thumb.content)
    # the original is kept as uploaded, privately: not for readers, villages or leaders
    stored = list((tmp_path / "photos").rglob(f"{photo['sha256']}.jpg"))
    assert data in [p.read_bytes() for p in stored]
    original = f"/photos/{photo['id']}/original"
    assert client.get(original).status_code == 401
    assert client.get(original, headers=tokens["leader"]).status_code == 403
    assert client.get(original, headers=tokens["west"]).status_code == 403
    assert client.get(original, headers=tokens["inspector"]).content == data


def test_photo_position_is_shown_to_admins_and_inspectors_only(client, tokens):
    issue = new_issue(client, tokens["inspector"]).json()
    uploaded = _upload(client, issue["id"], camera_jpeg(), tokens["inspector"]).json()
    assert uploaded["lon"] == pytest.approx(117.1951, abs=1e-6)
    for who, sees in (("inspector", True), ("admin", True), ("leader", False), (None, False)):
        detail = client.get(f"/issues/{issue['id']}", headers=tokens.get(who, {})).json()
        (photo,) = detail["properties"]["photos"]
        assert (photo["lat"] is not None) is sees, who
        assert (photo["lon"] is not None) is sees, who


def test_orientation_is_applied_before_exif_is_dropped(client, tokens):
    issue = new_issue(client, tokens["inspector"]).json()
    photo = _upload(client, issue["id"], camera_jpeg(orientation=6), tokens["inspector"]).json()
    served = client.get(photo["url"]).content
    _assert_no_metadata(served)
    with Image.open(io.BytesIO(served)) as image:
        assert image.size == (80, 120)  # turned upright: the viewer no longer needs the tag


def test_the_same_photo_uploaded_twice_is_stored_once(client, tokens, two_villages_url):
    issue = new_issue(client, tokens["inspector"]).json()
    data = camera_jpeg()
    first = _upload(client, issue["id"], data, tokens["inspector"])
    again = _upload(client, issue["id"], data, tokens["inspector"])
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["sha256"] == first.json()["sha256"]
    other = new_issue(client, tokens["inspector"], description="另一处").json()
    elsewhere = _upload(client, other["id"], data, tokens["inspector"])
    assert elsewhere.status_code == 201 and elsewhere.json()["id"] != first.json()["id"]
    engine = create_engine(two_villages_url)
    with engine.connect() as conn:
        counts = conn.execute(
            text("SELECT issue_id::text, count(*) FROM photo GROUP BY issue_id")
        ).all()
    engine.dispose()
    assert sorted(n for _, n in counts) == [1, 1]


def test_a_photo_stored_before_public_copies_existed_is_served_clean(client, tokens, tmp_path):
    import shutil

    issue = new_issue(client, tokens["inspector"]).json()
    photo = _upload(client, issue["id"], camera_jpeg(), tokens["inspector"]).json()
    shutil.rmtree(tmp_path / "photos" / "public")
    shutil.rmtree(tmp_path / "photos" / "thumbs")
    _assert_no_metadata(client.get(photo["url"]).content)
    _assert_no_metadata(client.get(photo["thumbnail_url"]).content)


def test_overlapping_retries_of_one_photo_store_it_once(client, tokens, two_villages_url, tmp_path):
    import threading
    import uuid

    from geo.photos import store_photo

    issue = uuid.UUID(new_issue(client, tokens["inspector"]).json()["id"])
    data = camera_jpeg()
    engine = create_engine(two_villages_url)
    barrier = threading.Barrier(2)
    ids: list[uuid.UUID] = []

    def upload() -> None:
        with engine.begin() as conn:
            barrier.wait()
            stored = store_photo(
                conn, root=tmp_path / "p", issue_id=issue, data=data, kind="before", uploaded_by="i"
            )
            ids.append(stored.id)

    threads = [threading.Thread(target=upload) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM photo WHERE issue_id = :i"), {"i": issue}
        ).scalar_one()
    engine.dispose()
    assert stored == 1 and len(ids) == 2 and ids[0] == ids[1]
