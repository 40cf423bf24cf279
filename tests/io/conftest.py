"""Fixtures for the importers: a small town of four square villages near 117.2°E, 39.29°N."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

# Four 0.01° squares: V01 SW, V02 SE, V03 NW, V04 NE of (117.20, 39.29).
# At 39.29°N, 0.001° of longitude ≈ 86 m and 0.001° of latitude ≈ 111 m.
SQUARES = {
    "V01": (117.19, 39.28),
    "V02": (117.20, 39.28),
    "V03": (117.19, 39.29),
    "V04": (117.20, 39.29),
}
NAMES = {"V01": "张庄村", "V02": "李庄村", "V03": "王庄村", "V04": "赵庄村"}


def square_wkt(west: float, south: float, size: float = 0.01) -> str:
    """A square polygon as WKT (lon/lat)."""
    e, n = west + size, south + size
    return f"POLYGON(({west} {south},{e} {south},{e} {n},{west} {n},{west} {south}))"


@pytest.fixture
def db(fresh_url: str) -> Iterator[Engine]:
    """An engine on an empty migrated database of this test's own."""
    engine = create_engine(fresh_url)
    yield engine
    engine.dispose()


@pytest.fixture
def town(db: Engine) -> Engine:
    """The database holding the four villages (inserted directly, not through the importer)."""
    with db.begin() as conn:
        for code, (west, south) in SQUARES.items():
            conn.execute(
                text(
                    "INSERT INTO village (code, name, geom)"
                    " VALUES (:c, :n, ST_Multi(ST_GeomFromText(:w, 4326)))"
                ),
                {"c": code, "n": NAMES[code], "w": square_wkt(west, south)},
            )
    return db


def count(engine: Engine, table: str) -> int:
    """Rows in a table."""
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def village_frame(codes=("V01", "V02", "V03", "V04"), *, shift: float = 0.0):
    """The four villages as a GeoDataFrame with Chinese headers (EPSG:4326)."""
    import geopandas as gpd
    import shapely

    return gpd.GeoDataFrame(
        {
            "编码": list(codes),
            "村名": [NAMES[c] for c in codes],
            "共同体": ["东片共同体" if c in ("V02", "V04") else "西片共同体" for c in codes],
            "户数": [120, 230, 340, 450][: len(codes)],
        },
        geometry=[
            shapely.from_wkt(square_wkt(SQUARES[c][0] + shift, SQUARES[c][1])) for c in codes
        ],
        crs=4326,
    )


def add_issue(engine: Engine, code: str, lon: float, lat: float) -> None:
    """One issue straight into the table (unassigned)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO issue (id, code, category_code, description, geom, source,"
                " found_on, status, version) VALUES (gen_random_uuid(), :code, 'clutter', '',"
                " ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'inspection', '2024-03-05',"
                " 'open', 1)"
            ),
            {"code": code, "lon": lon, "lat": lat},
        )


def undecodable_shapefile(path, codes=("V01", "V02", "V03", "V04")):
    """The villages as a Latin-1 Shapefile without .cpg: its text is neither UTF-8 nor GBK."""
    frame = village_frame(codes).rename(
        columns={"编码": "code", "村名": "name", "共同体": "community", "户数": "households"}
    )
    frame["name"] = [f"Caf\u00e9 {c}" for c in codes]  # E9 20: no GBK character
    frame["community"] = "East"
    frame.to_file(path, encoding="ISO-8859-1", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
