"""`cunrong import …`: a readable report on the terminal, a CSV report, exit 1 on any error."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from service.cli import app
from tests.cli import runner_for

from .conftest import count, undecodable_shapefile, village_frame


@pytest.fixture
def cli_db(town):
    """The test's database (the town), for the CLI."""
    return town


@pytest.fixture
def runner(fresh_url):
    """The CLI pointed at the test's database."""
    return runner_for(fresh_url)


def test_import_villages_then_bad_issues(cli_db, runner, tmp_path):
    villages = tmp_path / "v.geojson"
    village_frame().to_file(villages, driver="GeoJSON")
    result = runner.invoke(app, ["import", "villages", str(villages)])
    assert result.exit_code == 0, result.output
    assert "导入成功" in result.output and "4 updated" in result.output

    issues = tmp_path / "i.csv"
    pd.DataFrame(
        {
            "类别": ["weeds", "垃圾桶"],
            "经度": [39.285, 117.205],
            "纬度": [117.195, 39.285],
            "发现日期": ["2024-03-05", "2024-03-05"],
        }
    ).to_csv(issues, index=False)
    report = tmp_path / "report.csv"
    result = runner.invoke(app, ["import", "issues", str(issues), "--report", str(report)])
    assert result.exit_code == 1
    assert "row 2 [经度/纬度]" in result.output and "经纬度可能颠倒" in result.output
    assert "row 3 [类别]" in result.output and "nothing was changed" in result.output
    with report.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["row"], r["field"], r["level"]) for r in rows] == [
        ("2", "经度/纬度", "error"),
        ("3", "类别", "error"),
    ]
    assert count(cli_db, "issue") == 0


def test_dry_run_and_encoding_hint(cli_db, runner, tmp_path):
    shp = tmp_path / "v.shp"
    undecodable_shapefile(shp)
    result = runner.invoke(app, ["import", "villages", str(shp)])
    assert result.exit_code == 1 and "--encoding GBK" in result.output
    result = runner.invoke(
        app, ["import", "villages", str(shp), "--encoding", "ISO-8859-1", "--dry-run"]
    )
    assert result.exit_code == 0 and "would import" in result.output


def test_gbk_dbf_without_cpg_is_imported_with_a_warning(cli_db, runner, tmp_path):
    shp = tmp_path / "v.shp"
    village_frame().to_file(shp, encoding="GBK", engine="pyogrio")
    shp.with_suffix(".cpg").unlink()
    result = runner.invoke(app, ["import", "villages", str(shp)])
    assert result.exit_code == 0, result.output
    assert "read as GBK" in result.output
    assert count(cli_db, "village") == 4
