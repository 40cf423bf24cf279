"""Towns (镇): who owns what, and which towns a caller may see.

A town owns its villages, communities, grids, roads, rounds, scores and issues
(`town_id`, see migration 0012). Its own settings — its rules (whose `[loop] deadline` is
its deadline rule) and its metric CRS — live on its row; the service settings are only the
defaults of a new town.

Scope: a *town scope* is a tuple of town ids a caller may read, or None for every town (the
CLI, anonymous reading in development). Readers take it as `towns=`; the issue filter
carries it (`IssueFilter.towns`). A write goes to the transaction's town: `use_town` sets
`cunrong.town`, which the database uses for rows written without a town_id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from geo.defaults import METRIC_SRID
from geo.errors import Conflict, InvalidInput, NotFound

SESSION_TOWN = "NULLIF(current_setting('cunrong.town', true), '')::int"
"""SQL: the transaction's town (`use_town`), NULL when none is set."""


def in_session_town(alias: str) -> str:
    """SQL: the row `alias` lies in the transaction's town (any town when none is set). The
    village-code lookups of writers use it, so a user of one town cannot write into another
    (its codes read as unknown)."""
    return f"({SESSION_TOWN} IS NULL OR {alias}.town_id = {SESSION_TOWN})"


TownScope = tuple[int, ...] | None
"""Town ids a caller may read; None: every town."""

CODE = re.compile(r"^[0-9]{9}([0-9]{3})?$")


@dataclass(frozen=True)
class Town:
    """A town's row (without its boundary)."""

    id: int
    code: str
    name: str
    district_code: str
    district_name: str
    metric_srid: int
    rules: str | None = None
    """The TOML text of the town's rules (None: the settings' rules file)."""

    @property
    def label(self) -> str:
        """`大张庄镇 (120113108)`."""
        return f"{self.name} ({self.code})"


_COLUMNS = "id, code, name, district_code, district_name, metric_srid, rules"


def _town(row: Any) -> Town:
    return Town(**dict(row._mapping))


def list_towns(conn: Connection, towns: TownScope = None) -> list[Town]:
    """The towns in scope, by code."""
    rows = conn.execute(
        text(
            f"SELECT {_COLUMNS} FROM town"
            " WHERE CAST(:all AS boolean) OR id = ANY(CAST(:ids AS int[])) ORDER BY code"
        ),
        {"all": towns is None, "ids": list(towns or ())},
    )
    return [_town(r) for r in rows]


def _names(towns: Sequence[Town]) -> str:
    return ", ".join(t.label for t in towns) or "none (add one with `cunrong town add`)"


def town_by_code(conn: Connection, code: str, *, field: str = "town") -> Town:
    """The town with this code (or name), or NotFound naming the towns there are."""
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM town WHERE code = :c OR name = :c ORDER BY code LIMIT 2"),
        {"c": code.strip()},
    ).all()
    if len(row) != 1:
        raise NotFound(f"no town {code!r}; the towns are: {_names(list_towns(conn))}", field=field)
    return _town(row[0])


def town_by_id(conn: Connection, town_id: int) -> Town:
    """The town of this id."""
    row = conn.execute(text(f"SELECT {_COLUMNS} FROM town WHERE id = :i"), {"i": town_id}).first()
    if row is None:
        raise NotFound(f"no town with id {town_id}", field="town")
    return _town(row)


def resolve_town(conn: Connection, code: str | None, *, field: str = "town") -> Town:
    """The town a command means: `code`, else the only town; several towns and no code is
    an InvalidInput naming them."""
    if code:
        return town_by_code(conn, code, field=field)
    towns = list_towns(conn)
    if len(towns) == 1:
        return towns[0]
    raise InvalidInput(
        f"say which town (--town CODE): there are {len(towns)}: {_names(towns)}", field=field
    )


def current_town(conn: Connection) -> int:
    """The transaction's town (`use_town`), else the only town (else InvalidInput naming
    the towns)."""
    given = conn.execute(text("SELECT current_setting('cunrong.town', true)")).scalar()
    if given:
        return int(given)
    return resolve_town(conn, None).id


def use_town(conn: Connection, town_id: int) -> None:
    """Rows this transaction writes without a town go to `town_id` (`cunrong.town`)."""
    conn.execute(text("SELECT set_config('cunrong.town', :t, true)"), {"t": str(town_id)})


def add_town(
    conn: Connection,
    *,
    code: str,
    name: str,
    district_name: str,
    district_code: str | None = None,
    metric_srid: int = METRIC_SRID,
    rules: str | None = None,
    boundary_wkt: str | None = None,
) -> Town:
    """Create a town; `rules` is the text of its rules file (checked here)."""
    code = code.strip()
    if not CODE.match(code):
        raise InvalidInput(
            f"expected a town code of 9 or 12 digits (行政区划代码, e.g. 120113108), got {code!r}",
            field="code",
        )
    district_code = (district_code or code[:6]).strip()
    if district_code != code[:6]:
        raise InvalidInput(
            f"the town code {code} does not start with the district code {district_code}",
            field="district_code",
        )
    if not name.strip():
        raise InvalidInput("the town name is empty", field="name")
    if not district_name.strip():
        raise InvalidInput("the district name is empty", field="district_name")
    if rules is not None:
        check_rules(rules)
    try:
        with conn.begin_nested():
            town_id = conn.execute(
                text(
                    "INSERT INTO town (code, name, district_code, district_name, metric_srid,"
                    " rules, boundary) VALUES (:code, :name, :dc, :dn, :srid,"
                    " :rules, ST_Multi(ST_GeomFromText(:wkt, 4326))) RETURNING id"
                ),
                {
                    "code": code,
                    "name": name.strip(),
                    "dc": district_code,
                    "dn": district_name.strip(),
                    "srid": metric_srid,
                    "rules": rules,
                    "wkt": boundary_wkt,
                },
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"a town with code {code} exists already", field="code") from None
    return town_by_id(conn, town_id)


def check_rules(rules: str) -> None:
    """Refuse rules text that does not parse (the rules engine's message)."""
    import tomllib

    from scoring.rules import RulesError, parse_rules

    try:
        parse_rules(tomllib.loads(rules), source="town rules")
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"the rules are not valid TOML ({exc})", field="rules") from None
    except RulesError as exc:
        raise InvalidInput(str(exc), field="rules") from None


def town_of_village(conn: Connection, village_code: str) -> int | None:
    """The town id of a village code (None: no such village)."""
    return conn.execute(
        text("SELECT town_id FROM village WHERE code = :c"), {"c": village_code}
    ).scalar()


def scope_params(towns: TownScope) -> dict[str, Any]:
    """Bound parameters of the scope condition written in SQL as
    `(CAST(:all AS boolean) OR x.town_id = ANY(CAST(:towns AS int[])))`."""
    return {"all": towns is None, "towns": list(towns or ())}


SCOPE_SQL = "(CAST(:all AS boolean) OR {alias}.town_id = ANY(CAST(:towns AS int[])))"
"""The scope condition on a table alias; parameters from `scope_params`."""


def in_scope(towns: TownScope, town_id: int | None) -> bool:
    """Whether `town_id` lies in the scope."""
    return towns is None or (town_id is not None and town_id in towns)
