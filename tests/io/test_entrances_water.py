"""卡口 entrances and 河塘沟渠 water bodies: imported, checked, replaced as a set."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from geo.io import ImportFailed, import_file
from tests.io.conftest import count


def test_entrances_from_a_spreadsheet_find_their_village_and_road(town, tmp_path):
    with town.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO road (code, kind, geom) VALUES ('R1', 'main',"
                " ST_Multi(ST_GeomFromText('LINESTRING(117.185 39.285, 117.21 39.285)', 4326)))"
            )
        )
    sheet = pd.DataFrame(
        {
            "卡口名称": ["张庄西卡口", "李庄东卡口"],
            "村": ["V01", None],  # the second one: found by position (in V02)
            "经度": [117.1905, 117.2095],
            "纬度": [39.2852, 39.2851],
        }
    )
    path = tmp_path / "entrances.xlsx"
    sheet.to_excel(path, index=False)
    report = import_file(town, "entrances", path)
    assert report.inserted == 2
    with town.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT e.name, v.code, r.code AS road FROM entrance e"
                " JOIN village v ON v.id = e.village_id LEFT JOIN road r ON r.id = e.road_id"
                " ORDER BY e.id"
            )
        ).all()
    # both lie ≈ 11–22 m north of the main road (0.0001° of latitude ≈ 11 m)
    assert [tuple(r) for r in rows] == [("张庄西卡口", "V01", "R1"), ("李庄东卡口", "V02", "R1")]
    again = import_file(town, "entrances", path)  # a re-import replaces, never duplicates
    assert again.inserted == 2 and count(town, "entrance") == 2


def test_an_entrance_far_outside_is_refused_and_nothing_changes(town, tmp_path):
    path = tmp_path / "entrances.csv"
    path.write_text("name,lon,lat\n远卡口,117.25,39.285\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "entrances", path)
    problem = failed.value.report.errors[0]
    assert problem.row == 2 and problem.field in ("geometry", "经度/纬度", "lon/lat")
    assert count(town, "entrance") == 0


def test_water_polygons_and_lines_with_kinds_in_chinese(town, tmp_path):
    frame = gpd.GeoDataFrame(
        {"类型": ["坑塘", "沟渠", "湖泊?"], "名称": ["东塘", "北渠", "怪水"]},
        geometry=[
            shapely.box(117.192, 39.282, 117.193, 39.283),
            shapely.LineString([(117.191, 39.289), (117.199, 39.289)]),
            shapely.box(117.202, 39.282, 117.203, 39.283),
        ],
        crs=4326,
    )
    path = tmp_path / "water.geojson"
    frame.to_file(path)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "waterbodies", path)
    assert [p.row for p in failed.value.report.errors] == [3]
    assert count(town, "waterbody") == 0
    frame.iloc[:2].to_file(path)
    assert import_file(town, "waterbodies", path).inserted == 2
    with town.connect() as conn:
        kinds = conn.execute(
            text("SELECT kind, GeometryType(geom) FROM waterbody ORDER BY id")
        ).all()
    assert [tuple(k) for k in kinds] == [("pond", "MULTIPOLYGON"), ("ditch", "MULTILINESTRING")]
