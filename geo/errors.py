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
