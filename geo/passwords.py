"""Sign-in passwords, hashed with argon2id (argon2-cffi, the maintained binding of the
reference implementation); the clear password is never stored or logged."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.errors import InvalidInput

MIN_LENGTH = 8
MAX_LENGTH = 200

_hasher = PasswordHasher()  # argon2id with the library's defaults (RFC 9106 low-memory profile)


def check_password(password: str, *, name: str | None = None) -> None:
    """Refuse passwords too short, too long or equal to the user name."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"a password needs at least {MIN_LENGTH} characters, got {len(password)}",
            field="password",
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(f"a password has at most {MAX_LENGTH} characters", field="password")
    if name is not None and password.strip().lower() == name.strip().lower():
        raise InvalidInput("the password must differ from the user name", field="password")


def hash_password(password: str) -> str:
    """The argon2id hash (with its own random salt and parameters) to store."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("no user has this password")


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; without a stored hash the same work is done
    against a dummy, so an unknown user name takes as long as a wrong password."""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a stored hash was made with older parameters than today's."""
    try:
        return _hasher.check_needs_rehash(stored)
    except InvalidHashError:
        return True
