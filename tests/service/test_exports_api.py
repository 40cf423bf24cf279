"""Exports: issues as GeoJSON/GeoPackage/CSV, the ledger and year results as XLSX."""

from __future__ import annotations

import csv
import io

import geopandas as gpd
from openpyxl import load_workbook


def test_issue_exports_in_three_formats(client, tmp_path):
    geojson = client.get("/exports/issues.geojson?village=W01")
    assert geojson.status_code == 200
    assert [f["properties"]["code"] for f in geojson.json()["features"]] == ["I1", "I2"]
    gpkg = client.get("/exports/issues.gpkg?status=open")
    path = tmp_path / "issues.gpkg"
    path.write_bytes(gpkg.content)
    frame = gpd.read_file(path, layer="issues")
    assert sorted(frame["code"]) == ["I1", "I3"]
    assert frame.crs.to_epsg() == 4326
    text = client.get("/exports/issues.csv?category=tangled_wires").content.decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["code"], row["village"], row["lon"], row["lat"]) == (
        "I4",
        "E01",
        "117.206",
        "39.286",
    )
    assert "attachment" in client.get("/exports/issues.csv").headers["content-disposition"]
    assert client.get("/exports/issues.shp").status_code == 422


def test_ledger_export_has_chinese_headers(client):
    response = client.get("/exports/ledger.xlsx?village=E01&as_of=2024-12-31")
    sheet = load_workbook(io.BytesIO(response.content))["工作台账"]
    assert sheet["A2"].value == "问题编号"
    assert [sheet.cell(row=r, column=1).value for r in (3, 4)] == ["I3", "I4"]


def test_year_export_needs_scores(client, tokens):
    assert client.get("/exports/year/2024.xlsx").status_code == 404
    scores = [{"month": "2024-03", "village": "W01", "group": "一", "score": 80}]
    client.post("/scores", json=scores, headers=tokens["admin"])
    book = load_workbook(io.BytesIO(client.get("/exports/year/2024.xlsx").content))
    assert book.sheetnames[0] == "年度排名"
