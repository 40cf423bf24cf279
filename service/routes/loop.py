"""The closed loop over HTTP: record issues, upload photos, move issues through their states."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from sqlalchemy import Connection

from geo import issue_reader
from geo.errors import Forbidden, NotFound
from geo.loop import NewIssue, create_issue, transition
from geo.photos import (
    ensure_public_copies,
    public_path,
    store_photo,
    thumbnail_path,
)
from geo.users import User
from geo.vocab import INSPECTOR_ACTIONS, VILLAGE_ACTIONS
from service.audit import audit_params
from service.auth import Inspector, Reader, Writer, check_village_scope, town_scope
from service.deps import ConnDep
from service.geojson import GeoJSONResponse, geojson_responses
from service.memory import GIVE_MEMORY_BACK
from service.schemas import (
    EventPublic,
    IssueCreate,
    IssueCreated,
    NearbyPublic,
    PhotoPublic,
    TransitionIn,
    TransitionOut,
)
from service.towns import user_town
from service.uploads import read_upload

router = APIRouter(tags=["closed loop 闭环"])


def _issue_village(conn: Connection, issue_id: uuid.UUID, user: User | None) -> str | None:
    """The issue's village code; 404 when there is no such issue in the user's towns (not
    403: ids of other towns do not leak)."""
    found, village = issue_reader.village_of(conn, issue_id, towns=town_scope(user))
    if not found:
        raise NotFound(f"no issue {issue_id}", field="issue_id")
    return village


@router.post(
    "/issues",
    status_code=201,
    response_model=IssueCreated,
    responses={200: {"model": IssueCreated, "description": "a retry: the issue already exists"}},
)
def record_issue(request: Request, body: IssueCreate, conn: ConnDep, user: Inspector) -> Any:
    """Record a new issue (inspector/admin). Rebounds are linked, near duplicates listed."""
    lon, lat = body.point()
    settings = request.app.state.settings
    town = user_town(request, conn, user)
    created = create_issue(
        conn,
        NewIssue(
            category=body.category,
            lon=lon,
            lat=lat,
            found_on=body.found_on or date.today(),
            description=body.description,
            found_by=user.name,
            deadline=body.deadline,
            source=body.source,
            address=body.address,
            responsible=body.responsible,
            round_id=body.round_id,
            id=body.id,
            third_party_batch_id=body.batch_id,
        ),
        actor=user.label,
        coords=body.coords,
        deadline=town.rules_now.loop.deadline,
        detection=replace(settings.detection(), metric_srid=town.town.metric_srid),
        audit=audit_params(request),
    )
    if created.created:
        # The insert wrote the audit row with the issue: commit now, which also releases
        # the lock on the issue code's (village, month) at once instead of after the
        # response is built and the dependency's teardown has waited its turn.
        request.state.audited = True
        conn.commit()
    warnings = []
    if created.outside_m:
        warnings.append(
            f"点位在村界外 {created.outside_m:.0f} m，已归入最近的村 / point is "
            f"{created.outside_m:.0f} m outside the boundary; assigned to the nearest village"
        )
    if created.rebound_of:
        warnings.append(f"反弹 / rebound of {created.rebound_of.code}")
    if created.possible_duplicates:
        codes = ", ".join(d.code for d in created.possible_duplicates)
        radius = f"{created.duplicate_radius_m:g} m"
        warnings.append(
            f"{radius} 内有同类未销号问题 / open issue of this category within {radius}: {codes}"
        )
    out = IssueCreated(
        id=created.id,
        code=created.code,
        created=created.created,
        village=created.village_code,
        outside_m=created.outside_m,
        rebound_of=NearbyPublic(**created.rebound_of.__dict__) if created.rebound_of else None,
        possible_duplicates=[NearbyPublic(**d.__dict__) for d in created.possible_duplicates],
        warnings=warnings,
    )
    request.state.status_code = 201 if created.created else 200
    return JSONResponse(out.model_dump(mode="json"), status_code=request.state.status_code)


@router.post("/issues/{issue_id}/transitions", response_model=TransitionOut)
def move_issue(
    issue_id: uuid.UUID, body: TransitionIn, conn: ConnDep, user: Writer
) -> TransitionOut:
    """Submit a rectification (village) or record a recheck outcome (inspector)."""
    if body.action in VILLAGE_ACTIONS and user.role not in ("village", "admin"):
        raise Forbidden(
            f"only the village (or admin) submits a rectification, not {user.role}", field="role"
        )
    if body.action in INSPECTOR_ACTIONS and user.role not in ("inspector", "admin"):
        raise Forbidden(
            f"only an inspector (or admin) may {body.action}, not {user.role}", field="role"
        )
    check_village_scope(user, _issue_village(conn, issue_id, user))
    done = transition(
        conn,
        issue_id=issue_id,
        action=body.action,
        version=body.version,
        actor=user.label,
        note=body.note,
        photo_ids=body.photo_ids,
        round_id=body.round_id,
        on=body.on,
    )
    return TransitionOut(**done.__dict__)


GPS_ROLES = {"admin", "inspector"}
"""Roles shown where a photo was taken (EXIF GPS); others see photos without position."""


def sees_gps(user: User | None) -> bool:
    """Whether this user is shown photo positions."""
    return user is not None and user.role in GPS_ROLES


@router.post(
    "/issues/{issue_id}/photos",
    dependencies=[GIVE_MEMORY_BACK],
    status_code=201,
    response_model=PhotoPublic,
    responses={
        200: {"model": PhotoPublic, "description": "a retry: these bytes are already stored"},
        413: {"description": "over CUNRONG_MAX_PHOTO_MIB or CUNRONG_MAX_IMAGE_PIXELS"},
    },
)
def upload_photo(
    request: Request,
    issue_id: uuid.UUID,
    conn: ConnDep,
    user: Writer,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP (CUNRONG_MAX_PHOTO_MIB)")],
    kind: Annotated[str, Form(description="before | after | other")] = "before",
) -> Any:
    """Upload a photo of an issue; villages upload after-photos of their own issues only.

    Idempotent: the same bytes again for the same issue return the stored photo (200).
    A plain `def`: reading, decoding and re-encoding run in the threadpool.
    """
    check_village_scope(user, _issue_village(conn, issue_id, user))
    if user.role == "village" and kind != "after":
        raise Forbidden("a village uploads after-photos (整改后照片) only", field="kind")
    settings = request.app.state.settings
    data = read_upload(file, max_mib=settings.max_photo_mib, setting="CUNRONG_MAX_PHOTO_MIB")
    root = request.app.state.photo_root
    stored = store_photo(
        conn,
        root=root,
        issue_id=issue_id,
        data=data,
        kind=kind,
        uploaded_by=user.label,
        max_bytes=int(settings.max_photo_mib * 2**20),
        max_pixels=settings.max_image_pixels,
    )
    gps = sees_gps(user)
    out = PhotoPublic(
        id=stored.id,
        kind=kind,
        sha256=stored.sha256,
        mime=stored.mime,
        width=stored.width,
        height=stored.height,
        taken_at=stored.taken_at,
        distance_m=stored.distance_m,
        lon=stored.lon if gps else None,
        lat=stored.lat if gps else None,
        url=f"/photos/{stored.id}",
        thumbnail_url=f"/photos/{stored.id}/thumbnail",
        warnings=list(stored.warnings),
    )
    request.state.status_code = 201 if stored.created else 200
    return JSONResponse(out.model_dump(mode="json"), status_code=request.state.status_code)


def _photo_row(conn: Connection, photo_id: uuid.UUID, user: User | None) -> Any:
    row = issue_reader.photo_record(conn, photo_id, towns=town_scope(user))
    if row is None:
        raise NotFound(f"no photo {photo_id}", field="photo_id")
    check_village_scope(user, row.village)
    return row


def _public_copies(request: Request, row: Any) -> tuple[Path, Path]:
    """The public copy and thumbnail of a photo, made now for a photo stored before them."""
    root: Path = request.app.state.photo_root
    original = root / row.path
    ensure_public_copies(root, row.sha256, original)
    return public_path(root, row.sha256, original.suffix.lstrip(".")), thumbnail_path(
        root, row.sha256
    )


@router.get("/photos/{photo_id}", response_class=FileResponse)
def get_photo(request: Request, photo_id: uuid.UUID, conn: ConnDep, user: Reader) -> FileResponse:
    """The photo, re-encoded without EXIF (no position, no camera serial)."""
    row = _photo_row(conn, photo_id, user)
    public, _ = _public_copies(request, row)
    return FileResponse(public, media_type=row.mime)


@router.get("/photos/{photo_id}/thumbnail", response_class=FileResponse)
def get_thumbnail(
    request: Request, photo_id: uuid.UUID, conn: ConnDep, user: Reader
) -> FileResponse:
    """A 320-pixel JPEG thumbnail (without EXIF)."""
    row = _photo_row(conn, photo_id, user)
    _, thumb = _public_copies(request, row)
    return FileResponse(thumb, media_type="image/jpeg")


@router.get("/photos/{photo_id}/original", response_class=FileResponse)
def get_original(
    request: Request, photo_id: uuid.UUID, conn: ConnDep, user: Inspector
) -> FileResponse:
    """The photo exactly as uploaded, EXIF included (admin and inspector only)."""
    row = _photo_row(conn, photo_id, user)
    root: Path = request.app.state.photo_root
    original = root / row.path
    if not original.exists():
        raise NotFound(f"the file of photo {photo_id} is missing from storage", field="photo_id")
    return FileResponse(original, media_type=row.mime)


@router.get(
    "/issues/{issue_id}",
    response_class=GeoJSONResponse,
    responses=geojson_responses("one issue with its history", single=True),
)
def get_issue(issue_id: uuid.UUID, conn: ConnDep, user: Reader) -> GeoJSONResponse:
    """One issue as a GeoJSON Feature, with its full history and photos."""
    check_village_scope(user, _issue_village(conn, issue_id, user))
    feature = issue_reader.feature(conn, issue_id, towns=town_scope(user))
    if feature is None:
        raise NotFound(f"no issue {issue_id}", field="issue_id")
    events = issue_reader.events(conn, issue_id)
    photos = issue_reader.photos(conn, issue_id, with_position=sees_gps(user))
    feature["properties"]["history"] = [EventPublic(**e).model_dump(mode="json") for e in events]
    feature["properties"]["photos"] = [
        PhotoPublic(
            **p, url=f"/photos/{p['id']}", thumbnail_url=f"/photos/{p['id']}/thumbnail"
        ).model_dump(mode="json")
        for p in photos
    ]
    return GeoJSONResponse(json.dumps(feature, ensure_ascii=False))
