"""Who is calling: bearer tokens → users, and the role checks routes declare."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from geo.errors import CunrongError, Forbidden
from geo.users import User, user_for_token
from service.deps import ConnDep

_bearer = HTTPBearer(auto_error=False, description="token from `cunrong user add`")


class Unauthorized(CunrongError):
    """No valid token."""

    code = "unauthorized"


def optional_user(
    request: Request,
    conn: ConnDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    """The caller, or None when no token was sent; a bad token is always refused."""
    if credentials is None:
        return None
    user = user_for_token(conn, credentials.credentials)
    if user is None:
        raise Unauthorized("the token is unknown or revoked", field="Authorization")
    request.state.user = user
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    """The caller; 401 without a token."""
    if user is None:
        raise Unauthorized(
            "send 'Authorization: Bearer <token>' (create one with `cunrong user add`)",
            field="Authorization",
        )
    return user


def reader(request: Request, user: Annotated[User | None, Depends(optional_user)]) -> User | None:
    """Any reader: anonymous reads only when CUNRONG_ANONYMOUS_READ is on."""
    if user is None and not request.app.state.settings.anonymous_read:
        return current_user(None)
    return user


def require(*roles: str) -> Callable[[User], User]:
    """A dependency allowing only `roles` (403 for others, 401 without a token)."""

    def check(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise Forbidden(
                f"role {user.role} may not do this; allowed: {', '.join(roles)}", field="role"
            )
        return user

    return check


def check_village_scope(user: User | None, village_code: str | None) -> None:
    """A village user acts on their own village only."""
    if user is not None and user.role == "village" and village_code != user.village_code:
        raise Forbidden(
            f"user {user.name} acts for village {user.village_code} only", field="village"
        )


CurrentUser = Annotated[User, Depends(current_user)]
Reader = Annotated[User | None, Depends(reader)]
Writer = Annotated[User, Depends(require("admin", "inspector", "village"))]
Inspector = Annotated[User, Depends(require("admin", "inspector"))]
Admin = Annotated[User, Depends(require("admin"))]
OfficeOrLeader = Annotated[User, Depends(require("admin", "leader"))]
"""整治办 or a town leader: records interviews (约谈) held."""
