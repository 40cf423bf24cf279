"""CSV folders and .xlsx workbooks: read, write back, name the file, row and field of an error."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from scoring.errors import SourceError
from scoring.inputs import Honor, ObservationScore, ThirdPartyEvaluation, Village
from scoring.sources import read_source, write_folder, write_workbook

VILLAGES = "code,name,community\nV01,东村,东片共同体\nV02,西村,西片共同体\nV03,南村,西片共同体\n"
SCORES = (
    "month,village,group,score\n"
    "2024-03,V01,第一组,90\n"
    "2024-03,V01,第二组,85.5\n"
    "2024-03,V02,第一组,70\n"
    "2024-04,V02,第一组,\n"  # blank: no score
)
THIRD_PARTY = "village,evaluated,problems_found,problems_unrectified\nV01,true,5,1\nV02,否,,\n"
HONORS = "village,date,kind\nV01,2024-05-10,model_village\n"


def _folder(tmp_path: Path, **replacements: str) -> Path:
    files = {
        "villages": VILLAGES,
        "observation_scores": SCORES,
        "third_party": THIRD_PARTY,
        "honors": HONORS,
    } | replacements
    folder = tmp_path / "town"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def test_read_folder(tmp_path: Path) -> None:
    data = read_source(_folder(tmp_path))
    assert data.villages[0] == Village("V01", "东村", "东片共同体")
    assert data.observation_scores == (
        ObservationScore("2024-03", "V01", "第一组", 90.0),
        ObservationScore("2024-03", "V01", "第二组", 85.5),
        ObservationScore("2024-03", "V02", "第一组", 70.0),
    )
    assert data.third_party == (
        ThirdPartyEvaluation("V01", True, 5, 1),
        ThirdPartyEvaluation("V02", False, 0, 0),
    )
    assert data.honors == (Honor("V01", date(2024, 5, 10), "model_village"),)


def test_optional_tables_may_be_missing(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "third_party.csv").unlink()
    (folder / "honors.csv").unlink()
    data = read_source(folder)
    assert (data.third_party, data.honors) == ((), ())


def test_gbk_csv_from_excel_is_read(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "villages.csv").write_bytes(VILLAGES.encode("gbk"))
    assert read_source(folder).villages[1].name == "西村"


S = "month,village,group,score\n"
T = "village,evaluated,problems_found,problems_unrectified\n"
H = "village,date,kind\n"
V = "code,name,community\n"


@pytest.mark.parametrize(
    ("table", "text", "row", "field"),
    [
        ("observation_scores", S + "2024-03,V01,A,90\n2024-03,V02,A,105\n", 3, "score"),
        ("observation_scores", S + "2024-03,V01,A,-1\n", 2, "score"),
        ("observation_scores", S + "2024-03,V01,A,九十\n", 2, "score"),
        ("observation_scores", S + "2024-03,V09,A,90\n", 2, "village"),
        ("observation_scores", S + "2024-4,V01,A,90\n", 2, "month"),
        ("observation_scores", S + "2024-13,V01,A,90\n", 2, "month"),
        ("observation_scores", S + "2024/04,V01,A,90\n", 2, "month"),
        ("observation_scores", "month,village,group\n2024-03,V01,A\n", 1, "score"),
        ("third_party", T + "V01,true,-2,0\n", 2, "problems_found"),
        ("third_party", T + "V01,true,3,-1\n", 2, "problems_unrectified"),
        ("third_party", T + "V01,true,2.5,0\n", 2, "problems_found"),
        ("third_party", T + "V01,true,,0\n", 2, "problems_found"),
        ("third_party", T + "V01,maybe,2,0\n", 2, "evaluated"),
        ("third_party", T + "V01,true,1,0\nV01,true,1,0\n", 3, "village"),
        ("honors", H + "V01,2024-05-10,model_village\nV07,2024-05-10,x\n", 3, "village"),
        ("honors", H + "V01,2024-5-40,model_village\n", 2, "date"),
        ("villages", V + "V01,东村,东片\nV01,又一个东村,东片\n", 3, "code"),
        ("villages", V + ",东村,东片\n", 2, "code"),
    ],
)
def test_bad_value_names_file_row_and_field(
    tmp_path: Path, table: str, text: str, row: int, field: str
) -> None:
    with pytest.raises(SourceError) as caught:
        read_source(_folder(tmp_path, **{table: text}))
    error = caught.value
    assert (error.row, error.field) == (row, field)
    assert f"{table}.csv" in error.source
    message = str(error)
    assert f"{table}.csv" in message and f"row {row}" in message and f"'{field}'" in message


def test_missing_required_table_is_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "observation_scores.csv").unlink()
    with pytest.raises(SourceError, match="observation_scores"):
        read_source(folder)


def test_missing_source_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such folder or file"):
        read_source(tmp_path / "nowhere")
    (tmp_path / "scores.txt").write_text("x")
    with pytest.raises(SourceError, match=r"expected a folder of CSV files or an \.xlsx"):
        read_source(tmp_path / "scores.txt")


def test_folder_and_workbook_round_trip(tmp_path: Path) -> None:
    data = read_source(_folder(tmp_path))
    write_folder(data, tmp_path / "copy")
    assert read_source(tmp_path / "copy") == data
    write_workbook(data, tmp_path / "copy.xlsx")
    assert read_source(tmp_path / "copy.xlsx") == data


def _workbook(path: Path, scores: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "villages"
    for row in [["code", "name", "community"], [101, "东村", "东片"], [102, "西村", "西片"]]:
        sheet.append(row)
    scores_sheet = book.create_sheet("observation_scores.csv")  # the .csv suffix is accepted
    for row in [["month", "village", "group", "score"], *scores]:
        scores_sheet.append(row)
    book.save(path)
    return path


def test_workbook_typed_cells(tmp_path: Path) -> None:
    # Excel turns "2024-03" into a date and codes into numbers; both are understood.
    path = _workbook(tmp_path / "book.xlsx", [[datetime(2024, 3, 1), 101, "A", 88]])
    data = read_source(path)
    assert [v.code for v in data.villages] == ["101", "102"]
    assert data.observation_scores == (ObservationScore("2024-03", "101", "A", 88.0),)


def test_workbook_error_names_sheet_row_and_field(tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "book.xlsx", [["2024-03", 101, "A", 88], ["2024-03", 102, "A", 101]]
    )
    with pytest.raises(SourceError) as caught:
        read_source(path)
    assert "book.xlsx" in str(caught.value)
    assert "observation_scores" in str(caught.value)
    assert (caught.value.row, caught.value.field) == (3, "score")
