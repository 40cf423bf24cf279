"""Uploaded import files kept between the preview and the confirmation (/pages/office/import).

A boundary or issue file may be up to CUNRONG_MAX_UPLOAD_MIB, too large to re-post in a
hidden field the way the score sheet's parsed rows are; so the checked file stays on the
server under a random token, bound to the signed-in session that uploaded it (a hash of
the session cookie and the user name), and the confirmation imports exactly that file.
A kept upload lasts KEEP_S; one confirmed, cancelled or expired is deleted. They are kept
under the data folder (`CUNRONG_DATA_DIR/import-previews`, beside the photos), which every
worker of a deployment shares, so the confirmation may reach another worker than the
preview did.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from geo.errors import InvalidInput

KEEP_S = 3600
"""How long a previewed upload waits for its confirmation."""
ROOT_NAME = "import-previews"
TOKEN_BYTES = 24


def root(data_dir: Path) -> Path:
    """The folder of the kept uploads, under the data folder."""
    folder = Path(data_dir) / ROOT_NAME
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    data_dir: str
    """The data folder it is kept under."""

    @property
    def folder(self) -> Path:
        return root(Path(self.data_dir)) / self.token

    @property
    def file(self) -> Path:
        return self.folder / self.path


def new_folder(data_dir: Path) -> tuple[str, Path]:
    """A fresh token and its (empty) folder; old kept uploads are swept first."""
    sweep(data_dir)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    folder = root(data_dir) / token
    folder.mkdir(mode=0o700)
    return token, folder


def keep(pending: Pending) -> None:
    """Record a checked upload (its file is already in the token's folder)."""
    (pending.folder / "pending.json").write_text(json.dumps(asdict(pending)), encoding="utf-8")


def _valid_token(token: str) -> bool:
    return 16 <= len(token) <= 64 and all(c.isalnum() or c in "-_" for c in token)


def take(data_dir: Path, token: str, owner: str) -> Pending:
    """Claim the kept upload of `token` if it belongs to `owner`, has not expired and was
    not claimed before (so two confirmations at once import it once)."""
    gone = InvalidInput(
        "this preview is no longer available (expired, already imported, or from another"
        " sign-in); upload the file again",
        field="token",
    )
    if not _valid_token(token):
        raise gone
    meta = root(data_dir) / token / "pending.json"
    try:
        pending = Pending(**json.loads(meta.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        raise gone from None
    if pending.owner != owner or time.time() - pending.created > KEEP_S:
        raise gone
    try:  # claimed once: a second confirmation (a double click, a retry) finds it gone
        (root(data_dir) / token / "claimed").open("x").close()
    except OSError:
        raise gone from None
    return pending


def drop(data_dir: Path, token: str) -> None:
    """Delete a kept upload (confirmed or cancelled)."""
    if _valid_token(token):
        shutil.rmtree(root(data_dir) / token, ignore_errors=True)


def sweep(data_dir: Path, now: float | None = None) -> None:
    """Delete kept uploads older than KEEP_S."""
    now = time.time() if now is None else now
    for folder in root(data_dir).iterdir():
        try:
            if now - folder.stat().st_mtime > KEEP_S:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
