"""`cunrong score what-if` and missing_score through the CLI, on CSV folders.

The what-if town is tests/scoring/test_whatif.py's (its docstring works it by hand); the
gap town is tests/scoring/test_missing_score.py's (V03 not scored in April).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from scoring.sources import write_source
from service.cli.score import app
from tests.scoring.conftest import build_town
from tests.scoring.test_missing_score import APRIL, MARCH
from tests.scoring.test_whatif import SCORES, THIRD_PARTY


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def whatif_folder(tmp_path: Path) -> Path:
    scores = {code: float(score) for code, score in SCORES.items()}
    data = build_town({"2024-03": scores, "2024-04": scores}, third_party=THIRD_PARTY)
    write_source(data, tmp_path / "town12")
    return tmp_path / "town12"


@pytest.fixture
def gap_folder(tmp_path: Path) -> Path:
    months = {"2024-03": MARCH, "2024-04": APRIL}
    floats = {m: {code: float(v) for code, v in by.items()} for m, by in months.items()}
    write_source(build_town(floats), tmp_path / "gap")
    return tmp_path / "gap"


def _rules_file(tmp_path: Path, mode: str) -> Path:
    source = resources.files("scoring").joinpath("rules.toml").read_text(encoding="utf-8")
    assert 'missing_score = "skip"' in source
    path = tmp_path / f"rules-{mode}.toml"
    path.write_text(source.replace('missing_score = "skip"', f'missing_score = "{mode}"'))
    return path


def test_what_if_year_json(whatif_folder: Path) -> None:
    result = _run("what-if", "2024", "V08", "--from", whatif_folder, "--format", "json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert (answer["kind"], answer["village"], answer["total"], answer["rank"]) == (
        "year",
        "V08",
        67,
        7,
    )
    # Enter the top five: the others' 5th highest is 72 (V05); 72 − 67 = 5 points; 50
    # problems fewer > 8 found; one month out of the bottom ten saves 5 (≥ 5).
    top = answer["enter_top"]
    assert (top["threshold"], top["points"], top["reached"]) == (72, 5, False)
    assert top["problems_fewer"]["possible"] is False
    assert (top["months_out"]["count"], top["months_out"]["points"]) == (1, 5)
    # Leave the bottom five: tied with V07 at 67, the others' 5th lowest: above it, 0.0001;
    # one problem fewer (0.1).
    bottom = answer["leave_bottom"]
    assert (bottom["threshold"], bottom["points"], bottom["strictly_more"]) == (67, 0.0001, True)
    assert bottom["problems_fewer"]["count"] == 1
    assert [m["month"] for m in answer["months"]] == ["2024-03", "2024-04"]
    assert answer["warnings"] == []


def test_what_if_year_table(whatif_folder: Path) -> None:
    result = _run("what-if", "2024", "V06", "--from", whatif_folder)
    assert result.exit_code == 0, result.output
    # V06: 72 − 70 = 2 points to the top five; one month out (5); the others' 5th highest 72.
    assert "进入前5名 enter the top 5" in result.stdout
    assert "退出后5名 leave the bottom 5" in result.stdout
    assert "V06" in result.stdout and "88.0001" in result.stdout  # March's score needed


def test_what_if_month(whatif_folder: Path) -> None:
    args = ("what-if", "2024", "V08", "--month", "2024-03", "--from", whatif_folder)
    answer = json.loads(_run(*args, "--format", "json").stdout)
    # Others in March: 10th lowest 88 → 88.0001; V08 scored 75 → 13.0001 short.
    assert (answer["kind"], answer["needed_score"], answer["points"]) == ("month", 88.0001, 13.0001)
    wrong = _run("what-if", "2024", "V08", "--month", "2023-03", "--from", whatif_folder)
    assert wrong.exit_code == 1 and "--month: expected a month of 2024" in wrong.output


def test_what_if_refusals(whatif_folder: Path) -> None:
    unknown = _run("what-if", "2024", "X99", "--from", whatif_folder)
    assert unknown.exit_code == 1 and "unknown village code 'X99'" in unknown.output
    empty = _run("what-if", "2025", "V01", "--from", whatif_folder)
    assert empty.exit_code == 1 and "no observation score in 2025" in empty.output
    xlsx = _run("what-if", "2024", "V01", "--from", whatif_folder, "--format", "xlsx")
    assert xlsx.exit_code != 0


def test_missing_modes_through_the_cli(gap_folder: Path, tmp_path: Path) -> None:
    # skip (default): V03 total 60, rank 5 (tied with V08), a warning line.
    skip = json.loads(_run("year", "2024", "--from", gap_folder, "--format", "json").stdout)
    v03 = next(v for v in skip["villages"] if v["village"] == "V03")
    assert (v03["total"], v03["rank"]) == (60, 5)
    assert len(skip["warnings"]) == 1 and "V03" in skip["warnings"][0]
    # lowest: April at 61 → base 62, −8 → 54, rank 10 (tied with V02), in the bottom five.
    lowest_rules = _rules_file(tmp_path, "lowest")
    args = ("year", "2024", "--from", gap_folder, "--rules", lowest_rules, "--format", "json")
    lowest = json.loads(_run(*args).stdout)
    v03 = next(v for v in lowest["villages"] if v["village"] == "V03")
    assert (v03["total"], v03["rank"], v03["pay_deduction"]) == (54, 10, True)
    assert lowest["rules"]["missing_score"] == "lowest"
    assert 'missing_score = "lowest"' in lowest["warnings"][0]
    # error: refused, naming the village and the month, non-zero exit, nothing written.
    error_rules = _rules_file(tmp_path, "error")
    out = tmp_path / "year.json"
    refused = _run(
        "year", "2024", "--from", gap_folder, "--rules", error_rules, "--format", "json", "-o", out
    )
    assert refused.exit_code == 1
    assert "2024-04: village V03 (V03村) has no observation score" in refused.output
    assert not out.exists()
    month = _run("month", "2024-04", "--from", gap_folder, "--rules", error_rules)
    assert month.exit_code == 1 and "V03" in month.output


def test_missing_warning_in_the_workbook(gap_folder: Path, tmp_path: Path) -> None:
    path = tmp_path / "year.xlsx"
    result = _run("year", "2024", "--from", gap_folder, "--format", "xlsx", "-o", path)
    assert result.exit_code == 0, result.output
    book = load_workbook(path)
    assert book.sheetnames[0] == "年度排名" and book.sheetnames[-1] == "警告 warnings"
    rows = list(book["警告 warnings"].iter_rows(values_only=True))
    assert rows[0] == ("警告 warning",) and "V03" in rows[1][0]
    notes = [r for r in book["月度排名"].iter_rows(values_only=True) if r[-1] == "未评分"]
    assert [(r[0], r[2]) for r in notes] == [("2024-04", "V03")]
    table = _run("month", "2024-04", "--from", gap_folder)
    assert "警告 warnings" in table.stdout and "未评分" in table.stdout
