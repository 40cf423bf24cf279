"""The synthetic town of `tests.maps.town`, written into a PostGIS database for frame tests."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

from tests.maps import town


def load_small_town(conn: Connection, *, issues: int = 40) -> None:
    """Communities, nine villages, their grids, issues with events and one photo."""
    villages = town.villages()
    for code, name in sorted(
        set(zip(villages["community_code"], villages["community_name"], strict=True))
    ):
        conn.execute(
            text("INSERT INTO community (code, name) VALUES (:c, :n)"), {"c": code, "n": name}
        )
    for v in villages.itertuples():
        conn.execute(
            text(
                "INSERT INTO village (code, name, community_id, households, geom)"
                " SELECT :c, :n, id, :h, ST_GeomFromText(:g, 4326) FROM community WHERE code = :cc"
            ),
            {
                "c": v.code,
                "n": v.name,
                "h": v.households,
                "g": v.geometry.wkt,
                "cc": v.community_code,
            },
        )
    for i, g in enumerate(town.grids().itertuples()):
        conn.execute(
            text(
                "INSERT INTO grid (code, village_id, name, leader, geom)"
                " SELECT :code, id, :n, :l, ST_GeomFromText(:g, 4326) FROM village WHERE code = :v"
            ),
            {
                "code": f"G{i:03d}",
                "n": g.name,
                "l": g.leader,
                "g": g.geometry.wkt,
                "v": g.village_code,
            },
        )
    frame = town.issues(issues)
    for row in frame.itertuples():
        conn.execute(
            text(
                "INSERT INTO issue (code, category_code, description, geom, village_id, grid_id,"
                " found_on, deadline, status, closed_on, source)"
                " SELECT :code, :cat, :d, ST_SetSRID(ST_MakePoint(:x, :y), 4326), v.id,"
                " (SELECT g.id FROM grid g WHERE g.village_id = v.id"
                "   AND ST_Covers(g.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) LIMIT 1),"
                " :f, :dl, :s, :cl, 'inspection'"
                " FROM village v WHERE ST_Covers(v.geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"
                " LIMIT 1"
            ),
            {
                "code": row.code,
                "cat": row.category,
                "d": row.description,
                "x": row.geometry.x,
                "y": row.geometry.y,
                "f": row.found_on,
                "dl": row.deadline,
                "s": row.status,
                "cl": row.closed_on,
            },
        )
    conn.execute(
        text(
            'INSERT INTO issue_event (issue_id, kind, to_status, "on")'
            " SELECT id, 'created', 'open', found_on FROM issue"
        )
    )
    conn.execute(
        text(
            'INSERT INTO issue_event (issue_id, kind, from_status, to_status, "on")'
            " SELECT id, 'submitted', 'open', 'submitted', :on FROM issue WHERE status <> 'open'"
        ),
        {"on": date(2024, 5, 1)},
    )
    conn.execute(
        text(
            "INSERT INTO photo (id, issue_id, kind, sha256, path, mime, bytes)"
            " SELECT gen_random_uuid(), id, 'before', repeat('a', 64), 'x.jpg', 'image/jpeg', 10"
            " FROM issue"
            " WHERE code = 'Q0000'"
        )
    )
