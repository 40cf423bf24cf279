"""Uploaded import files kept between the preview and the confirmation (/pages/office/import).

A boundary or issue file may be up to CUNRONG_MAX_UPLOAD_MIB, too large to re-post in a
hidden field the way the score sheet's parsed rows are; so the checked file stays on the
server under a random token, bound to the signed-in session that uploaded it (a hash of
the session cookie and the user name), and the confirmation imports exactly that file.
A kept upload lasts KEEP_S; one confirmed, cancelled or expired is deleted.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from geo.errors import InvalidInput

KEEP_S = 3600
"""How long a previewed upload waits for its confirmation."""
ROOT_NAME = "cunrong-import-previews"
TOKEN_BYTES = 24


def root() -> Path:
    """The folder of the kept uploads (in the system's temporary folder)."""
    folder = Path(tempfile.gettempdir()) / ROOT_NAME
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def owner_of(session: str | None, user_name: str) -> str:
    """Who may confirm: a hash of the session cookie and the user (never the cookie)."""
    return hashlib.sha256(f"{session or ''}\0{user_name}".encode()).hexdigest()


@dataclass(frozen=True)
class Pending:
    """One previewed upload waiting for its confirmation."""

    token: str
    owner: str
    kind: str
    filename: str
    path: str
    """The file to import, relative to the token's folder."""
    options: dict[str, Any]
    created: float

    @property
    def folder(self) -> Path:
        return root() / self.token

    @property
    def file(self) -> Path:
        return self.folder / self.path


def new_folder() -> tuple[str, Path]:
    """A fresh token and its (empty) folder; old kept uploads are swept first."""
    sweep()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    folder = root() / token
    folder.mkdir(mode=0o700)
    return token, folder


def keep(pending: Pending) -> None:
    """Record a checked upload (its file is already in the token's folder)."""
    (pending.folder / "pending.json").write_text(json.dumps(asdict(pending)), encoding="utf-8")


def _valid_token(token: str) -> bool:
    return 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def take(token: str, owner: str) -> Pending:
    """The kept upload of `token` if it belongs to `owner` and has not expired."""
    gone = InvalidInput(
        "this preview is no longer available (expired, already imported, or from another"
        " sign-in); upload the file again",
        field="token",
    )
    if not _valid_token(token):
        raise gone
    meta = root() / token / "pending.json"
    try:
        pending = Pending(**json.loads(meta.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        raise gone from None
    if pending.owner != owner or time.time() - pending.created > KEEP_S:
        raise gone
    return pending


def drop(token: str) -> None:
    """Delete a kept upload (confirmed or cancelled)."""
    if _valid_token(token):
        shutil.rmtree(root() / token, ignore_errors=True)


def sweep(now: float | None = None) -> None:
    """Delete kept uploads older than KEEP_S."""
    now = time.time() if now is None else now
    for folder in root().iterdir():
        try:
            if now - folder.stat().st_mtime > KEEP_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
