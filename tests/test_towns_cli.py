"""`cunrong town add` and `--town` (issue 13.1): a second town beside the first, its villages
imported with --town, its users, its scores; without --town a command names the towns."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from service.cli import app
from tests.cli import runner_for
from tests.io.conftest import village_frame


def test_a_second_town_is_added_and_filled_with_town(fresh_url, tmp_path):
    runner = runner_for(fresh_url)
    added = runner.invoke(app, ["town", "add", "120113901", "二号镇", "--district-name", "北辰区"])
    assert added.exit_code == 0, added.output
    assert "二号镇 (120113901)" in added.output

    first = tmp_path / "a.geojson"
    village_frame(("V01", "V02")).to_file(first, driver="GeoJSON")
    second = tmp_path / "b.geojson"
    village_frame(("V03", "V04"), shift=0.5).to_file(second, driver="GeoJSON")

    # several towns: a command that writes must be told which, and names them
    refused = runner.invoke(app, ["import", "villages", str(first)])
    assert refused.exit_code == 1
    assert "120113108" in refused.output and "120113901" in refused.output

    for path, town in ((first, "120113108"), (second, "120113901")):
        result = runner.invoke(app, ["import", "villages", str(path), "--town", town])
        assert result.exit_code == 0, result.output
    # a village code another town holds is refused, naming the row
    taken = tmp_path / "taken.geojson"
    village_frame(("V03",)).to_file(taken, driver="GeoJSON")
    clash = runner.invoke(app, ["import", "villages", str(taken), "--town", "120113108"])
    assert clash.exit_code == 1 and "V03" in clash.output and "二号镇" in clash.output

    engine = create_engine(fresh_url)
    with engine.connect() as conn:
        towns = dict(
            conn.execute(
                text("SELECT v.code, t.code FROM village v JOIN town t ON t.id = v.town_id")
            ).all()
        )
    assert towns == {
        "V01": "120113108",
        "V02": "120113108",
        "V03": "120113901",
        "V04": "120113901",
    }

    user = runner.invoke(app, ["user", "add", "b-office", "--role", "admin", "--town", "二号镇"])
    assert user.exit_code == 0, user.output
    unknown = runner.invoke(app, ["user", "add", "x", "--role", "admin", "--town", "999999999"])
    assert unknown.exit_code == 1 and "120113901" in unknown.output
    listed = runner.invoke(app, ["town", "list"])
    assert "二号镇" in listed.output and "2 villages" in listed.output

    # scores per town: each town's ranking holds its own villages only
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO observation_score (month, village_id, group_name, score)"
                " SELECT '2024-05-01', id, '一组', 80 + id FROM village"
            )
        )
    engine.dispose()
    for town, villages in (("120113108", {"V01", "V02"}), ("120113901", {"V03", "V04"})):
        out = tmp_path / f"{town}.json"
        scored = runner.invoke(
            app, ["score", "month", "2024-05", "--town", town, "--format", "json", "-o", str(out)]
        )
        assert scored.exit_code == 0, scored.output
        assert {r["village"] for r in json.loads(out.read_text())["ranking"]} == villages
    which = runner.invoke(app, ["score", "month", "2024-05"])
    assert which.exit_code == 1 and "--town" in which.output


def test_a_bad_town_code_is_refused_and_nothing_is_added(fresh_url):
    runner = runner_for(fresh_url)
    for code in ("12011390", "abc", "120113108"):
        args = ["town", "add", code, "某镇", "--district-name", "北辰区"]
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (code, result.output)
    listed = runner.invoke(app, ["town", "list"]).output
    assert listed.count("\n") == 1 and "120113108" in listed
