"""Photos: real images only, stored by hash, EXIF read, far after-photos flagged."""

from __future__ import annotations

import hashlib
import io
from datetime import date, datetime

import pytest
from PIL import ExifTags, Image
from sqlalchemy import text

from geo.errors import InvalidInput
from geo.loop import NewIssue, create_issue
from geo.photos import photo_path, store_photo, thumbnail_path
from tests.town import add_square_village


def jpeg(*, gps: tuple[float, float] | None = None, size=(800, 600)) -> bytes:
    image = Image.new("RGB", size, (120, 160, 90))
    exif = Image.Exif()
    exif[ExifTags.Base.DateTime] = "2024:04:02 09:30:00"
    if gps:
        lon, lat = gps

        def dms(value):
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60, 3)
            return (float(d), float(m), s)

        exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "N", 2: dms(lat), 3: "E", 4: dms(lon)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def issue(session):
    conn = session.connection()
    add_square_village(conn)
    created = create_issue(
        conn,
        NewIssue(category="clutter", lon=117.195, lat=39.285, found_on=date(2024, 3, 5)),
        actor="i",
    )
    return conn, created.id


def test_jpeg_is_stored_by_hash_with_thumbnail_and_exif(issue, tmp_path):
    conn, issue_id = issue
    data = jpeg(gps=(117.1951, 39.285))  # ≈ 8.6 m east of the issue
    stored = store_photo(
        conn, root=tmp_path, issue_id=issue_id, data=data, kind="after", uploaded_by="v"
    )
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert photo_path(tmp_path, stored.sha256, "jpg").read_bytes() == data
    with Image.open(thumbnail_path(tmp_path, stored.sha256)) as thumb:
        assert max(thumb.size) == 320
    assert stored.taken_at == datetime(2024, 4, 2, 9, 30)
    assert stored.distance_m == pytest.approx(8.6, abs=0.5)
    assert stored.warnings == ()


def test_after_photo_far_from_the_issue_is_flagged(issue, tmp_path):
    conn, issue_id = issue
    data = jpeg(gps=(117.196, 39.285))  # 0.001° ≈ 86 m east
    stored = store_photo(
        conn, root=tmp_path, issue_id=issue_id, data=data, kind="after", uploaded_by="v"
    )
    assert len(stored.warnings) == 1 and "86 m" in stored.warnings[0]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"<html><script>alert(1)</script></html>", "not an image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "not an image"),  # a JPEG header, then nothing
    ],
)
def test_non_images_are_refused_and_nothing_is_stored(issue, tmp_path, data, message):
    conn, issue_id = issue
    with pytest.raises(InvalidInput, match=message) as err:
        store_photo(
            conn, root=tmp_path, issue_id=issue_id, data=data, kind="before", uploaded_by="i"
        )
    assert err.value.field == "file"
    assert list(tmp_path.iterdir()) == []
    assert conn.execute(text("SELECT count(*) FROM photo")).scalar_one() == 0


def test_gif_is_refused_by_content(issue, tmp_path):
    conn, issue_id = issue
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    with pytest.raises(InvalidInput, match="GIF images are not accepted"):
        store_photo(
            conn,
            root=tmp_path,
            issue_id=issue_id,
            data=out.getvalue(),
            kind="before",
            uploaded_by="i",
        )
