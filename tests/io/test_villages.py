"""Village boundaries from any format and CRS; bad boundaries named; re-import reassigns issues."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from geo.io import ImportFailed, import_file
from geo.io.coordinates import SWAPPED_HINT

from .conftest import (
    NAMES,
    SQUARES,
    add_issue,
    count,
    square_wkt,
    undecodable_shapefile,
    village_frame,
)


def _errors(exc: ImportFailed) -> list[tuple[int | None, str | None, str, str | None]]:
    return [(p.row, p.field, p.message, p.hint) for p in exc.report.errors]


def test_geojson_with_chinese_headers_creates_villages_and_communities(db, tmp_path):
    path = tmp_path / "villages.geojson"
    village_frame().to_file(path, driver="GeoJSON")
    report = import_file(db, "villages", path)
    assert (report.inserted, report.updated) == (4, 0)
    assert report.unit == "feature"
    with db.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT v.code, v.name, c.name AS community, v.households FROM village v"
                " JOIN community c ON c.id = v.community_id ORDER BY v.code"
            )
        ).all()
    assert [(r.code, r.name, r.households) for r in rows] == [
        ("V01", "张庄村", 120),
        ("V02", "李庄村", 230),
        ("V03", "王庄村", 340),
        ("V04", "赵庄村", 450),
    ]
    assert {r.community for r in rows} == {"东片共同体", "西片共同体"}
    assert count(db, "community") == 2


def test_self_intersecting_village_is_repaired_with_a_warning(db, tmp_path):
    frame = village_frame(("V01", "V02"))
    west, south = SQUARES["V02"]
    bowtie = shapely.Polygon(
        [(west, south), (west + 0.01, south + 0.01), (west + 0.01, south), (west, south + 0.01)]
    )
    frame.loc[1, "geometry"] = bowtie
    path = tmp_path / "bowtie.geojson"
    frame.to_file(path, driver="GeoJSON")
    report = import_file(db, "villages", path)
    assert report.ok and report.inserted == 2
    warning = next(p for p in report.warnings if p.field == "geometry")
    assert warning.row == 2 and "Self-intersection" in warning.message
    assert "make_valid" in warning.message
    with db.connect() as conn:
        valid, kind = conn.execute(
            text("SELECT ST_IsValid(geom), GeometryType(geom) FROM village WHERE code = 'V02'")
        ).one()
    assert valid and kind == "MULTIPOLYGON"


def test_village_with_no_area_left_refuses_the_whole_file(town, tmp_path):
    frame = village_frame(("V01", "V02"), shift=0.001)
    west, south = SQUARES["V02"]
    frame.loc[1, "geometry"] = shapely.Polygon(
        [(west, south), (west + 0.01, south), (west + 0.02, south), (west, south)]
    )
    path = tmp_path / "flat.geojson"
    frame.to_file(path, driver="GeoJSON")
    with town.connect() as conn:
        before = conn.execute(text("SELECT code, ST_AsText(geom) FROM village ORDER BY 1")).all()
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "villages", path)
    ((row, field, message, _),) = _errors(failed.value)
    assert (row, field) == (2, "geometry") and "no area left" in message
    with town.connect() as conn:
        after = conn.execute(text("SELECT code, ST_AsText(geom) FROM village ORDER BY 1")).all()
    assert after == before  # V01 was valid but not changed either: all or nothing


def test_reimport_moves_issues_to_the_new_boundaries(town, tmp_path):
    add_issue(town, "I1", 117.1995, 39.285)  # in V01 near its east edge
    with town.begin() as conn:
        conn.execute(
            text("UPDATE issue SET village_id = (SELECT id FROM village WHERE code='V01')")
        )
    frame = village_frame(("V01", "V02"))
    frame.loc[0, "geometry"] = shapely.from_wkt(square_wkt(117.19, 39.28, 0.009))
    frame.loc[1, "geometry"] = shapely.from_wkt(
        "POLYGON((117.199 39.28,117.21 39.28,117.21 39.29,117.199 39.29,117.199 39.28))"
    )
    path = tmp_path / "moved.geojson"
    frame.to_file(path, driver="GeoJSON")
    report = import_file(town, "villages", path)
    assert (report.inserted, report.updated) == (0, 2)
    assert report.assignment is not None and report.assignment.covered == 1
    with town.connect() as conn:
        village = conn.execute(
            text("SELECT v.code FROM issue i JOIN village v ON v.id = i.village_id")
        ).scalar_one()
    assert village == "V02"


def test_gbk_shapefile_in_gauss_kruger_without_cpg_is_read_as_gbk_with_a_warning(db, tmp_path):
    frame = village_frame().to_crs(4527)
    path = tmp_path / "村界.shp"
    frame.to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    report = import_file(db, "villages", path)
    assert report.inserted == 4
    (warning,) = [w for w in report.warnings if "GBK" in w.message]
    assert "no .cpg" in warning.message
    with db.connect() as conn:
        name, lon, lat = conn.execute(
            text(
                "SELECT name, ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM village"
                " WHERE code = 'V01'"
            )
        ).one()
    assert name == NAMES["V01"]
    assert lon == pytest.approx(117.195, abs=1e-6) and lat == pytest.approx(39.285, abs=1e-6)


def test_dbf_without_cpg_that_is_neither_utf8_nor_gbk_asks_for_the_encoding(db, tmp_path):
    path = tmp_path / "latin.shp"
    undecodable_shapefile(path, ("V01",))
    with pytest.raises(ImportFailed) as failed:
        import_file(db, "villages", path)
    ((_row, field, message, _),) = _errors(failed.value)
    assert field == "--encoding" and "--encoding GBK" in message
    assert count(db, "village") == 0
    report = import_file(db, "villages", path, encoding="ISO-8859-1")
    assert report.inserted == 1
    with db.connect() as conn:
        assert conn.execute(text("SELECT name FROM village")).scalar_one() == "Caf\u00e9 V01"


def test_utf8_shapefile_without_cpg_is_read_as_utf8(db, tmp_path):
    path = tmp_path / "v.shp"
    village_frame(("V01",)).to_file(path, encoding="UTF-8", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    import_file(db, "villages", path)
    with db.connect() as conn:
        assert conn.execute(text("SELECT name FROM village")).scalar_one() == NAMES["V01"]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_projected_numbers_without_crs_name_the_likely_crs(town, tmp_path):
    frame = village_frame(("V01",)).to_crs(4527).set_crs(None, allow_override=True)
    path = tmp_path / "no_crs.shp"
    frame.to_file(path, encoding="UTF-8", engine="pyogrio")
    path.with_suffix(".prj").unlink(missing_ok=True)
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "villages", path)
    ((row, _field, message, hint),) = _errors(failed.value)
    assert row == 1 and "out of the range of degrees" in message
    assert "--crs EPSG:4527" in hint
    report = import_file(town, "villages", path, crs="EPSG:4527")
    assert report.updated == 1


def test_swapped_polygon_coordinates(db, tmp_path):
    frame = village_frame(("V01",))
    frame.loc[0, "geometry"] = shapely.transform(frame.geometry[0], lambda xy: xy[:, ::-1])
    path = tmp_path / "swapped.geojson"
    frame.to_file(path, driver="GeoJSON")
    with pytest.raises(ImportFailed) as failed:
        import_file(db, "villages", path)
    assert failed.value.report.errors[0].hint == SWAPPED_HINT


def test_geopackage_layer_cgcs2000_and_missing_fields(db, tmp_path):
    path = tmp_path / "town.gpkg"
    village_frame().set_crs(4490, allow_override=True).to_file(path, layer="村界")
    village_frame(("V01",)).to_file(path, layer="other")
    with pytest.raises(ImportFailed) as failed:
        import_file(db, "villages", path)
    assert "--layer" in failed.value.report.errors[0].message
    with pytest.raises(ImportFailed) as failed:
        import_file(db, "villages", path, layer="nope")
    assert "村界" in failed.value.report.errors[0].message
    report = import_file(db, "villages", path, layer="村界")
    assert report.inserted == 4

    broken = village_frame(("V01", "V02"))
    broken.loc[1, "编码"] = None
    broken.to_file(tmp_path / "missing.gpkg")
    with pytest.raises(ImportFailed) as failed:
        import_file(db, "villages", tmp_path / "missing.gpkg")
    assert _errors(failed.value)[0][:3] == (2, "编码", "required value is missing")


def test_duplicate_codes_and_csv_with_wkt(db, tmp_path):
    frame = village_frame(("V01", "V02", "V03"))
    frame.loc[2, "编码"] = "V01"
    table = frame.assign(wkt=frame.geometry.to_wkt()).drop(columns="geometry")
    path = tmp_path / "villages.csv"
    table.to_csv(path, index=False)
    with pytest.raises(ImportFailed) as failed:
        import_file(db, "villages", path)
    ((row, field, message, _),) = _errors(failed.value)
    assert (row, field) == (4, "编码") and "row 2" in message
    assert count(db, "village") == 0


def test_kml_villages(db, tmp_path):
    frame = village_frame(("V01", "V02")).rename(columns={"村名": "Name"})
    path = tmp_path / "villages.kml"
    frame.to_file(path, driver="KML")
    report = import_file(db, "villages", path)
    assert report.inserted == 2
    with db.connect() as conn:
        assert conn.execute(text("SELECT name FROM village WHERE code='V02'")).scalar() == "李庄村"


def test_read_back_is_a_valid_tiling(db, tmp_path):
    path = tmp_path / "v.geojson"
    village_frame().to_file(path, driver="GeoJSON")
    import_file(db, "villages", path)
    with db.connect() as conn:
        got = gpd.read_postgis("SELECT code, geom FROM village", conn, geom_col="geom")
    assert got.crs.to_epsg() == 4326 and got.is_valid.all()
