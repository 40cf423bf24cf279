"""The town a request is about, and that town's rules.

Rankings, scores, interviews and bulletins are per town. A route that needs one town takes
`TownDep`: the `?town=CODE` the caller asked for (within their towns, else 404 — the
codes of other towns do not leak), else the caller's only town; a district reader (or an
anonymous reader of a deployment of several towns) must say which (400 naming them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import Connection

from geo.errors import InvalidInput, NotFound
from geo.issue_filter import parse_month
from geo.towns import Town, TownScope, list_towns, rules_text, town_by_code
from geo.users import User
from scoring import Rules
from scoring.rules import RulesError, parse_rules
from service.auth import Reader, town_scope
from service.deps import ConnDep


@dataclass(frozen=True)
class TownContext:
    """One town and the rules it is scored by: those in force now (the closed loop's
    deadline rule) and, through `rules_for`, those of any assessment year."""

    town: Town
    rules_now: Rules
    of_year: Callable[[int], Rules] = field(repr=False, compare=False)

    @property
    def id(self) -> int:
        """The town's id."""
        return self.town.id

    def rules_for(self, year: int) -> Rules:
        """The rules the town is scored by in `year` (`geo.towns.rules_text`)."""
        return self.of_year(year)

    def rules_for_month(self, month: str | date) -> Rules:
        """The rules of the year of `month` (YYYY-MM, else InvalidInput naming `month`)."""
        return self.of_year(month.year if isinstance(month, date) else parse_month(month).year)


def _parsed(request: Request, text: str, town: Town) -> Rules:
    """A town's rules text, parsed once per text and worker."""
    cache: dict[str, Rules] = request.app.state.__dict__.setdefault("town_rules", {})
    key = hashlib.sha256(text.encode()).hexdigest()
    if key not in cache:
        import tomllib

        try:
            cache[key] = parse_rules(tomllib.loads(text), source=f"rules of {town.label}")
        except (tomllib.TOMLDecodeError, RulesError) as exc:
            raise InvalidInput(
                f"the rules of {town.label} do not parse: {exc}", field="town"
            ) from None
    return cache[key]


def town_rules(request: Request, town: Town) -> Rules:
    """The town's rules in force now, else the settings' rules file."""
    if town.rules is None:
        rules: Rules = request.app.state.rules
        return rules
    return _parsed(request, town.rules, town)


def year_rules(request: Request, conn: Connection, town: Town, year: int) -> Rules:
    """The rules the town is scored by in `year`, else the settings' rules file."""
    if town.rules is None:  # the town has no rules of its own in any year
        rules: Rules = request.app.state.rules
        return rules
    found = rules_text(conn, town.id, year)
    return request.app.state.rules if found is None else _parsed(request, found, town)


def context(request: Request, conn: Connection, town: Town) -> TownContext:
    """The town with its rules (now, and by year on this request's connection)."""
    return TownContext(
        town, town_rules(request, town), lambda year: year_rules(request, conn, town, year)
    )


def pick_town(conn: Connection, scope: TownScope, code: str | None) -> Town:
    """`code` within `scope` (404 outside it), else the scope's only town (400 naming them)."""
    if code:
        found = town_by_code(conn, code)
        if scope is not None and found.id not in scope:
            raise NotFound(f"no town {code!r}", field="town")
        return found
    towns = list_towns(conn, scope)
    if len(towns) == 1:
        return towns[0]
    names = ", ".join(t.label for t in towns)
    raise InvalidInput(f"say which town (?town=CODE): {names}", field="town")


def town_for(
    request: Request, conn: Connection, user: User | None, code: str | None = None
) -> TownContext:
    """The town `code` (or the caller's only town), with its rules."""
    return context(request, conn, pick_town(conn, town_scope(user), code))


TownQuery = Annotated[
    str | None, Query(description="town code 镇代码 (default: the caller's only town)")
]


def request_town(
    request: Request, conn: ConnDep, user: Reader, town: TownQuery = None
) -> TownContext:
    """The town this request is about, with its rules."""
    return town_for(request, conn, user, town)


TownDep = Annotated[TownContext, Depends(request_town)]


def user_town(request: Request, conn: Connection, user: User) -> TownContext:
    """The town of a town user (writers): the one read with the caller's token when it
    was (`service.auth.optional_user`), else looked up."""
    known = getattr(request.state, "town", None)
    if known is not None and user.towns == (known.id,):
        return context(request, conn, known)
    return town_for(request, conn, user, None)
