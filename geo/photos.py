"""Photos of issues: only real images, stored by SHA-256 outside the web root, with thumbnails.

EXIF GPS position and capture time are read when present; an after-photo taken far from
its issue (default more than 50 m) is flagged so the inspector can look twice.

The original is kept privately (it may carry the camera's serial number and the place it
was taken); readers get a re-encoded copy without EXIF, XMP or text chunks, turned upright
first, and the thumbnail is made from that copy. The GPS position stays in the database.
Uploading the same bytes again for the same issue returns the photo already stored.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Connection, text

from geo import issue_reader
from geo.errors import CunrongError, InvalidInput, NotFound, TooLarge, mib

ALLOWED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
MAX_BYTES = 15 * 1024 * 1024
"""Default size limit (the service passes CUNRONG_MAX_PHOTO_MIB)."""
MAX_PIXELS = 40_000_000
"""Default pixel limit (the service passes CUNRONG_MAX_IMAGE_PIXELS)."""
PUBLIC_QUALITY = 90
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
    created: bool = True
    """False when the same bytes were already stored for this issue (a retried upload)."""


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


def open_image(
    data: bytes,
    *,
    field: str = "file",
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> Image.Image:
    """Decode and verify image bytes; anything else is refused by content, not by name.

    The size in pixels is read from the header (Image.open decodes nothing) and checked
    before any pixel is decoded, so a small file that would decode to gigabytes is refused.
    """
    if not data:
        raise InvalidInput("the file is empty", field=field)
    if len(data) > max_bytes:
        raise TooLarge(
            f"the photo is {mib(len(data))}; at most {mib(max_bytes)}",
            limit="CUNRONG_MAX_PHOTO_MIB",
            field=field,
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in ALLOWED_FORMATS:
                raise InvalidInput(
                    f"{probe.format} images are not accepted; send JPEG, PNG or WebP", field=field
                )
            _check_pixels(probe.width, probe.height, max_pixels, field)
            probe.verify()
        image = Image.open(io.BytesIO(data))
        image.load()
    except CunrongError:
        raise
    except Image.DecompressionBombError as exc:
        raise TooLarge(
            f"the image has too many pixels: {exc}", limit="CUNRONG_MAX_IMAGE_PIXELS", field=field
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"not an image (JPEG, PNG or WebP): {exc}", field=field) from None
    except Exception as exc:  # a malformed file can trip any of the decoders' parsers
        raise InvalidInput(
            f"not a readable image (JPEG, PNG or WebP): {type(exc).__name__}", field=field
        ) from None
    return image


def _check_pixels(width: int, height: int, max_pixels: int, field: str) -> None:
    if width * height > max_pixels:
        raise TooLarge(
            f"the image is {width}×{height} = {width * height / 1e6:.1f} megapixels;"
            f" at most {max_pixels / 1e6:g} megapixels",
            limit="CUNRONG_MAX_IMAGE_PIXELS",
            field=field,
        )


def without_metadata(image: Image.Image) -> Image.Image:
    """The pixels turned upright, with no EXIF, XMP, comments or text chunks left to save."""
    try:
        upright = ImageOps.exif_transpose(image) or image
    except Exception:  # a camera's malformed EXIF: keep the pixels as stored
        upright = image
    clean = upright.copy()
    icc = image.info.get("icc_profile")
    clean.info = {"icc_profile": icc} if icc else {}
    return clean


def encode_public(clean: Image.Image, fmt: str) -> bytes:
    """The copy readers get: the same format, re-encoded from `without_metadata` pixels.

    No `optimize=True` for JPEG: Pillow then encodes in one call that holds the interpreter
    lock for seconds on a large photo, stalling every other request of the process.
    """
    out = io.BytesIO()
    icc = clean.info.get("icc_profile")
    extra: dict[str, Any] = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        if clean.mode not in ("RGB", "L", "CMYK"):
            clean = clean.convert("RGB")
        clean.save(out, "JPEG", quality=PUBLIC_QUALITY, **extra)
    elif fmt == "PNG":
        clean.save(out, "PNG", **extra)
    else:
        clean.save(out, "WEBP", quality=PUBLIC_QUALITY, **extra)
    return out.getvalue()


def _write_once(path: Path, data: bytes) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
    tmp.write_bytes(data)
    tmp.replace(path)


def make_public_copies(root: Path, sha: str, image: Image.Image) -> None:
    """Write the metadata-free copy and its thumbnail (each once; kept when present)."""
    fmt = image.format or "JPEG"
    _, ext = ALLOWED_FORMATS[fmt]
    public = public_path(root, sha, ext)
    thumb = thumbnail_path(root, sha)
    if public.exists() and thumb.exists():
        return
    clean = without_metadata(image)
    if not public.exists():
        _write_once(public, encode_public(clean, fmt))
    if not thumb.exists():
        small = clean.convert("RGB")
        small.info = {}
        small.thumbnail(THUMB_SIZE)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=80)
        _write_once(thumb, out.getvalue())


def ensure_public_copies(root: Path, sha: str, original: Path) -> None:
    """Make the public copy and thumbnail of a photo stored before they existed."""
    ext = original.suffix.lstrip(".")
    if public_path(root, sha, ext).exists() and thumbnail_path(root, sha).exists():
        return
    if not original.exists():
        raise NotFound(f"the file of photo {sha[:12]}… is missing from storage", field="photo_id")
    with Image.open(original) as image:
        image.load()
        make_public_copies(root, sha, image)


def store_photo(
    conn: Connection,
    *,
    root: Path,
    issue_id: uuid.UUID,
    data: bytes,
    kind: str,
    uploaded_by: str,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
) -> StoredPhoto:
    """Check, store (by content hash) and record a photo of an issue.

    The same bytes for the same issue are stored once: a retry (the field page re-sends
    uploads made offline) gets the photo already recorded, with `created` False. An
    advisory lock on (issue, hash) makes two overlapping retries agree too.
    """
    if kind not in ("before", "after", "other"):
        raise InvalidInput("expected kind before, after or other", field="kind")
    issue = issue_reader.point_of(conn, issue_id)
    if issue is None:
        raise NotFound(f"no issue {issue_id}", field="issue_id")
    image = open_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    mime, ext = ALLOWED_FORMATS[image.format or ""]
    sha = hashlib.sha256(data).hexdigest()
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"photo:{issue_id}:{sha}"},
    )
    existing = _existing(conn, issue_id, sha, (issue[0], issue[1]))
    if existing is not None:
        return existing
    path = photo_path(root, sha, ext)
    _write_once(path, data)
    make_public_copies(root, sha, image)
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
        warnings = _distance_warnings(kind, distance)
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


def _distance_warnings(kind: str, distance: float | None) -> list[str]:
    if kind != "after" or distance is None or distance <= AFTER_PHOTO_MAX_DISTANCE_M:
        return []
    return [
        f"整改后照片拍摄位置距问题点 {distance:.0f} m / the after-photo was taken "
        f"{distance:.0f} m from the issue (more than {AFTER_PHOTO_MAX_DISTANCE_M:.0f} m)"
    ]


def _existing(
    conn: Connection, issue_id: uuid.UUID, sha: str, issue_point: tuple[float, float]
) -> StoredPhoto | None:
    row = conn.execute(
        text(
            "SELECT id, kind, mime, width, height, taken_at, ST_X(geom) AS lon,"
            " ST_Y(geom) AS lat, ST_Distance(geom::geography,"
            " ST_SetSRID(ST_MakePoint(:c, :d), 4326)::geography) AS distance"
            " FROM photo WHERE issue_id = :i AND sha256 = :sha ORDER BY uploaded_at, id LIMIT 1"
        ),
        {"i": issue_id, "sha": sha, "c": issue_point[0], "d": issue_point[1]},
    ).first()
    if row is None:
        return None
    return StoredPhoto(
        id=row.id,
        sha256=sha,
        mime=row.mime,
        width=row.width,
        height=row.height,
        taken_at=row.taken_at,
        lon=row.lon,
        lat=row.lat,
        distance_m=row.distance,
        warnings=tuple(_distance_warnings(row.kind, row.distance)),
        created=False,
    )


def photo_path(root: Path, sha: str, ext: str) -> Path:
    """Where the original lives: <root>/ab/abcdef….jpg (never served to readers)."""
    return root / sha[:2] / f"{sha}.{ext}"


def public_path(root: Path, sha: str, ext: str) -> Path:
    """Where the re-encoded copy without metadata lives: <root>/public/ab/abcdef….jpg."""
    return root / "public" / sha[:2] / f"{sha}.{ext}"


def thumbnail_path(root: Path, sha: str) -> Path:
    """Where the 320-pixel JPEG thumbnail lives."""
    return root / "thumbs" / sha[:2] / f"{sha}.jpg"
