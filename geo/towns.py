"""Towns (镇): who owns what, and which towns a caller may see.

A town owns its villages, communities, grids, roads, rounds, scores and issues
(`town_id`, see migration 0012). Its own settings — its metric CRS on its row, its rules
(whose `[loop] deadline` is its deadline rule) one text per assessment year in `town_rules`
(migration 0022) — override the service settings, which are only the defaults.

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
    """The TOML text of the town's rules in force this year (`town_rules_for`; None: the
    settings' rules file). Scoring a given year takes `rules_text(conn, id, year)`."""

    @property
    def label(self) -> str:
        """`大张庄镇 (120113108)`."""
        return f"{self.name} ({self.code})"


THIS_YEAR = "CAST(date_part('year', current_date) AS int)"
"""SQL: the current year."""


def rules_for_sql(town: str, year: str) -> str:
    """SQL: the rules text the town `town` (an SQL expression of its id) is scored by in
    `year` (an SQL expression): that year's, else the latest earlier year's, else the
    earliest; NULL when the town has none. The same rule as SQL `town_rules_for(town, year)`
    (migration 0022), written out as a subquery so that it is planned once with the
    statement around it (a SQL function with ORDER BY is not inlined, and is planned again
    at every call: the token statement runs on every request)."""
    return (
        f"(SELECT r.rules FROM town_rules r WHERE r.town_id = {town}"
        f" ORDER BY (r.year <= {year}) DESC,"
        f" CASE WHEN r.year <= {year} THEN -r.year ELSE r.year END LIMIT 1)"
    )


def rules_now_sql(alias: str) -> str:
    """SQL: the rules text in force this year of the town row `alias` (NULL: none)."""
    return rules_for_sql(f"{alias}.id", THIS_YEAR)


_COLUMNS = (
    "town.id, code, name, district_code, district_name, metric_srid,"
    f" {rules_now_sql('town')} AS rules"
)


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
    set_by: str | None = None,
) -> Town:
    """Create a town; `rules` is the text of its rules file (checked here), stored for the
    year it names (`set_rules`; `set_by` says who)."""
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
    year = check_rules(rules) if rules is not None else None
    try:
        with conn.begin_nested():
            town_id = conn.execute(
                text(
                    "INSERT INTO town (code, name, district_code, district_name, metric_srid,"
                    " boundary) VALUES (:code, :name, :dc, :dn, :srid,"
                    " ST_Multi(ST_GeomFromText(:wkt, 4326))) RETURNING id"
                ),
                {
                    "code": code,
                    "name": name.strip(),
                    "dc": district_code,
                    "dn": district_name.strip(),
                    "srid": metric_srid,
                    "wkt": boundary_wkt,
                },
            ).scalar_one()
    except IntegrityError:
        raise Conflict(f"a town with code {code} exists already", field="code") from None
    if rules is not None and year is not None:
        _store_rules(conn, town_id, year, rules, set_by=set_by)
    return town_by_id(conn, town_id)


def check_rules(rules: str) -> int:
    """The year a rules text is for (its `[rules] year`); InvalidInput with the rules
    engine's message when it does not parse."""
    import tomllib

    from scoring.rules import RulesError, parse_rules

    try:
        return parse_rules(tomllib.loads(rules), source="town rules").year
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"the rules are not valid TOML ({exc})", field="rules") from None
    except RulesError as exc:
        raise InvalidInput(str(exc), field="rules") from None


@dataclass(frozen=True)
class RulesYear:
    """One year's rules of a town, as stored."""

    year: int
    set_by: str | None
    set_at: Any
    rules: str


def _store_rules(
    conn: Connection, town_id: int, year: int, rules: str, *, set_by: str | None
) -> bool:
    """Store a town's rules of `year` (replacing that year's); True when they replaced some."""
    return bool(
        conn.execute(
            text(
                "INSERT INTO town_rules AS r (town_id, year, rules, set_by)"
                " VALUES (:t, :y, :r, :by) ON CONFLICT (town_id, year) DO UPDATE"
                " SET rules = EXCLUDED.rules, set_by = EXCLUDED.set_by, set_at = now()"
                " RETURNING (xmax <> 0) AS replaced"
            ),
            {"t": town_id, "y": year, "r": rules, "by": set_by},
        ).scalar_one()
    )


def set_rules(
    conn: Connection, town: Town, rules: str, *, set_by: str | None = None
) -> tuple[int, bool]:
    """Set the town's rules for the year the text names (`[rules] year`), replacing that
    year's only: the other years keep theirs, so a past year is scored as it was.
    (year, whether a text of that year was replaced); InvalidInput when it does not parse."""
    year = check_rules(rules)
    return year, _store_rules(conn, town.id, year, rules, set_by=set_by)


def rules_years(conn: Connection, town: Town) -> list[RulesYear]:
    """The town's rules, one per year, oldest first."""
    rows = conn.execute(
        text("SELECT year, set_by, set_at, rules FROM town_rules WHERE town_id = :t ORDER BY year"),
        {"t": town.id},
    ).all()
    return [RulesYear(*row) for row in rows]


def rules_text(conn: Connection, town_id: int, year: int) -> str | None:
    """The rules text the town is scored by in `year`: that year's, else the latest earlier
    one (rules stay in force until replaced), else the earliest; None: the town has none
    (the settings' rules file applies)."""
    found: str | None = conn.execute(
        text(f"SELECT {rules_for_sql('CAST(:t AS int)', 'CAST(:y AS int)')}"),
        {"t": town_id, "y": year},
    ).scalar()
    return found


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
