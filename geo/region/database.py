"""The region and the database: export from PostGIS to the region's GeoParquet input, and
the results written back to PostGIS (schema `region`, replaced on every run).

The export streams rows (server-side cursor) in parts of `chunk` issues, so its memory is
bounded whatever the table's size. Issues are selected through `IssueFilter.conditions()`,
the one place that adds the caller's scope (towns).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, func, literal_column, select, text

from geo.issue_filter import IssueFilter
from geo.models import Issue, Village
from geo.region.inputs import ISSUES, TOWNS, VILLAGES

if TYPE_CHECKING:
    from geo.region.analysis import RegionResult

RESULT_SCHEMA = "region"
"""Where `--to-db` writes: region.village_indicator, region.town_indicator, region.hotspot."""


def _has_column(conn: Connection, table: str, column: str) -> bool:
    return bool(
        conn.execute(
            text(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()"
                " AND table_name = :t AND column_name = :c"
            ),
            {"t": table, "c": column},
        ).first()
    )


def _frame(rows: list, columns: list[str]) -> gpd.GeoDataFrame:
    frame = pd.DataFrame.from_records(rows, columns=columns)
    wkb = frame.pop("geom")
    return gpd.GeoDataFrame(
        frame, geometry=shapely.from_wkb([bytes(w) for w in wkb]) if len(wkb) else [], crs=4326
    )


def export_region(
    conn: Connection,
    out: Path,
    *,
    selection: IssueFilter | None = None,
    chunk: int = 500_000,
    town_name: str = "town",
    towns: Sequence[int] | None = None,
) -> dict[str, int]:
    """Write villages.parquet, towns.parquet and issues/part-*.parquet under `out`.

    `towns`: the ids of the towns to export (their villages, rows and issues); None: every
    town. Without a `town` table (a single-town database), every row gets town 1, named
    `town_name`. Returns the number of villages, towns and issues written.
    """
    selection = selection or IssueFilter()
    if towns is not None:
        selection = replace(selection, towns=tuple(towns))
    has_towns = _has_column(conn, "village", "town_id")
    village_town = Village.__table__.c.town_id if has_towns else None
    vcols = [
        Village.id,
        Village.code,
        Village.name,
        (village_town if village_town is not None else literal_column("1")).label("town_id"),
        Village.households,
        func.ST_AsBinary(Village.geom).label("geom"),
    ]
    vstmt = select(*vcols).order_by(Village.id)
    if towns is not None and village_town is not None:
        vstmt = vstmt.where(village_town.in_(list(towns)))
    vrows = conn.execute(vstmt).all()
    villages = _frame(
        [tuple(r) for r in vrows], ["id", "code", "name", "town_id", "households", "geom"]
    )
    villages["households"] = villages["households"].astype("Int64")
    out.mkdir(parents=True, exist_ok=True)
    villages.to_parquet(out / VILLAGES, index=False)
    if has_towns:
        trows = conn.execute(
            text(
                "SELECT id, code, name, metric_srid FROM town"
                " WHERE CAST(:all AS boolean) OR id = ANY(CAST(:ids AS int[])) ORDER BY id"
            ),
            {"all": towns is None, "ids": list(towns or ())},
        ).all()
        town_frame = pd.DataFrame.from_records(
            [tuple(r) for r in trows], columns=["id", "code", "name", "metric_srid"]
        )
    else:
        town_frame = pd.DataFrame({"id": [1], "code": ["1"], "name": [town_name]})
    town_frame.to_parquet(out / TOWNS, index=False)

    issue_town = Issue.__table__.c.town_id if _has_column(conn, "issue", "town_id") else None
    icols = [
        Issue.code,
        Issue.category_code.label("category"),
        Issue.status,
        Issue.found_on,
        Issue.deadline,
        (issue_town if issue_town is not None else literal_column("1")).label("town_id"),
        func.ST_AsBinary(Issue.geom).label("geom"),
    ]
    names = ["code", "category", "status", "found_on", "deadline", "town_id", "geom"]
    parts = out / ISSUES
    parts.mkdir(exist_ok=True)
    for old in parts.glob("*.parquet"):
        old.unlink()
    stmt = select(*icols).where(*selection.conditions()).order_by(Issue.code)
    result = conn.execution_options(stream_results=True, max_row_buffer=chunk).execute(stmt)
    written = 0
    part = 0
    for rows in result.partitions(chunk):
        frame = _frame([tuple(r) for r in rows], names)
        for col in ("found_on", "deadline"):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ms]")
        frame["town_id"] = frame["town_id"].astype("int64")
        frame.to_parquet(parts / f"part-{part:05d}.parquet", index=False)
        written += len(frame)
        part += 1
    if part == 0:
        empty = gpd.GeoDataFrame(
            {
                "code": pd.Series(dtype=str),
                "category": pd.Series(dtype=str),
                "status": pd.Series(dtype=str),
                "found_on": pd.Series(dtype="datetime64[ms]"),
                "deadline": pd.Series(dtype="datetime64[ms]"),
                "town_id": pd.Series(dtype="int64"),
            },
            geometry=gpd.GeoSeries([], crs=4326),
        )
        empty.to_parquet(parts / "part-00000.parquet", index=False)
    return {"villages": len(villages), "towns": len(town_frame), "issues": written}


def write_results_to_db(conn: Connection, result: RegionResult) -> dict[str, int]:
    """Replace region.village_indicator, region.town_indicator and region.hotspot."""
    conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {RESULT_SCHEMA}"))
    written = {}
    for name, frame in (
        ("village_indicator", result.villages),
        ("town_indicator", result.towns),
        ("hotspot", result.hotspots),
    ):
        frame.rename_geometry("geom").to_postgis(
            name, conn, schema=RESULT_SCHEMA, if_exists="replace", index=False
        )
        written[name] = len(frame)
    return written
