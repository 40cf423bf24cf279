"""`cunrong sample generate|load` from the command line."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from geo.sample.files import read_csv
from geo.sample.generate import FILES
from service.cli import app
from tests.cli import runner_for


def _villages(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM village")).scalar_one()
    engine.dispose()
    return count


def test_generate_writes_every_file_and_the_seed_matters(tmp_path: Path, generated: Path) -> None:
    result = CliRunner().invoke(app, ["sample", "generate", "--out", str(tmp_path), "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "44 villages" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    assert (tmp_path / "issues.csv").read_bytes() != (generated / "issues.csv").read_bytes()


def test_load_into_an_empty_database_then_if_empty_does_nothing(
    fresh_url: str,
) -> None:
    runner = runner_for(fresh_url)
    result = runner.invoke(app, ["sample", "load", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "44 villages" in result.output and "synthetic" in result.output
    assert _villages(fresh_url) == 44
    again = runner.invoke(app, ["sample", "load", "--if-empty"])
    assert again.exit_code == 0 and "sample not loaded" in again.output
    refused = runner.invoke(app, ["sample", "load"])
    assert refused.exit_code == 1 and "already holds 44 villages" in refused.output
    assert _villages(fresh_url) == 44


def test_load_from_a_folder_missing_files_fails_and_loads_nothing(
    fresh_url: str, tmp_path: Path
) -> None:
    (tmp_path / "villages.csv").write_text("code,name,community\n", encoding="utf-8")
    result = runner_for(fresh_url).invoke(app, ["sample", "load", "--folder", str(tmp_path)])
    assert result.exit_code == 1
    assert "issues.csv" in result.output and "cunrong sample generate" in result.output
    assert _villages(fresh_url) == 0


def test_an_issue_far_outside_the_town_rolls_the_whole_load_back(
    fresh_url: str, tmp_path: Path, committed: Path
) -> None:
    for name in FILES:
        (tmp_path / name).write_bytes((committed / name).read_bytes())
    rows = read_csv(committed / "issues.csv")
    rows[-1]["lon"] = "116.9"  # about 25 km west of the town
    with (tmp_path / "issues.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    result = runner_for(fresh_url).invoke(app, ["sample", "load", "--folder", str(tmp_path)])
    assert result.exit_code == 1
    assert "1 sample issues lie outside every village" in result.output
    assert _villages(fresh_url) == 0


def test_an_unmigrated_database_gets_a_hint(pg_server) -> None:
    name = pg_server.create()
    try:
        runner = runner_for(pg_server.url_of(name))
        for args in (["sample", "load", "--if-empty"], ["sample", "load"]):
            result = runner.invoke(app, args)
            assert result.exit_code == 1
            assert "cunrong db upgrade" in result.output
    finally:
        pg_server.drop(name)
