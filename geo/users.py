"""Users and their API tokens. A token is shown once; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo.errors import Conflict, InvalidInput, NotFound
from geo.models import USER_ROLES
from geo.passwords import check_password, hash_password
from geo.towns import Town, rules_now_sql


@dataclass(frozen=True)
class User:
    """Who is calling, and for a village user, which village they act for."""

    id: int
    name: str
    role: str
    village_id: int | None = None
    village_code: str | None = None
    town_id: int | None = None
    """The user's town (None: a district reader)."""
    district_code: str | None = None
    """A district reader's district (reads every town of it)."""
    towns: tuple[int, ...] = ()
    """The ids of the towns the user may read."""

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
    town_code: str | None = None,
    district_code: str | None = None,
) -> tuple[User, str]:
    """Create a user and return it with its new token (shown once); with `password`, the
    user can also sign in on the pages.

    The user belongs to the town `town_code` (default: the village's town, else the only
    town, else the transaction's `cunrong.town`), or — a district reader, role leader —
    reads every town of `district_code`."""
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
    town_id = None
    if district_code is not None:
        if role != "leader" or town_code or village_code:
            raise InvalidInput(
                "a district user reads every town of the district: role leader, no town",
                field="district",
            )
        if not conn.execute(
            text("SELECT 1 FROM town WHERE district_code = :d"), {"d": district_code}
        ).first():
            raise NotFound(f"no town in district {district_code!r}", field="district")
    elif town_code:
        from geo.towns import town_by_code

        town_id = town_by_code(conn, town_code).id
    if role == "village":
        if not village_code:
            raise InvalidInput("a village user needs --village CODE", field="village")
        found = conn.execute(
            text("SELECT id, town_id FROM village WHERE code = :c"), {"c": village_code}
        ).first()
        if found is None or (town_id is not None and found.town_id != town_id):
            raise NotFound(f"no village with code {village_code!r}", field="village")
        village_id, town_id = found.id, found.town_id
    elif village_code:
        raise InvalidInput(f"only village users belong to a village, not {role}", field="village")
    if town_id is None and district_code is None:
        from geo.towns import current_town

        town_id = current_town(conn)
    token = secrets.token_urlsafe(32)
    try:
        with conn.begin_nested():
            user_id = conn.execute(
                text(
                    "INSERT INTO app_user (name, role, village_id, token_hash, password_hash,"
                    " password_changed_at, town_id, district_code) VALUES (:n, :r, :v, :h, :p,"
                    " CASE WHEN CAST(:p AS text) IS NULL THEN NULL ELSE now() END, :t, :d)"
                    " RETURNING id"
                ),
                {
                    "n": name,
                    "r": role,
                    "v": village_id,
                    "h": hash_token(token),
                    "p": password_hash,
                    "t": town_id,
                    "d": district_code,
                },
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"a user named {name!r} exists already", field="name") from None
    user = conn.execute(USER_SQL, {"i": user_id}).first()
    return user_from_row(user), token


USER_COLUMNS = (
    "u.id, u.name, u.role, u.village_id, v.code AS village_code, u.town_id, u.district_code,"
    " ARRAY(SELECT t.id FROM town t WHERE t.id = u.town_id OR t.district_code = u.district_code"
    " ORDER BY t.id) AS towns"
)
"""The columns `user_from_row` reads, over `app_user u LEFT JOIN village v`."""

USER_SQL = text(
    f"SELECT {USER_COLUMNS} FROM app_user u LEFT JOIN village v ON v.id = u.village_id"
    " WHERE u.id = :i"
)


def user_from_row(row: Any) -> User:
    """A User from a row of USER_COLUMNS."""
    return User(
        row.id,
        row.name,
        row.role,
        row.village_id,
        row.village_code,
        row.town_id,
        row.district_code,
        tuple(row.towns or ()),
    )


TOKEN_SQL = text(
    f"SELECT {USER_COLUMNS} FROM app_user u"
    " LEFT JOIN village v ON v.id = u.village_id WHERE u.token_hash = :h AND u.active"
)
"""The user of a token hash: one probe of the unique index on token_hash."""


def user_for_token(conn: Connection, token: str) -> User | None:
    """The active user holding this token, if any."""
    row = conn.execute(TOKEN_SQL, {"h": hash_token(token)}).first()
    return user_from_row(row) if row else None


ACTIVE_USER_TOKEN_SQL = text(
    f"SELECT {USER_COLUMNS}, u.token_hash FROM app_user u"
    " LEFT JOIN village v ON v.id = u.village_id WHERE u.id = :i AND u.active"
)


def active_user_and_token_hash(conn: Connection, user_id: int) -> tuple[User, str | None] | None:
    """An active user by id, with the hash of their current token (None: no token)."""
    row = conn.execute(ACTIVE_USER_TOKEN_SQL, {"i": user_id}).first()
    return (user_from_row(row), row.token_hash) if row else None


TOKEN_IN_TOWN_SQL = text(
    f"SELECT {USER_COLUMNS},"
    " set_config('cunrong.town', coalesce(CAST(u.town_id AS text), ''), true) AS in_town,"
    " t.code AS town_code, t.name AS town_name, t.district_code AS town_district_code,"
    " t.district_name AS town_district_name, t.metric_srid AS town_metric_srid,"
    f" {rules_now_sql('t')} AS town_rules"
    " FROM app_user u LEFT JOIN village v ON v.id = u.village_id"
    " LEFT JOIN town t ON t.id = u.town_id WHERE u.token_hash = :h AND u.active"
)
"""TOKEN_SQL for a request: also the user's town, and the transaction set to write in it
(`cunrong.town`, see `geo.towns.use_town`; empty for a district reader) — one round trip
where there were three."""


def user_in_town_for_token(conn: Connection, token: str) -> tuple[User, Town | None] | None:
    """The active user holding this token and their town (a `geo.towns.Town`, None for a
    district reader); the transaction now writes in that town (`cunrong.town`)."""
    row = conn.execute(TOKEN_IN_TOWN_SQL, {"h": hash_token(token)}).first()
    if row is None:
        return None
    town = None
    if row.town_id is not None:
        town = Town(
            row.town_id,
            row.town_code,
            row.town_name,
            row.town_district_code,
            row.town_district_name,
            row.town_metric_srid,
            row.town_rules,
        )
    return user_from_row(row), town


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


def list_users(conn: Connection, towns: Sequence[int] | None = None) -> list[dict[str, object]]:
    """Every user (of the towns in scope) with role, village and state (never the token)."""
    rows = conn.execute(
        text(
            "SELECT u.name, u.role, v.code AS village, u.active, u.created_at,"
            " u.password_hash IS NOT NULL AS can_sign_in,"
            " coalesce(t.code, u.district_code) AS town FROM app_user u"
            " LEFT JOIN village v ON v.id = u.village_id LEFT JOIN town t ON t.id = u.town_id"
            " WHERE CAST(:all AS boolean) OR u.town_id = ANY(CAST(:towns AS int[]))"
            " ORDER BY u.name"
        ),
        {"all": towns is None, "towns": list(towns or ())},
    ).mappings()
    return [dict(r) for r in rows]
