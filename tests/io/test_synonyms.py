"""The town's synonyms for categories (issue 10.10): seeded, editable, used by the importer."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import text

from geo.errors import InvalidInput, UnknownCategory
from geo.io import ImportFailed, import_file
from geo.synonyms import add_synonym, list_synonyms, remove_synonym
from service.cli import app
from tests.cli import runner_for

HEADERS = ["类别", "经度", "纬度", "发现日期"]


def _issues(tmp_path, *categories: str):
    path = tmp_path / "issues.csv"
    rows = [(c, 117.195, 39.285, "2024-03-05") for c in categories]
    pd.DataFrame(rows, columns=HEADERS).to_csv(path, index=False)
    return path


def test_seeded_synonyms_from_the_notice(db):
    with db.connect() as conn:
        words = {s.synonym: s.category for s in list_synonyms(conn)}
    assert words["生活垃圾"] == "household_garbage"
    assert words["垃圾乱倒"] == "household_garbage"
    assert words["蜘蛛网"] == "tangled_wires"
    assert words["残垣断壁"] == "idle_homestead"
    assert words["反光膜"] == "agri_waste"


def test_importer_reads_the_town_words(town, tmp_path):
    path = _issues(tmp_path, "垃圾乱倒", "生活垃圾", "蜘蛛网", "空中蜘蛛网", "僵尸车")
    report = import_file(town, "issues", path)
    assert report.inserted == 5
    with town.connect() as conn:
        codes = conn.execute(
            text("SELECT category_code FROM issue ORDER BY code, category_code")
        ).scalars()
        assert sorted(codes) == sorted(
            ["household_garbage"] * 2 + ["tangled_wires"] * 2 + ["zombie_facility"]
        )


def test_a_new_synonym_is_used_by_the_next_import(town, tmp_path):
    path = _issues(tmp_path, "门前脏乱")
    with pytest.raises(ImportFailed) as failed:
        import_file(town, "issues", path)
    assert "unknown category '门前脏乱'" in failed.value.report.errors[0].message
    with town.begin() as conn:
        add_synonym(conn, " 门前脏乱 ", "clutter", actor="test")
    assert import_file(town, "issues", path).inserted == 1
    with town.begin() as conn:
        remove_synonym(conn, "门前脏乱")
        with pytest.raises(Exception, match="no synonym"):
            remove_synonym(conn, "门前脏乱")


def test_a_synonym_can_move_to_another_category_but_never_redefine_a_code(db):
    with db.begin() as conn:
        add_synonym(conn, "杂物", "public_space_clutter", actor="test")
        assert {s.synonym: s.category for s in list_synonyms(conn)}["杂物"] == (
            "public_space_clutter"
        )
        with pytest.raises(UnknownCategory):
            add_synonym(conn, "垃圾", "litter", actor="test")
        with pytest.raises(InvalidInput, match="itself a category code"):
            add_synonym(conn, "weeds", "clutter", actor="test")
        with pytest.raises(InvalidInput, match="empty"):
            add_synonym(conn, "  ", "clutter", actor="test")


def test_cli_adds_and_lists_synonyms(town, fresh_url, tmp_path):
    runner = runner_for(fresh_url)
    added = runner.invoke(app, ["category", "synonym-add", "柴火乱堆", "clutter"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["category", "synonyms", "clutter"])
    assert "柴火乱堆\tclutter" in listed.output and "乱堆乱放\tclutter" in listed.output
    bad = runner.invoke(app, ["category", "synonym-add", "x", "nope"])
    assert bad.exit_code == 1 and "unknown category 'nope'" in bad.output
    result = runner.invoke(app, ["import", "issues", str(_issues(tmp_path, "柴火乱堆"))])
    assert result.exit_code == 0, result.output
    with town.connect() as conn:
        assert conn.execute(text("SELECT category_code FROM issue")).scalar_one() == "clutter"
