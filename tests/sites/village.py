"""A hand-built village for the site finder, drawn in metres (EPSG:4527) and stored in 4326.

    y (m)
    400 +-----------------------------------+      village W01 "试点村", 400 m × 400 m
        |                     S1            |      M1  main road y = 200, x = −100 … 500
        |                     |    [pond]   |      E   entrance "西口" at (0, 200)
        |          L1         |     (x c)   |      S1  secondary road x = 250, y = 200 … 400
        |          |   [h]    |             |      L1  lane x = 100, y = 200 … 320 (clear)
    200 E==========+==========+======+======+==    L2  lane x = 320, y = 200 … 80
        |                            |   o  |      h   closed idle_homestead at (150, 240)
        |                           L2      |      c   closed clutter inside the pond
        |                                   |      o   open clutter at (330, 120), 10 m from L2
      0 +-----------------------------------+      pond 300…360 × 280…340
        0                                  400 x (m)

Coordinates are offsets from (X0, Y0) in EPSG:4527, so distances and areas can be worked
out by hand; the round trip through 4326 changes them by far less than a millimetre.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, text

SRID = 4527
X0, Y0 = 39_516_400.0, 4_349_600.0

VILLAGE_CODE = "W01"
HOMESTEAD = "W01-202403-0001"
IN_POND = "W01-202403-0002"
OPEN_NEAR_L2 = "W01-202404-0003"


def wkt_line(*points: tuple[float, float]) -> str:
    """A MULTILINESTRING through offset points."""
    coords = ", ".join(f"{X0 + x} {Y0 + y}" for x, y in points)
    return f"MULTILINESTRING(({coords}))"


def wkt_box(x0: float, y0: float, x1: float, y1: float, *, multi: bool = False) -> str:
    """A (MULTI)POLYGON of an offset box."""
    ring = ", ".join(
        f"{X0 + x} {Y0 + y}" for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))
    )
    return f"MULTIPOLYGON((({ring})))" if multi else f"POLYGON(({ring}))"


def wkt_point(x: float, y: float) -> str:
    """A POINT at an offset."""
    return f"POINT({X0 + x} {Y0 + y})"


def _geom(param: str) -> str:
    return f"ST_Transform(ST_GeomFromText(:{param}, {SRID}), 4326)"


def add_road(conn: Connection, *, code: str, kind: str, wkt: str, village_id: int) -> int:
    """Insert a road and return its id."""
    return conn.execute(
        text(
            "INSERT INTO road (code, kind, name, village_id, geom)"
            f" VALUES (:code, :kind, :code, :v, {_geom('wkt')}) RETURNING id"
        ),
        {"code": code, "kind": kind, "v": village_id, "wkt": wkt},
    ).scalar_one()


def add_issue(
    conn: Connection, *, code: str, category: str, status: str, x: float, y: float, village_id: int
) -> None:
    """Insert an issue found on 2024-03-05 (closed on 2024-03-25 when closed)."""
    conn.execute(
        text(
            "INSERT INTO issue (code, category_code, description, geom, village_id, found_on,"
            f" status, closed_on) VALUES (:code, :cat, :desc, {_geom('wkt')}, :v, :found,"
            " :status, :closed)"
        ),
        {
            "code": code,
            "cat": category,
            "desc": "<b>手工</b>测试问题",
            "wkt": wkt_point(x, y),
            "v": village_id,
            "found": date(2024, 3, 5),
            "status": status,
            "closed": date(2024, 3, 25) if status == "closed" else None,
        },
    )


def build_village(conn: Connection) -> dict[str, int]:
    """Insert the village of the module docstring; returns the ids of what it made."""
    vid = conn.execute(
        text(f"INSERT INTO village (code, name, geom) VALUES (:c, :n, {_geom('w')}) RETURNING id"),
        {"c": VILLAGE_CODE, "n": "试点村", "w": wkt_box(0, 0, 400, 400, multi=True)},
    ).scalar_one()
    main = add_road(
        conn, code="W01-M1", kind="main", wkt=wkt_line((-100, 200), (500, 200)), village_id=vid
    )
    add_road(
        conn, code="W01-S1", kind="secondary", wkt=wkt_line((250, 200), (250, 400)), village_id=vid
    )
    add_road(conn, code="W01-L1", kind="lane", wkt=wkt_line((100, 200), (100, 320)), village_id=vid)
    add_road(conn, code="W01-L2", kind="lane", wkt=wkt_line((320, 200), (320, 80)), village_id=vid)
    conn.execute(
        text(
            "INSERT INTO entrance (village_id, road_id, name, geom)"
            f" VALUES (:v, :r, '西口', {_geom('w')})"
        ),
        {"v": vid, "r": main, "w": wkt_point(0, 200)},
    )
    conn.execute(
        text(f"INSERT INTO waterbody (kind, name, geom) VALUES ('pond', '东塘', {_geom('w')})"),
        {"w": wkt_box(300, 280, 360, 340)},
    )
    add_issue(
        conn,
        code=HOMESTEAD,
        category="idle_homestead",
        status="closed",
        x=150,
        y=240,
        village_id=vid,
    )
    add_issue(conn, code=IN_POND, category="clutter", status="closed", x=330, y=310, village_id=vid)
    add_issue(
        conn, code=OPEN_NEAR_L2, category="clutter", status="open", x=330, y=120, village_id=vid
    )
    return {"village": vid, "main": main}
