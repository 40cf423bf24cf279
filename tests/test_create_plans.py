"""Recording an issue stays cheap as the table grows: every lookup it makes is an index probe.

The assertions are on the query plans PostgreSQL chooses for the exact statements
`create_issue` and the token check run (never on time; speed is in benchmarks/load.py).
"""

from __future__ import annotations

from sqlalchemy import Connection, TextClause, text

from geo.assign import one_point, placed_sql, placement_params
from geo.loop import (
    NEARBY_OPEN_SQL,
    REBOUND_SQL,
    last_code_params,
    last_code_sql,
    near_params,
)
from geo.users import TOKEN_SQL

# A 40 × 40 grid of 0.002° villages from (117.1, 39.2); issues spread over them.
N = 40
SIZE = 0.002


def _town(conn: Connection, issues: int = 40_000) -> None:
    conn.execute(
        text(
            "INSERT INTO village (code, name, geom)"
            " SELECT 'V' || x || '-' || y, 'V' || x || '-' || y,"
            "  ST_Multi(ST_MakeEnvelope(117.1 + x * :s, 39.2 + y * :s,"
            "   117.1 + (x + 1) * :s, 39.2 + (y + 1) * :s, 4326))"
            " FROM generate_series(0, :n - 1) x, generate_series(0, :n - 1) y"
        ),
        {"n": N, "s": SIZE},
    )
    conn.execute(
        text(
            "INSERT INTO issue (id, code, category_code, geom, source, found_on, status,"
            " closed_on, version)"
            " SELECT gen_random_uuid(), 'V1-2024' || lpad((k % 12 + 1)::text, 2, '0') || '-'"
            "  || lpad(k::text, 6, '0'),"
            "  (ARRAY['clutter', 'weeds', 'tangled_wires'])[k % 3 + 1],"
            "  ST_SetSRID(ST_MakePoint(117.1 + random() * :w, 39.2 + random() * :w), 4326),"
            "  'inspection', DATE '2024-01-01',"
            "  CASE WHEN k % 2 = 0 THEN 'closed' ELSE 'open' END,"
            "  CASE WHEN k % 2 = 0 THEN DATE '2024-02-01' END, 1"
            " FROM generate_series(1, :k) k"
        ),
        {"k": issues, "w": N * SIZE},
    )
    conn.execute(
        text(
            "INSERT INTO app_user (name, role, token_hash)"
            " SELECT 'u' || k, 'inspector', md5(k::text) || md5(k::text || 'x')"
            " FROM generate_series(1, 20000) k"
        )
    )
    for table in ("village", "issue", "app_user"):
        conn.execute(text(f"ANALYZE {table}"))


def _plan(conn: Connection, sql: TextClause | str, params: dict[str, object]) -> str:
    query = sql.text if isinstance(sql, TextClause) else sql
    rows = conn.execute(text(f"EXPLAIN {query}"), params).scalars()
    return "\n".join(rows)


def test_every_lookup_of_a_create_is_an_index_probe(session):
    conn = session.connection()
    _town(conn)
    point = {"lon": 117.1411, "lat": 39.2413}

    for sql, radius, extra in (
        (NEARBY_OPEN_SQL, 10.0, {}),
        (REBOUND_SQL, 20.0, {"found_on": "2024-03-01", "days": 90}),
    ):
        params = near_params(**point, category="clutter", radius_m=radius, metric_srid=4527)
        plan = _plan(conn, sql, params | extra)
        assert "idx_issue_geom" in plan, plan
        assert "Seq Scan on issue" not in plan, plan

    plan = _plan(conn, TOKEN_SQL, {"h": "0" * 64})
    assert "app_user_token_hash_key" in plan and "Seq Scan on app_user" not in plan, plan

    plan = _plan(
        conn,
        placed_sql(one_point()),
        placement_params(tolerance_m=30.0, metric_srid=4527) | point,
    )
    assert "idx_village_geom" in plan and "Seq Scan on village" not in plan, plan

    plan = _plan(conn, last_code_sql(), last_code_params("V1-202403-"))
    assert "issue_code_key" in plan and "Seq Scan on issue" not in plan, plan
