"""Reading files: header rows found under titles, encodings, formats refused with a reason."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import InvalidInput
from geo.io.checks import category_vocabulary, parse_dates
from geo.io.read import read_source


def test_csv_in_gbk_is_read_with_a_note(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        "说明:三月台账\n类别,经度,纬度,发现日期\n杂草,117.2,39.28,2024-03-05\n".encode("gbk")
    )
    table = read_source(path, kind="issues")
    assert table.notes and "GBK" in table.notes[0]
    assert list(table.frame["row"]) == [3]
    assert table.frame.loc[0, "category"] == "杂草" and table.label("lon") == "经度"


def test_unsupported_and_missing_files(tmp_path):
    (tmp_path / "a.docx").write_text("x")
    with pytest.raises(InvalidInput, match=r"unsupported file type \.docx"):
        read_source(tmp_path / "a.docx", kind="issues")
    with pytest.raises(InvalidInput, match="file not found"):
        read_source(tmp_path / "none.csv", kind="issues")


def test_dates_in_the_forms_people_write():
    values, bad = parse_dates(
        pd.Series(
            [
                "2024-03-05",
                "2024/3/6",
                "2024.3.7",
                "2024年3月8日",
                "20240309",
                45366,
                pd.Timestamp("2024-03-11"),
                None,
                "3月5日",
                "2024-02-30",
            ],
            dtype=object,
        )
    )
    assert [str(v) for v in values[:7]] == [
        "2024-03-05",
        "2024-03-06",
        "2024-03-07",
        "2024-03-08",
        "2024-03-09",
        "2024-03-15",
        "2024-03-11",
    ]
    assert list(bad) == [False] * 8 + [True, True]


def test_categories_by_code_label_or_part_of_label():
    vocab = category_vocabulary(
        [
            ("clutter", "乱堆乱放(杂物、废弃物、柴草、建材)", "Clutter"),
            ("illegal_structure", "乱搭乱建/临时设施", "Unauthorised shed"),
        ]
    )
    assert vocab.lookup("乱堆乱放") == "clutter"
    assert vocab.lookup("临时设施") == "illegal_structure"
    assert vocab.lookup(" CLUTTER ") == "clutter"
    assert vocab.lookup("垃圾") is None
    assert vocab.suggest("乱搭").startswith("closest known: illegal_structure")
