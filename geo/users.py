"""Users and their API tokens. A token is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo.errors import Conflict, InvalidInput, NotFound
from geo.models import USER_ROLES
from geo.passwords import check_password, hash_password


@dataclass(frozen=True)
class User:
    """Who is calling, and for a village user, which village they act for."""

    id: int
    name: str
    role: str
    village_id: int | None = None
    village_code: str | None = None

    @property
    def label(self) -> str:
        """How the user appears in an issue's history."""
        return f"{self.name} ({self.role})"


def hash_token(token: str) -> str:
    """SHA-256 of a token (tokens are 256-bit random, so no slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    conn: Connection,
    *,
    name: str,
    role: str,
    village_code: str | None = None,
    password: str | None = None,
) -> tuple[User, str]:
    """Create a user and return it with its new token (shown once); with `password`, the
    user can also sign in on the pages."""
    name = name.strip()
    if not name:
        raise InvalidInput("the user name is empty", field="name")
    if len(name) > 100:
        raise InvalidInput("a user name has at most 100 characters", field="name")
    password_hash = None
    if password is not None:
        check_password(password, name=name)
        password_hash = hash_password(password)
    if role not in USER_ROLES:
        raise InvalidInput(
            f"unknown role {role!r}; expected one of {', '.join(USER_ROLES)}", field="role"
        )
    village_id = None
    if role == "village":
        if not village_code:
            raise InvalidInput("a village user needs --village CODE", field="village")
        village_id = conn.execute(
            text("SELECT id FROM village WHERE code = :c"), {"c": village_code}
        ).scalar()
        if village_id is None:
            raise NotFound(f"no village with code {village_code!r}", field="village")
    elif village_code:
        raise InvalidInput(f"only village users belong to a village, not {role}", field="village")
    token = secrets.token_urlsafe(32)
    try:
        with conn.begin_nested():
            user_id = conn.execute(
                text(
                    "INSERT INTO app_user (name, role, village_id, token_hash, password_hash,"
                    " password_changed_at) VALUES (:n, :r, :v, :h, :p,"
                    " CASE WHEN CAST(:p AS text) IS NULL THEN NULL ELSE now() END) RETURNING id"
                ),
                {"n": name, "r": role, "v": village_id, "h": hash_token(token), "p": password_hash},
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"a user named {name!r} exists already", field="name") from None
    return User(user_id, name, role, village_id, village_code if village_id else None), token


TOKEN_SQL = text(
    "SELECT u.id, u.name, u.role, u.village_id, v.code AS village_code FROM app_user u"
    " LEFT JOIN village v ON v.id = u.village_id WHERE u.token_hash = :h AND u.active"
)
"""The user of a token hash: one probe of the unique index on token_hash."""


def user_for_token(conn: Connection, token: str) -> User | None:
    """The active user holding this token, if any."""
    row = conn.execute(TOKEN_SQL, {"h": hash_token(token)}).first()
    return User(row.id, row.name, row.role, row.village_id, row.village_code) if row else None


def deactivate_user(conn: Connection, name: str) -> None:
    """Revoke a user: their token stops working and every sign-in session ends (the user
    row stays for the history)."""
    row = conn.execute(
        text("UPDATE app_user SET active = false WHERE name = :n RETURNING id"), {"n": name}
    ).first()
    if not row:
        raise NotFound(f"no user named {name!r}", field="name")
    conn.execute(
        text(
            "UPDATE user_session SET revoked_at = now() WHERE user_id = :id AND revoked_at IS NULL"
        ),
        {"id": row.id},
    )


def list_users(conn: Connection) -> list[dict[str, object]]:
    """Every user with role, village and state (never the token)."""
    rows = conn.execute(
        text(
            "SELECT u.name, u.role, v.code AS village, u.active, u.created_at,"
            " u.password_hash IS NOT NULL AS can_sign_in FROM app_user u"
            " LEFT JOIN village v ON v.id = u.village_id ORDER BY u.name"
        )
    ).mappings()
    return [dict(r) for r in rows]
