"""The region analysis on a two-worker Dask cluster (processes) against PostGIS.

A small generated region (3 towns, 243 villages, 24,000 points with points on shared
nodes, in the gaps between towns and strays outside) is analysed on Dask and loaded into
the test database, where `geo.assign.assign_issues` places it; every issue's village,
and the counts per village and per town (by status, category, open, overdue), must agree
exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import Connection, create_engine, text

from geo.assign import assign_issues
from geo.defaults import GPS_TOLERANCE_M, METRIC_SRID
from geo.hotspots import hotspots
from geo.region.analysis import RegionResult, analyse
from geo.region.client import dask_client
from geo.region.generate import generate_region
from geo.region.inputs import ISSUES, TOWNS, VILLAGES, spatially_partitioned
from geo.region.place import Villages, place
from geo.vocab import OPEN_STATUSES
from service.cli import app
from tests.cli import runner_for

pytestmark = pytest.mark.postgis

AS_OF = date(2026, 6, 30)


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("region")
    generate_region(root, towns=3, villages=240, points=24_000, chunk=8_000, seed=7)
    return root


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    """Two worker processes on a LocalCluster, stopped at the end of the module."""
    with dask_client(workers=2, threads_per_worker=1) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c
    assert c.status == "closed"


def load_region(conn: Connection, root: Path) -> None:
    """The region's towns, villages (same ids, their town) and issues (their recorded town)
    into the database, unplaced."""
    towns = pd.read_parquet(root / TOWNS)
    conn.execute(
        text(
            "INSERT INTO town (id, code, name, district_code, district_name, metric_srid)"
            " VALUES (:id, :code, :name, :district, '北辰区', :srid)"
            " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, name = EXCLUDED.name"
        ),
        [
            {
                "id": int(t.id),
                "code": t.code,
                "name": t.name,
                "district": t.code[:6],
                "srid": METRIC_SRID,
            }
            for t in towns.itertuples()
        ],
    )
    conn.execute(text("SELECT setval('town_id_seq', (SELECT max(id) FROM town))"))
    villages = gpd.read_parquet(root / VILLAGES)
    conn.execute(
        text(
            "INSERT INTO village (id, town_id, code, name, households, geom)"
            " VALUES (:id, :town, :code, :name, :households, ST_GeomFromText(:wkt, 4326))"
        ),
        [
            {
                "id": int(r.id),
                "town": int(r.town_id),
                "code": r.code,
                "name": r.name,
                "households": int(r.households),
                "wkt": r.geometry.wkt,
            }
            for r in villages.itertuples()
        ],
    )
    conn.execute(text("SELECT setval('village_id_seq', (SELECT max(id) FROM village))"))
    issues = gpd.read_parquet(root / ISSUES)
    rows = [
        {
            "code": r.code,
            "town": int(r.town_id),
            "cat": r.category,
            "status": r.status,
            "found": r.found_on.date(),
            "deadline": None if pd.isna(r.deadline) else r.deadline.date(),
            "closed": r.found_on.date() if r.status == "closed" else None,
            "wkb": r.geometry.wkb,
        }
        for r in issues.itertuples()
    ]
    conn.execute(
        text(
            "INSERT INTO issue (code, town_id, category_code, status, found_on, deadline,"
            " closed_on, geom) VALUES (:code, :town, :cat, :status, :found, :deadline,"
            " :closed, ST_GeomFromWKB(:wkb, 4326))"
        ),
        rows,
    )


@pytest.fixture(scope="module")
def postgis(region: Path, pg_server: object, migrated_template: str) -> Iterator[str]:
    """A database holding the region, placed by PostGIS (geo.assign)."""
    name = pg_server.create(template=migrated_template)  # type: ignore[attr-defined]
    url = pg_server.url_of(name)  # type: ignore[attr-defined]
    engine = create_engine(url)
    with engine.begin() as conn:
        load_region(conn, region)
        assign_issues(conn, tolerance_m=GPS_TOLERANCE_M, metric_srid=METRIC_SRID)
    engine.dispose()
    yield url
    pg_server.drop(name)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def analysed(
    client: object, region: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RegionResult, Path]:
    placed = tmp_path_factory.mktemp("placed") / "placed"
    result = analyse(
        client,  # type: ignore[arg-type]
        region,
        as_of=AS_OF,
        npartitions=4,
        placed_dir=placed,
        within_town=True,  # as geo.assign: a point only among its own town's villages
    )
    return result, placed


def _db(url: str, sql: str, **params: object) -> pd.DataFrame:
    engine = create_engine(url)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(text(sql), params).mappings().all())
    engine.dispose()
    return frame


def test_every_issue_lands_in_the_village_postgis_chooses(
    analysed: tuple[RegionResult, Path], postgis: str
) -> None:
    _, placed_dir = analysed
    mine = pd.read_parquet(placed_dir, columns=["code", "village_id", "outside_m"])
    theirs = _db(postgis, "SELECT code, village_id, outside_m FROM issue")
    both = mine.merge(theirs, on="code", suffixes=("_dask", "_pg"), validate="one_to_one")
    assert len(both) == 24_000
    dask_v = both["village_id_dask"].fillna(-1).astype("int64")
    pg_v = both["village_id_pg"].fillna(-1).astype("int64")
    assert (dask_v != pg_v).sum() == 0, both[dask_v != pg_v].head()
    snapped = both["outside_m_pg"].notna()
    assert (snapped == both["outside_m_dask"].notna()).all()
    assert (
        both.loc[snapped, "outside_m_dask"] - both.loc[snapped, "outside_m_pg"]
    ).abs().max() < 1e-6
    # every branch of the rule was exercised: covered, shared nodes, snapped, unplaced
    on_nodes = _db(
        postgis,
        "SELECT count(*) AS n FROM issue i WHERE"
        " (SELECT count(*) FROM village v WHERE ST_Covers(v.geom, i.geom)) > 1",
    )["n"][0]
    assert on_nodes > 100
    assert snapped.sum() > 50
    assert (pg_v < 0).sum() > 50


def test_counts_per_village_and_town_equal_postgis(
    analysed: tuple[RegionResult, Path], postgis: str, region: Path
) -> None:
    result, _ = analysed
    per_key = _db(
        postgis,
        "SELECT village_id, status, category_code, count(*) AS n,"
        " count(*) FILTER (WHERE status = ANY(:open) AND deadline < :as_of) AS overdue"
        " FROM issue WHERE village_id IS NOT NULL GROUP BY 1, 2, 3",
        open=list(OPEN_STATUSES),
        as_of=AS_OF,
    )
    villages = result.villages.set_index("village_id")
    by_status = per_key.pivot_table(
        index="village_id", columns="status", values="n", aggfunc="sum", fill_value=0
    )
    for status in by_status.columns:
        expected = by_status[status].reindex(villages.index, fill_value=0)
        assert (villages[f"status_{status}"] == expected).all(), status
    by_category = per_key.pivot_table(
        index="village_id", columns="category_code", values="n", aggfunc="sum", fill_value=0
    )
    for category in by_category.columns:
        expected = by_category[category].reindex(villages.index, fill_value=0)
        assert (villages[f"category_{category}"] == expected).all(), category
    totals = per_key.groupby("village_id")[["n", "overdue"]].sum().reindex(villages.index)
    assert (villages["issues"] == totals["n"].fillna(0)).all()
    assert (villages["overdue"] == totals["overdue"].fillna(0)).all()
    opened = per_key[per_key["status"].isin(OPEN_STATUSES)].groupby("village_id")["n"].sum()
    assert (villages["open"] == opened.reindex(villages.index, fill_value=0)).all()

    # per town: the database's villages grouped by their town_id
    town_of = _db(postgis, "SELECT id, town_id FROM village").set_index("id")
    per_key["town_id"] = town_of["town_id"].reindex(per_key["village_id"]).to_numpy()
    pg_towns = per_key.groupby("town_id")[["n", "overdue"]].sum()
    towns = result.towns.set_index("town_id")
    assert list(towns.index) == [1, 2, 3]
    assert (towns["issues"] == pg_towns["n"]).all()
    assert (towns["overdue"] == pg_towns["overdue"]).all()
    pg_status = per_key.pivot_table(
        index="town_id", columns="status", values="n", aggfunc="sum", fill_value=0
    )
    for status in pg_status.columns:
        assert (towns[f"status_{status}"] == pg_status[status]).all(), status
    unplaced = _db(postgis, "SELECT count(*) AS n FROM issue WHERE village_id IS NULL")["n"][0]
    assert sum(result.summary["unplaced"].values()) == unplaced == towns["unplaced"].sum()
    assert result.summary["issues"] == 24_000
    assert result.summary["spatially_shuffled"] is True  # generated parts span the region
    # per 100 households
    v = villages.iloc[0]
    assert v["issues_per_100_households"] == pytest.approx(
        v["issues"] * 100 / v["households"], abs=1e-3
    )


def test_hotspots_per_town(analysed: tuple[RegionResult, Path]) -> None:
    result, _ = analysed
    hot = result.hotspots
    assert set(hot["town_id"]) == {1, 2, 3}
    # every placed point is counted in some cell of its town (hex cells include points' cells)
    assert (
        hot.groupby("town_id")["count"].sum().to_dict()
        == result.towns.set_index("town_id")["issues"].to_dict()
    )
    # the generated clusters show up as hot spots in every town
    assert (hot[hot["spot"] == "hot"].groupby("town_id").size() > 0).all()
    assert len(hot[hot["spot"] == "hot"].groupby("town_id")) == 3
    assert set(result.summary["stages"]) == {"place", "indicators", "hotspots"}


def test_each_towns_task_computes_the_town_pages_gi_star(
    analysed: tuple[RegionResult, Path], region: Path
) -> None:
    """The per-town task gets exactly the town's placed points from the partitions holding
    them: its cells equal geo.hotspots.hotspots over those points and the town's villages."""
    result, placed_dir = analysed
    placed = gpd.read_parquet(placed_dir)
    villages = gpd.read_parquet(region / VILLAGES)
    for town_id in (1, 3):
        points = placed[(placed["town_id"] == town_id) & placed["village_id"].notna()]
        expected = hotspots(
            gpd.GeoDataFrame(geometry=points.geometry.to_numpy(), crs=4326),
            gpd.GeoDataFrame(
                geometry=villages.loc[villages["town_id"] == town_id, "geometry"].to_numpy(),
                crs=4326,
            ),
        )
        mine = result.hotspots[result.hotspots["town_id"] == town_id].sort_values("cell")
        expected = expected.sort_values("cell")
        assert mine["cell"].tolist() == expected["cell"].tolist()
        assert mine["count"].tolist() == expected["count"].tolist()
        assert np.allclose(mine["gi_z"].to_numpy(), expected["gi_z"].to_numpy(), atol=1e-12)
        assert mine["spot"].tolist() == expected["spot"].tolist()


def test_cli_run_on_a_running_scheduler_writes_geoparquet_and_the_database(
    client: object,
    region: Path,
    analysed: tuple[RegionResult, Path],
    fresh_url: str,
    tmp_path: Path,
) -> None:
    address = client.scheduler.address  # type: ignore[attr-defined]
    out = tmp_path / "out"
    result = runner_for(fresh_url).invoke(
        app,
        [
            "region",
            "run",
            str(region),
            "-o",
            str(out),
            "--scheduler",
            address,
            "--as-of",
            AS_OF.isoformat(),
            "--partitions",
            "3",
            "--no-spatial-shuffle",
            "--to-db",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "24000 issues" in result.output
    villages = gpd.read_parquet(out / "villages.parquet")
    expected, _ = analysed
    assert villages["issues"].tolist() == expected.villages["issues"].tolist()
    assert villages["overdue"].tolist() == expected.villages["overdue"].tolist()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["workers"] == 2 and summary["partitions"] == 3
    assert len(gpd.read_parquet(out / "hotspots.parquet")) == len(expected.hotspots)
    in_db = _db(
        fresh_url,
        "SELECT sum(issues) AS issues, count(*) AS villages,"
        " (SELECT count(*) FROM region.town_indicator) AS towns FROM region.village_indicator",
    ).iloc[0]
    assert int(in_db["issues"]) == int(expected.villages["issues"].sum())
    assert int(in_db["villages"]) == len(expected.villages)
    assert int(in_db["towns"]) == 3


def test_export_from_postgis_gives_the_same_village_counts(
    client: object, postgis: str, analysed: tuple[RegionResult, Path], tmp_path: Path
) -> None:
    exported = tmp_path / "exported"
    result = runner_for(postgis).invoke(
        app, ["region", "export", str(exported), "--chunk", "10000"]
    )
    assert result.exit_code == 0, result.output
    assert "24000 issues" in result.output
    assert len(list((exported / ISSUES).glob("part-*.parquet"))) == 3
    assert not spatially_partitioned(dask_geopandas.read_parquet(exported / ISSUES))
    address = client.scheduler.address  # type: ignore[attr-defined]
    done = runner_for(postgis).invoke(
        app, ["region", "partition", str(exported), "--partitions", "4", "--scheduler", address]
    )
    assert done.exit_code == 0, done.output
    assert "4 spatial partitions" in done.output
    assert spatially_partitioned(dask_geopandas.read_parquet(exported / ISSUES))
    # cut points from the histograms of Hilbert distances: parts of about equal size
    sizes = [len(pd.read_parquet(p, columns=["code"])) for p in (exported / ISSUES).iterdir()]
    assert sum(sizes) == 24_000 and max(sizes) - min(sizes) < 600, sizes
    again = analyse(client, exported, as_of=AS_OF, with_hotspots=False)  # type: ignore[arg-type]
    assert again.summary["spatially_shuffled"] is False  # partitioned once, read as is
    expected, _ = analysed
    cols = ["village_id", "issues", "open", "overdue", "snapped", "status_closed"]
    pd.testing.assert_frame_equal(
        again.villages[cols].reset_index(drop=True), expected.villages[cols].reset_index(drop=True)
    )
    assert again.summary["unplaced"] != {} and sum(again.summary["unplaced"].values()) == sum(
        expected.summary["unplaced"].values()
    )


def test_bad_input_fails_with_a_clear_message_and_writes_nothing(
    client: object, region: Path, tmp_path: Path, fresh_url: str
) -> None:
    address = client.scheduler.address  # type: ignore[attr-defined]
    runner = runner_for(fresh_url)
    out = tmp_path / "out"
    missing = runner.invoke(
        app, ["region", "run", str(tmp_path / "nowhere"), "-o", str(out), "--scheduler", address]
    )
    assert missing.exit_code == 1
    assert "villages.parquet: no such file" in missing.output
    bad = tmp_path / "bad"
    (bad / ISSUES).mkdir(parents=True)
    (bad / VILLAGES).write_bytes((region / VILLAGES).read_bytes())
    issues = gpd.read_parquet(region / ISSUES / "part-00000.parquet")
    issues["status"] = issues["status"].astype(str)
    issues.loc[5, "status"] = "finished"
    issues.to_parquet(bad / ISSUES / "part-00000.parquet")
    wrong = runner.invoke(app, ["region", "run", str(bad), "-o", str(out), "--scheduler", address])
    assert wrong.exit_code == 1
    assert f"issue {issues.loc[5, 'code']}: unknown status 'finished'" in wrong.output
    address_only = runner.invoke(
        app, ["region", "run", str(region), "-o", str(out), "--scheduler", "localhost:8786"]
    )
    assert address_only.exit_code == 1
    assert "expected a scheduler address such as tcp://" in address_only.output
    assert not out.exists()


def test_a_point_is_placed_only_among_its_towns_villages() -> None:
    """Two towns side by side with a 20 m gap: a point inside town 2's village but recorded
    in town 1 goes to town 1's village when within the tolerance (as geo.assign does with
    towns), to town 2's when towns are ignored; beyond the tolerance it stays unplaced."""
    west = gpd.GeoDataFrame(
        {"id": [1, 2], "town_id": [1, 2]},
        geometry=[
            shapely.box(117.19, 39.28, 117.20, 39.29),
            shapely.box(117.2002, 39.28, 117.21, 39.29),
        ],
        crs=4326,
    )
    villages = Villages(west)
    points = gpd.GeoSeries(
        shapely.points([117.2003, 117.2050, 117.2002, 117.2002], [39.285] * 4), crs=4326
    ).set_axis([10, 11, 12, 13])
    # 117.2003 lies ≈ 26 m east of town 1's edge, inside town 2's village; 117.2050 ≈ 430 m;
    # 117.2002 on town 2's edge; the last recorded in no town.
    towns = np.array([1, 1, 2, -1])
    placed = place(points, villages, tolerance_m=30.0, towns=towns)
    assert placed.index.tolist() == [10, 11, 12, 13]
    assert placed["village_id"].tolist() == [1, pd.NA, 2, 2]
    assert placed["outside_m"].iloc[0] == pytest.approx(25.8, abs=0.5)
    assert pd.isna(placed["outside_m"].iloc[2])
    anywhere = place(points, villages, tolerance_m=30.0)
    assert anywhere["village_id"].tolist() == [2, 2, 2, 2]
