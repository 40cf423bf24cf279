"""Grids and roads: villages named by code or name, road kinds in Chinese, upserts by code."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from geo.io import ImportFailed, import_file

from .conftest import add_issue, count, square_wkt


def test_grids_from_csv_with_and_without_boundaries(town, tmp_path):
    add_issue(town, "I1", 117.192, 39.282)
    frame = pd.DataFrame(
        {
            "所属村": ["V01", "李庄村", "V01"],
            "网格名称": ["一网格", "一网格", "二网格"],
            "网格长": ["张三", "李四", None],
            "wkt": [square_wkt(117.19, 39.28, 0.005), None, None],
        }
    )
    path = tmp_path / "grids.csv"
    frame.to_csv(path, index=False)
    report = import_file(town, "grids", path)
    assert report.inserted == 3
    with town.connect() as conn:
        grids = conn.execute(text("SELECT code, leader FROM grid ORDER BY code")).all()
        grid_of_issue = conn.execute(
            text("SELECT g.code FROM issue i JOIN grid g ON g.id = i.grid_id")
        ).scalar_one()
    assert [tuple(g) for g in grids] == [
        ("V01-一网格", "张三"),
        ("V01-二网格", None),
        ("V02-一网格", "李四"),
    ]
    assert grid_of_issue == "V01-一网格"
    frame.assign(网格长=["王五", "李四", None]).to_csv(path, index=False)
    report = import_file(town, "grids", path)
    assert (report.inserted, report.updated) == (0, 3)


def test_grid_households_are_imported_and_checked(town, tmp_path):
    path = tmp_path / "grids.csv"
    frame = pd.DataFrame(
        {"村编码": ["V01", "V01"], "网格名称": ["一网格", "二网格"], "户数": [40, None]}
    )
    frame.to_csv(path, index=False)
    assert import_file(town, "grids", path).inserted == 2
    with town.connect() as conn:
        households = conn.execute(text("SELECT households FROM grid ORDER BY code")).scalars()
        assert list(households) == [40, None]
    frame.assign(户数=["四十", None]).to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "grids", path)
    (problem,) = failed.value.report.errors
    assert (problem.row, problem.field) == (2, "户数")


def test_grid_of_unknown_village(town, tmp_path):
    path = tmp_path / "grids.csv"
    pd.DataFrame({"村编码": ["V09"], "网格名称": ["一网格"]}).to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "grids", path)
    (problem,) = failed.value.report.errors
    assert (problem.row, problem.field) == (2, "村编码") and "V09" in problem.message
    assert count(town, "grid") == 0


def test_roads_from_geopackage(town, tmp_path):
    roads = gpd.GeoDataFrame(
        {"道路名称": ["京津路", "小巷"], "等级": ["主干道", "巷道"], "编码": ["R1", "R2"]},
        geometry=[
            shapely.LineString([(117.191, 39.285), (117.199, 39.285)]),
            shapely.LineString([(117.201, 39.281), (117.201, 39.289)]),
        ],
        crs=4326,
    ).to_crs(3857)
    path = tmp_path / "roads.gpkg"
    roads.to_file(path)
    report = import_file(town, "roads", path)
    assert report.inserted == 2
    with town.connect() as conn:
        got = conn.execute(
            text(
                "SELECT r.code, r.kind, v.code AS village, GeometryType(r.geom) FROM road r"
                " LEFT JOIN village v ON v.id = r.village_id ORDER BY r.code"
            )
        ).all()
    assert [tuple(r) for r in got] == [
        ("R1", "main", "V01", "MULTILINESTRING"),
        ("R2", "lane", "V02", "MULTILINESTRING"),
    ]


def test_road_kind_and_geometry_type_are_checked(town, tmp_path):
    roads = gpd.GeoDataFrame(
        {"kind": ["highway", "main"]},
        geometry=[
            shapely.LineString([(117.191, 39.285), (117.199, 39.285)]),
            shapely.Point(117.2, 39.285),
        ],
        crs=4326,
    )
    path = tmp_path / "roads.geojson"
    roads.to_file(path, driver="GeoJSON")
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "roads", path)
    found = {(p.row, p.field): p for p in failed.value.report.errors}
    assert "unknown road kind 'highway'" in found[(1, "kind")].message
    assert "main" in found[(1, "kind")].hint
    assert "expected a line" in found[(2, "geometry")].message
