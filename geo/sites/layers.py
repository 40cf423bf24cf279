"""What the sites map draws besides the candidates: villages, roads, entrances, water."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
from sqlalchemy import Connection, Select, func, select

from geo.frames import roads_frame, villages_frame
from geo.geoframe import read_geoframe
from geo.issue_filter import BBox
from geo.models import Entrance, Village, Waterbody

MARGIN_DEG = 0.002
"""Roads and water this far (about 200 m) around the villages are drawn too."""


@dataclass(frozen=True)
class SiteLayers:
    """The context layers of a sites map, in EPSG:4326."""

    villages: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    entrances: gpd.GeoDataFrame
    water: gpd.GeoDataFrame


def _read(stmt: Select, conn: Connection) -> gpd.GeoDataFrame:
    return read_geoframe(conn, stmt)


def site_map_layers(conn: Connection, *, villages: Sequence[str] = ()) -> SiteLayers:
    """The villages (codes; all when empty) and the roads, entrances and water around them."""
    village_frame = villages_frame(conn, villages=list(villages))
    if village_frame.empty:
        empty = gpd.GeoDataFrame({"name": []}, geometry=[], crs=4326)
        return SiteLayers(village_frame, empty, empty, empty)
    west, south, east, north = (float(v) for v in village_frame.total_bounds)
    box = BBox(west - MARGIN_DEG, south - MARGIN_DEG, east + MARGIN_DEG, north + MARGIN_DEG)
    envelope = func.ST_MakeEnvelope(box.west, box.south, box.east, box.north, 4326)
    entrances = _read(
        select(
            Entrance.name,
            Village.code.label("village_code"),
            Village.name.label("village_name"),
            func.ST_AsBinary(Entrance.geom).label("geom"),
        )
        .join(Village, Village.id == Entrance.village_id)
        .where(Entrance.geom.intersects(envelope))
        .order_by(Entrance.id),
        conn,
    )
    water = _read(
        select(Waterbody.kind, Waterbody.name, func.ST_AsBinary(Waterbody.geom).label("geom"))
        .where(Waterbody.geom.intersects(envelope))
        .order_by(Waterbody.id),
        conn,
    )
    return SiteLayers(
        villages=village_frame,
        roads=roads_frame(conn, bbox=box),
        entrances=entrances,
        water=water,
    )
