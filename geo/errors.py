"""One exception tree for the domain. The service maps each class to an HTTP status."""

from __future__ import annotations


class CunrongError(Exception):
    """Base of every domain error; `code` is stable, `message` is for people."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, row: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.row = row

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class InvalidInput(CunrongError):
    """Input that does not meet what is expected (bad value, bad file, bad geometry)."""

    code = "invalid_input"


class OutsideTown(InvalidInput):
    """A point farther than the GPS tolerance from every village."""

    code = "outside_town"


class UnknownCategory(InvalidInput):
    """A category code that is not in the category table."""

    code = "unknown_category"


class NotFound(CunrongError):
    """The thing asked for does not exist."""

    code = "not_found"


class Conflict(CunrongError):
    """The request clashes with the current state (stale version, illegal transition)."""

    code = "conflict"


class Forbidden(CunrongError):
    """The user may not do this."""

    code = "forbidden"


class TooLarge(CunrongError):
    """Input over one of the configured limits (bytes, unpacked bytes, vertices, pixels, rows).

    `limit` names the setting (e.g. CUNRONG_MAX_UPLOAD_MIB) so the reader knows what to
    change or how to split the input.
    """

    code = "too_large"

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        field: str | None = None,
        row: int | None = None,
    ):
        super().__init__(f"{message} (limit {limit})", field=field, row=row)
        self.limit = limit


def mib(n_bytes: float) -> str:
    """A byte count in MiB for messages (one decimal, never MB)."""
    return f"{n_bytes / 2**20:.1f} MiB"
