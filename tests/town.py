"""Hand-made villages for tests: squares of 0.01° near 117.2 E, 39.285 N.

At 39.285°N one degree of longitude is ≈ 86.2 km and one degree of latitude ≈ 111 km, so
0.001° of longitude ≈ 86 m and 0.0001° of latitude ≈ 11.1 m: tests use these to work
out expected distances by hand.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

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
