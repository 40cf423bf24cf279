"""Sign-in accounts: passwords, server-side sessions, failed-attempt counting, user admin.

A session id is 256 random bits sent to the browser in a cookie; the database keeps only
HMAC-SHA256(secret_key, id), so a copy of the table cannot be replayed as cookies. A
session ends when it expires, when its user signs out, when the user's password changes
(every other session of the user) and when the user is revoked (all of them).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, text

from geo.errors import InvalidInput, NotFound
from geo.passwords import check_password, hash_password, needs_rehash, verify_password
from geo.towns import in_session_town
from geo.users import USER_COLUMNS, User, user_from_row

FAILURES = ("bad_password", "unknown_user", "no_password", "inactive")
"""Outcomes that count towards a lock-out (a refused 'locked' attempt does not)."""


def keyed_hash(secret: str, value: str, *, purpose: str) -> str:
    """HMAC-SHA256 of `value` under `secret`, separated by purpose (hex)."""
    return hmac.new(secret.encode(), f"{purpose}|{value}".encode(), hashlib.sha256).hexdigest()


# --- passwords -----------------------------------------------------------------------------


def user_id_of(conn: Connection, name: str) -> int:
    """The id of the user called `name` (NotFound otherwise)."""
    user_id = conn.execute(text("SELECT id FROM app_user WHERE name = :n"), {"n": name}).scalar()
    if user_id is None:
        raise NotFound(f"no user named {name!r}", field="name")
    return int(user_id)


def set_password(
    conn: Connection, name: str, password: str, *, keep_session_hash: str | None = None
) -> None:
    """Set a user's password and end their other sessions (all, unless one is kept)."""
    check_password(password, name=name)
    user_id = user_id_of(conn, name)
    conn.execute(
        text("UPDATE app_user SET password_hash = :h, password_changed_at = now() WHERE id = :id"),
        {"h": hash_password(password), "id": user_id},
    )
    conn.execute(
        text(
            "UPDATE user_session SET revoked_at = now() WHERE user_id = :id"
            " AND revoked_at IS NULL AND id_hash IS DISTINCT FROM :keep"
        ),
        {"id": user_id, "keep": keep_session_hash},
    )


@dataclass(frozen=True)
class LoginResult:
    """What a sign-in attempt came to: the user on success, else why not."""

    user: User | None
    outcome: str


def authenticate(conn: Connection, name: str, password: str) -> LoginResult:
    """Check a user name and password; the same argon2 work is done whatever the outcome."""
    row = conn.execute(
        text(
            f"SELECT {USER_COLUMNS}, u.active, u.password_hash"
            " FROM app_user u LEFT JOIN village v ON v.id = u.village_id WHERE u.name = :n"
        ),
        {"n": name},
    ).first()
    ok = verify_password(row.password_hash if row else None, password)
    if row is None:
        return LoginResult(None, "unknown_user")
    if row.password_hash is None:
        return LoginResult(None, "no_password")
    if not ok:
        return LoginResult(None, "bad_password")
    if not row.active:
        return LoginResult(None, "inactive")
    if needs_rehash(row.password_hash):
        conn.execute(
            text("UPDATE app_user SET password_hash = :h WHERE id = :id"),
            {"h": hash_password(password), "id": row.id},
        )
    return LoginResult(user_from_row(row), "ok")


# --- failed attempts -----------------------------------------------------------------------


def record_attempt(conn: Connection, *, name: str, address: str, outcome: str) -> None:
    """Log one sign-in attempt (the password is never logged)."""
    conn.execute(
        text("INSERT INTO login_attempt (username, address, outcome) VALUES (:n, :a, :o)"),
        {"n": name[:100], "a": address[:64], "o": outcome},
    )


@dataclass(frozen=True)
class FailureCount:
    """Recent failed attempts for a user name and for an address, and when the oldest ends."""

    by_name: int
    by_address: int
    unlocks_at: datetime | None

    @property
    def worst(self) -> int:
        """The larger of the two counts."""
        return max(self.by_name, self.by_address)


def recent_failures(
    conn: Connection, *, name: str, address: str, window: timedelta, limit: int
) -> FailureCount:
    """Failures in the last `window` for `name` and for `address`; when either reaches
    `limit`, `unlocks_at` is when enough of them will have left the window."""
    row = conn.execute(
        text(
            "SELECT count(*) FILTER (WHERE username = :n) AS by_name,"
            " count(*) FILTER (WHERE address = :a) AS by_address"
            " FROM login_attempt WHERE at > now() - :w AND outcome = ANY(:f)"
            " AND (username = :n OR address = :a)"
        ),
        {"n": name[:100], "a": address[:64], "w": window, "f": list(FAILURES)},
    ).one()
    unlocks_at = None
    if max(row.by_name, row.by_address) >= limit:
        column = "username" if row.by_name >= limit else "address"
        value = name[:100] if column == "username" else address[:64]
        oldest = conn.execute(
            text(
                f"SELECT at FROM login_attempt WHERE {column} = :v AND at > now() - :w"
                " AND outcome = ANY(:f) ORDER BY at DESC OFFSET :k LIMIT 1"
            ),
            {"v": value, "w": window, "f": list(FAILURES), "k": limit - 1},
        ).scalar()
        unlocks_at = oldest + window if oldest else None
    return FailureCount(row.by_name, row.by_address, unlocks_at)


def failure_delay(failures: int, *, base: float, cap: float) -> float:
    """Seconds to hold the answer to a failure: none for the first three, then doubling."""
    if failures < 3 or base <= 0:
        return 0.0
    return float(min(cap, base * 2 ** (failures - 3)))


# --- sessions ------------------------------------------------------------------------------


def create_session(
    conn: Connection,
    user: User,
    *,
    secret: str,
    lifetime: timedelta,
    address: str | None = None,
    user_agent: str | None = None,
) -> str:
    """Start a session for `user`; returns the id for the cookie (not stored in clear)."""
    session_id = secrets.token_urlsafe(32)
    conn.execute(
        text(
            "INSERT INTO user_session (id_hash, user_id, expires_at, address, user_agent)"
            " VALUES (:h, :u, now() + :life, :a, :ua)"
        ),
        {
            "h": keyed_hash(secret, session_id, purpose="session"),
            "u": user.id,
            "life": lifetime,
            "a": (address or "")[:64] or None,
            "ua": (user_agent or "")[:300] or None,
        },
    )
    return session_id


def user_for_session(conn: Connection, session_id: str, *, secret: str) -> User | None:
    """The active user of a live session (not expired, not revoked), if any."""
    row = conn.execute(
        text(
            f"SELECT {USER_COLUMNS}"
            " FROM user_session s JOIN app_user u ON u.id = s.user_id"
            " LEFT JOIN village v ON v.id = u.village_id"
            " WHERE s.id_hash = :h AND s.revoked_at IS NULL AND s.expires_at > now()"
            " AND u.active"
        ),
        {"h": keyed_hash(secret, session_id, purpose="session")},
    ).first()
    return user_from_row(row) if row else None


def end_session(conn: Connection, session_id: str, *, secret: str) -> None:
    """Sign out: revoke this one session."""
    conn.execute(
        text(
            "UPDATE user_session SET revoked_at = now() WHERE id_hash = :h AND revoked_at IS NULL"
        ),
        {"h": keyed_hash(secret, session_id, purpose="session")},
    )


def end_user_sessions(conn: Connection, name: str) -> int:
    """Revoke every live session of a user; returns how many."""
    return len(
        conn.execute(
            text(
                "UPDATE user_session SET revoked_at = now() WHERE revoked_at IS NULL"
                " AND user_id = (SELECT id FROM app_user WHERE name = :n) RETURNING id"
            ),
            {"n": name},
        ).all()
    )


# --- user administration -------------------------------------------------------------------


def set_village(conn: Connection, name: str, village_code: str) -> None:
    """Move a village user to another village (their sessions go on, with the new scope)."""
    row = conn.execute(text("SELECT id, role FROM app_user WHERE name = :n"), {"n": name}).first()
    if row is None:
        raise NotFound(f"no user named {name!r}", field="name")
    if row.role != "village":
        raise InvalidInput(f"only village users belong to a village, not {row.role}", field="role")
    village_id = conn.execute(
        text(f"SELECT id FROM village v WHERE code = :c AND {in_session_town('v')}"),
        {"c": village_code},
    ).scalar()
    if village_id is None:
        raise NotFound(f"no village with code {village_code!r}", field="village")
    conn.execute(
        text("UPDATE app_user SET village_id = :v WHERE id = :id"), {"v": village_id, "id": row.id}
    )


def reactivate_user(conn: Connection, name: str) -> None:
    """Let a revoked user sign in again (their old sessions stay ended)."""
    if not conn.execute(
        text("UPDATE app_user SET active = true WHERE name = :n RETURNING id"), {"n": name}
    ).first():
        raise NotFound(f"no user named {name!r}", field="name")
