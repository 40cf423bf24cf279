"""Hand-made villages for tests: squares of 0.01° near 117.2 E, 39.285 N.

At 39.285°N one degree of longitude is ≈ 86.2 km and one degree of latitude ≈ 111 km, so
0.001° of longitude ≈ 86 m and 0.0001° of latitude ≈ 11.1 m: tests use these to work
out expected distances by hand.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, create_engine, text

SQUARE = "MULTIPOLYGON((({w} {s},{e} {s},{e} {n},{w} {n},{w} {s})))"


def add_square_village(
    conn: Connection,
    code: str = "W01",
    name: str = "西村",
    *,
    west: float = 117.19,
    east: float = 117.20,
    south: float = 39.28,
    north: float = 39.29,
) -> int:
    """Insert a square village and return its id."""
    return conn.execute(
        text(
            "INSERT INTO village (code, name, geom) VALUES (:c, :n, ST_GeomFromText(:w, 4326))"
            " RETURNING id"
        ),
        {"c": code, "n": name, "w": SQUARE.format(w=west, e=east, s=south, n=north)},
    ).scalar_one()


SECOND_TOWN = ("120113109", "二号镇")


def second_town(url: str) -> Engine:
    """Add town 二号镇 (120113109) with village B01 and its issue B1 beside the database's
    first town (the two-town tests of Open311, notifications); the engine is returned."""
    from geo.towns import add_town

    engine = create_engine(url)
    with engine.begin() as conn:
        other = add_town(conn, code=SECOND_TOWN[0], name=SECOND_TOWN[1], district_name="北辰区")
        conn.execute(
            text(
                "INSERT INTO village (town_id, code, name, geom) VALUES (:t, 'B01', '北村',"
                " ST_GeomFromText('MULTIPOLYGON(((117.30 39.28,117.31 39.28,117.31 39.29,"
                "117.30 39.29,117.30 39.28)))', 4326))"
            ),
            {"t": other.id},
        )
        conn.execute(
            text(
                "INSERT INTO issue (town_id, code, category_code, geom, found_on, deadline,"
                " village_id) SELECT :t, 'B1', 'clutter',"
                " ST_SetSRID(ST_MakePoint(117.305, 39.285), 4326), '2024-03-20', '2024-04-20', id"
                " FROM village WHERE code = 'B01'"
            ),
            {"t": other.id},
        )
    return engine
