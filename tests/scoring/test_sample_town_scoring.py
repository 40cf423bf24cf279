"""The sample town's year-end ranking is the same from PostGIS, its export and data/sample/."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from geo.sample.load import sample_folder
from service.cli.score import app
from tests.cli import runner_for


def _json(*args: object, runner: CliRunner | None = None) -> dict:
    result = (runner or CliRunner()).invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_year_end_from_database_export_and_files_agree(sample_url: str, tmp_path: Path) -> None:
    db = runner_for(sample_url)
    from_db = _json("year", "2024", "--format", "json", runner=db)
    db.invoke(app, ["export", "2024", str(tmp_path / "exported")])
    month = _json("month", "2024-09", "--format", "json", runner=db)
    from_export = _json("year", "2024", "--from", tmp_path / "exported", "--format", "json")
    from_files = _json("year", "2024", "--from", sample_folder(), "--format", "json")
    assert from_db["villages"] == from_export["villages"] == from_files["villages"]
    assert from_db["months"] == from_files["months"]
    ranked = [v for v in from_db["villages"] if v["rank"] is not None]
    assert len(ranked) == 44
    # Y3: at least 5 rewarded and 5 flagged (ties included), 1500 yuan each
    assert sum(v["reward_yuan"] == 1500 for v in ranked) >= 5
    assert sum(v["pay_deduction"] for v in ranked) >= 5
    # 2024-08 has no scores, so September's bottom ten start a new streak: −3 each (M4)
    september = {r["village"] for r in month["ranking"] if r["bottom_ten"]}
    assert len(september) >= 10
    for village in from_db["villages"]:
        if village["village"] in september:
            items = [i for i in village["items"] if i["rule"] == "M4" and i["month"] == "2024-09"]
            assert [i["points"] for i in items] == [-3]
