"""`cunrong score month|year` on a small CSV scenario, its workbook twin, and bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner, Result

from scoring.sources import read_source
from service.cli.score import app
from tests.cli import runner_for

# Five villages; V05 (中村) is never scored.
SCENARIO = {
    "villages": [
        ["code", "name", "community"],
        ["V01", "东村", "东片共同体"],
        ["V02", "西村", "西片共同体"],
        ["V03", "南村", "西片共同体"],
        ["V04", "北村", "东片共同体"],
        ["V05", "中村", "东片共同体"],
    ],
    "observation_scores": [
        ["month", "village", "group", "score"],
        ["2024-03", "V01", "第一组", "90"],
        ["2024-03", "V01", "第二组", "80"],
        ["2024-03", "V02", "第一组", "70"],
        ["2024-03", "V03", "第一组", "75"],
        ["2024-03", "V04", "第一组", "60"],
        ["2024-04", "V01", "第一组", "88"],
        ["2024-04", "V02", "第一组", "72"],
        ["2024-04", "V04", "第一组", "65"],
    ],
    "third_party": [
        ["village", "evaluated", "problems_found", "problems_unrectified"],
        ["V01", "true", "6", "0"],
        ["V02", "true", "10", "1"],
        ["V03", "false", "", ""],
    ],
    "honors": [
        ["village", "date", "kind"],
        ["V02", "2024-05-01", "model_village"],
        ["V02", "2024-07-01", "county_site_visit"],
        ["V04", "2024-08-08", "county_site_visit"],
    ],
}
# Worked by hand (docs/rules.md, default rules):
# M1  March: V01 (90 + 80) / 2 = 85, V02 70, V03 75, V04 60. April: V01 88, V02 72, V04 65.
# M3  Four (then three) villages ranked: fewer than 10, so every ranked village is bottom ten.
# M4  March: V01, V02, V03, V04 −3 each (分管领导). April: V01, V02, V04 were bottom ten in
#     March too → −5 each (镇主要领导). V03 is not scored in April → nothing.
# T1  V01: 0.1 × (8 − 6) − 0.5 × 0 = 0.2. V02: 0.1 × (8 − 10) − 0.5 × 1 = −0.2 − 0.5 = −0.7.
# T2  V03 (evaluated = false), V04, V05 (absent): (0.2 − 0.7) / 2 = −0.25.
# M5  V02 two honors → +5 once; V04 +5.
# Y1  V01 (85 + 88) / 2 = 86.5; V02 (70 + 72) / 2 = 71; V03 75; V04 (60 + 65) / 2 = 62.5.
# Y2  V01 86.5 + 0.2 − 8 = 78.7;  V02 71 − 0.7 + 5 − 8 = 67.3;
#     V03 75 − 0.25 − 3 = 71.75;  V04 62.5 − 0.25 + 5 − 8 = 59.25;  V05 none.
# Y3  V01 1, V03 2, V02 3, V04 4. Four ranked villages: all within the top 5 (1500 yuan) and
#     all within the bottom 5 (pay deduction). V05 not ranked.
EXPECTED = {
    "V01": (78.7, 1, 1500, True),
    "V03": (71.75, 2, 1500, True),
    "V02": (67.3, 3, 1500, True),
    "V04": (59.25, 4, 1500, True),
    "V05": (None, None, 0, False),
}


def _write_folder(folder: Path, tables: dict[str, list[list[str]]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    return folder


def _write_workbook(path: Path, tables: dict[str, list[list[str]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return _write_folder(tmp_path / "town", SCENARIO)


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


def _ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def test_year_json_shape_and_figures(folder: Path) -> None:
    data = json.loads(_ok(_run("year", "2024", "--from", folder, "--format", "json")))
    assert data["year"] == 2024
    villages = {v["village"]: v for v in data["villages"]}
    assert list(villages) == ["V01", "V03", "V02", "V04", "V05"]
    for code, (total, rank, reward, deduction) in EXPECTED.items():
        village = villages[code]
        assert (village["total"], village["rank"]) == (total, rank)
        assert (village["reward_yuan"], village["pay_deduction"]) == (reward, deduction)
        assert isinstance(village["name"], str)
        for item in village["items"]:
            assert set(item) >= {"rule", "month", "points", "reason"}
            assert isinstance(item["points"], int | float) and item["reason"]
    assert villages["V05"]["note"] == "2024年全年无月度观摩成绩，不参加年底考核排名"
    v02_m4 = [(i["month"], i["points"]) for i in villages["V02"]["items"] if i["rule"] == "M4"]
    assert v02_m4 == [("2024-03", -3), ("2024-04", -5)]
    assert [i["points"] for i in villages["V02"]["items"] if i["rule"] == "M5"] == [5, 0]

    months = {m["month"]: m for m in data["months"]}
    assert list(months) == ["2024-03", "2024-04"]
    april = months["2024-04"]
    # M1a (missing_score = "skip"): V03 and V05 are listed with score null, 未评分.
    assert [(r["village"], r["score"], r["rank"], r["reason"]) for r in april["ranking"]] == [
        ("V01", 88.0, 1, None),
        ("V02", 72.0, 2, None),
        ("V04", 65.0, 3, None),
        ("V03", None, None, "未评分"),
        ("V05", None, None, "未评分"),
    ]
    assert april["warnings"] == [
        "2024年4月未评分 not scored: V03 南村、V05 中村；未计入当月排名、后十名和全年平均分"
        ' — left out of the ranking and the year base (missing_score = "skip")'
    ]
    assert data["warnings"] == months["2024-03"]["warnings"] + april["warnings"]
    for line in april["ranking"][:3]:
        assert set(line) >= {"village", "score", "rank", "bottom_ten", "interview"}
        assert line["bottom_ten"] is True
        assert line["interview"].startswith("镇主要领导约谈村支部书记")
    assert [r["interview"] for r in months["2024-03"]["ranking"]] == [
        "分管领导约谈提醒村支部书记"
    ] * 4 + [None]  # V05, not scored
    assert [v["village"] for v in april["not_scored"]] == ["V03", "V05"]


def test_month_json(folder: Path) -> None:
    data = json.loads(_ok(_run("month", "2024-03", "--from", folder, "--format", "json")))
    assert data["month"] == "2024-03"
    assert [(r["village"], r["score"], r["rank"]) for r in data["ranking"]] == [
        ("V01", 85.0, 1),
        ("V03", 75.0, 2),
        ("V02", 70.0, 3),
        ("V04", 60.0, 4),
        ("V05", None, None),
    ]
    assert [v["village"] for v in data["not_scored"]] == ["V05"]


def test_csv_folder_and_workbook_give_identical_results(folder: Path, tmp_path: Path) -> None:
    book = _write_workbook(tmp_path / "town.xlsx", SCENARIO)
    from_csv = json.loads(_ok(_run("year", "2024", "--from", folder, "--format", "json")))
    from_xlsx = json.loads(_ok(_run("year", "2024", "--from", book, "--format", "json")))
    assert from_csv == from_xlsx
    month_csv = _ok(_run("month", "2024-04", "--from", folder, "--format", "json"))
    month_xlsx = _ok(_run("month", "2024-04", "--from", book, "--format", "json"))
    assert month_csv == month_xlsx


def test_database_source_and_its_export_match_the_files(
    folder: Path, fresh_url: str, tmp_path: Path
) -> None:
    # The same scenario stored in PostGIS gives the same year-end JSON as the CSV files,
    # and `score export` writes files that give it again.
    from sqlalchemy import create_engine, text

    from geo.assessment import (
        ScoreRecord,
        ThirdPartyRecord,
        add_honor,
        save_scores,
        save_third_party,
    )
    from tests.town import add_square_village

    data = read_source(folder)
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        for n, village in enumerate(data.villages):
            add_square_village(
                conn, village.code, village.name, west=117.19 + n / 100, east=117.20 + n / 100
            )
            conn.execute(
                text("INSERT INTO community (code, name) VALUES (:c, :c) ON CONFLICT DO NOTHING"),
                {"c": village.community},
            )
            conn.execute(
                text(
                    "UPDATE village SET community_id = (SELECT id FROM community WHERE code = :c)"
                    " WHERE code = :v"
                ),
                {"c": village.community, "v": village.code},
            )
        save_scores(
            conn,
            [ScoreRecord(s.month, s.village, s.group, s.score) for s in data.observation_scores],
            actor="t",
        )
        save_third_party(
            conn,
            2024,
            [
                ThirdPartyRecord(t.village, t.evaluated, t.problems_found, t.problems_unrectified)
                for t in data.third_party
            ],
        )
        for honor in data.honors:
            add_honor(conn, village=honor.village, awarded_on=honor.date, kind=honor.kind)
    engine.dispose()
    db = runner_for(fresh_url)
    from_db = json.loads(_ok(db.invoke(app, ["year", "2024", "--format", "json"])))
    _ok(db.invoke(app, ["export", "2024", str(tmp_path / "exported")]))
    from_csv = json.loads(_ok(_run("year", "2024", "--from", folder, "--format", "json")))
    from_export = json.loads(
        _ok(_run("year", "2024", "--from", tmp_path / "exported", "--format", "json"))
    )
    assert from_db["villages"] == from_csv["villages"] == from_export["villages"]
    assert from_db["months"] == from_csv["months"]
    assert from_db["year"] == 2024


def test_table_and_xlsx_outputs(folder: Path, tmp_path: Path) -> None:
    table = _ok(_run("year", "2024", "--from", folder))
    assert "年度排名" in table and "东村" in table and "78.7" in table
    target = tmp_path / "result.xlsx"
    _ok(_run("year", "2024", "--from", folder, "--format", "xlsx", "-o", target))
    book = load_workbook(target, read_only=True)
    assert book.sheetnames[0] == "年度排名"
    header = next(book["年度排名"].iter_rows(values_only=True))
    assert str(header[0]).startswith("排名")
    book.close()


def _fails(result: Result, *fragments: str) -> None:
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output


@pytest.mark.parametrize(
    ("table", "row", "edit", "field"),
    [
        ("observation_scores", 3, ["2024-03", "V01", "第二组", "105"], "score"),
        ("observation_scores", 4, ["2024-03", "V99", "第一组", "70"], "village"),
        ("observation_scores", 5, ["2024-3", "V03", "第一组", "75"], "month"),
        ("third_party", 3, ["V02", "true", "-1", "1"], "problems_found"),
        ("third_party", 2, ["V01", "true", "6", "-2"], "problems_unrectified"),
    ],
)
def test_bad_input_names_file_row_and_field(
    tmp_path: Path, table: str, row: int, edit: list[str], field: str
) -> None:
    tables = {name: [list(r) for r in rows] for name, rows in SCENARIO.items()}
    tables[table][row - 1] = edit  # row 1 is the header
    folder = _write_folder(tmp_path / "bad", tables)
    for command in (["year", "2024"], ["month", "2024-03"]):
        result = _run(*command, "--from", folder, "--format", "json")
        _fails(result, f"{table}.csv", f"row {row}", f"'{field}'")
        assert result.stdout == ""


def test_bad_arguments(folder: Path, tmp_path: Path) -> None:
    _fails(_run("month", "2024-13", "--from", folder), "MONTH", "YYYY-MM")
    _fails(_run("month", "2024-06", "--from", folder), "no observation score in 2024-06")
    _fails(_run("year", "2023", "--from", folder), "no observation score in 2023")
    _fails(_run("year", "2024", "--from", tmp_path / "nowhere"), "no such folder or file")
    _fails(_run("year", "2024", "--from", folder, "--format", "xlsx"), "-o FILE.xlsx")


def test_bad_rules_file_names_the_key(folder: Path, tmp_path: Path) -> None:
    default = (Path(__file__).parents[2] / "scoring" / "rules.toml").read_text(encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text(default.replace("streak_penalty = 5", 'streak_penalty = "five"'), "utf-8")
    _fails(_run("year", "2024", "--from", folder, "--rules", rules), "[monthly] streak_penalty")


def test_add_mode_rules_file(folder: Path, tmp_path: Path) -> None:
    # streak_mode = "add": each April streak costs −3 −5 instead of −5, so V01, V02 and V04
    # lose 3 more: V01 78.7 − 3 = 75.7; V02 67.3 − 3 = 64.3; V04 59.25 − 3 = 56.25; V03 71.75.
    default = (Path(__file__).parents[2] / "scoring" / "rules.toml").read_text(encoding="utf-8")
    rules = tmp_path / "rules.toml"
    rules.write_text(default.replace('streak_mode = "replace"', 'streak_mode = "add"'), "utf-8")
    data = json.loads(
        _ok(_run("year", "2024", "--from", folder, "--rules", rules, "--format", "json"))
    )
    totals = {v["village"]: v["total"] for v in data["villages"]}
    assert totals == {"V01": 75.7, "V03": 71.75, "V02": 64.3, "V04": 56.25, "V05": None}
