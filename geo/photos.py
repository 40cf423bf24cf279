"""Photos of issues: only real images, stored by SHA-256 outside the web root, with thumbnails.

EXIF GPS position and capture time are read when present; an after-photo taken far from
its issue (default more than 50 m) is flagged so the inspector can look twice.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image, UnidentifiedImageError
from sqlalchemy import Connection, text

from geo import issue_reader
from geo.errors import InvalidInput, NotFound

ALLOWED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
MAX_BYTES = 15 * 1024 * 1024
MAX_PIXELS = 60_000_000
THUMB_SIZE = (320, 320)
AFTER_PHOTO_MAX_DISTANCE_M = 50.0


@dataclass(frozen=True)
class StoredPhoto:
    """A photo as recorded, with any warning for the person who uploaded it."""

    id: uuid.UUID
    sha256: str
    mime: str
    width: int
    height: int
    taken_at: datetime | None
    lon: float | None
    lat: float | None
    distance_m: float | None
    warnings: tuple[str, ...]


# EXIF values are whatever the camera wrote; read_exif turns a TypeError into "no position".
def _rational(value: Any) -> float:
    if isinstance(value, tuple):
        return float(value[0]) / float(value[1])
    return float(value)


def _dms(values: Any, ref: str) -> float:
    d, m, s = (_rational(v) for v in values)
    deg = d + m / 60 + s / 3600
    return -deg if ref in ("S", "W") else deg


def read_exif(image: Image.Image) -> tuple[datetime | None, float | None, float | None]:
    """Capture time and GPS position (WGS-84) from EXIF, when the camera wrote them."""
    exif = image.getexif()
    taken_at = None
    raw_time = exif.get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal) or exif.get(
        ExifTags.Base.DateTime
    )
    if isinstance(raw_time, str):
        try:
            taken_at = datetime.strptime(raw_time.strip(), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            taken_at = None
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lon = lat = None
    try:
        if gps and 2 in gps and 4 in gps:
            lat = _dms(gps[2], gps.get(1, "N"))
            lon = _dms(gps[4], gps.get(3, "E"))
    except (TypeError, ValueError, ZeroDivisionError):
        lon = lat = None
    return taken_at, lon, lat


def open_image(data: bytes, *, field: str = "file") -> Image.Image:
    """Decode and verify image bytes; anything else is refused by content, not by name."""
    if not data:
        raise InvalidInput("the file is empty", field=field)
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            f"the photo is {len(data) / 1e6:.1f} MB; at most {MAX_BYTES / 1e6:.0f} MB", field=field
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image = Image.open(io.BytesIO(data))
        if image.format not in ALLOWED_FORMATS:
            raise InvalidInput(
                f"{image.format} images are not accepted; send JPEG, PNG or WebP", field=field
            )
        if image.width * image.height > MAX_PIXELS:
            raise InvalidInput("the image has too many pixels", field=field)
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise InvalidInput(f"not an image (JPEG, PNG or WebP): {exc}", field=field) from None
    return image


def store_photo(
    conn: Connection,
    *,
    root: Path,
    issue_id: uuid.UUID,
    data: bytes,
    kind: str,
    uploaded_by: str,
) -> StoredPhoto:
    """Check, store (by content hash) and record a photo of an issue."""
    if kind not in ("before", "after", "other"):
        raise InvalidInput("expected kind before, after or other", field="kind")
    issue = issue_reader.point_of(conn, issue_id)
    if issue is None:
        raise NotFound(f"no issue {issue_id}", field="issue_id")
    image = open_image(data)
    mime, ext = ALLOWED_FORMATS[image.format or ""]
    sha = hashlib.sha256(data).hexdigest()
    path = photo_path(root, sha, ext)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    thumb = thumbnail_path(root, sha)
    if not thumb.exists():
        thumb.parent.mkdir(parents=True, exist_ok=True)
        small = image.convert("RGB")
        small.thumbnail(THUMB_SIZE)
        small.save(thumb, "JPEG", quality=80)
    taken_at, lon, lat = read_exif(image)
    distance = None
    warnings: list[str] = []
    if lon is not None and lat is not None:
        distance = conn.execute(
            text(
                "SELECT ST_Distance(ST_SetSRID(ST_MakePoint(:a, :b), 4326)::geography,"
                " ST_SetSRID(ST_MakePoint(:c, :d), 4326)::geography)"
            ),
            {"a": lon, "b": lat, "c": issue[0], "d": issue[1]},
        ).scalar_one()
        if kind == "after" and distance > AFTER_PHOTO_MAX_DISTANCE_M:
            warnings.append(
                f"整改后照片拍摄位置距问题点 {distance:.0f} m / the after-photo was taken "
                f"{distance:.0f} m from the issue (more than {AFTER_PHOTO_MAX_DISTANCE_M:.0f} m)"
            )
    photo_id = uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO photo (id, issue_id, kind, sha256, path, mime, bytes, width, height,"
            " taken_at, geom, uploaded_by) VALUES (:id, :issue, :kind, :sha, :path, :mime,"
            " :bytes, :w, :h, :taken, CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL ELSE"
            " ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END, :by)"
        ),
        {
            "id": photo_id,
            "issue": issue_id,
            "kind": kind,
            "sha": sha,
            "path": str(path.relative_to(root)),
            "mime": mime,
            "bytes": len(data),
            "w": image.width,
            "h": image.height,
            "taken": taken_at,
            "lon": lon,
            "lat": lat,
            "by": uploaded_by,
        },
    )
    return StoredPhoto(
        id=photo_id,
        sha256=sha,
        mime=mime,
        width=image.width,
        height=image.height,
        taken_at=taken_at,
        lon=lon,
        lat=lat,
        distance_m=distance,
        warnings=tuple(warnings),
    )


def photo_path(root: Path, sha: str, ext: str) -> Path:
    """Where the original lives: <root>/ab/abcdef….jpg."""
    return root / sha[:2] / f"{sha}.{ext}"


def thumbnail_path(root: Path, sha: str) -> Path:
    """Where the 320-pixel JPEG thumbnail lives."""
    return root / "thumbs" / sha[:2] / f"{sha}.jpg"
