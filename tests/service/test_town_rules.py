"""A town's rules, one text per year (migration 0022): setting next year's rules leaves a
past year scored as it was; a year without its own is scored by the latest earlier one.

Expected points come from the rules files below, worked by hand: in the notice's "replace"
mode a village in the bottom ten loses `bottom_penalty` for a month, `streak_penalty` for
the second of two months in a row (instead, not in addition).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.errors import InvalidInput
from geo.migrate import alembic_config, upgrade
from geo.towns import rules_text, set_rules, town_by_code
from geo.users import create_user
from service.app import create_app
from service.cli import app as cli
from service.settings import ServiceSettings
from tests.cli import runner_for
from tests.postgis import PostgisServer

DEFAULT = (Path(__file__).parents[2] / "scoring" / "rules.toml").read_text(encoding="utf-8")
SAMPLE_TOWN = "120113108"


def rules_of(year: int, *, bottom: int, streak: int, deadline: str | int = '"next_round"') -> str:
    """The notice's rules file with another year, document and penalties."""
    text_ = (
        DEFAULT.replace("year = 2024 ", f"year = {year} ", 1)
        .replace('document = "张政发〔2024〕10号 四（四）"', f'document = "test {year}"', 1)
        .replace("bottom_penalty = 3", f"bottom_penalty = {bottom}", 1)
        .replace("streak_penalty = 5", f"streak_penalty = {streak}", 1)
        .replace('deadline = "next_round"', f"deadline = {deadline}", 1)
    )
    assert f'document = "test {year}"' in text_ and f"bottom_penalty = {bottom}" in text_
    return text_


def test_each_year_is_scored_by_its_own_rules(sample_url: str, tmp_path: Path) -> None:
    engine = create_engine(sample_url)
    with engine.begin() as conn:
        town = town_by_code(conn, SAMPLE_TOWN)
        assert set_rules(conn, town, rules_of(2024, bottom=3, streak=5)) == (2024, False)
        # next year's rules, set while 2024 is still looked at
        assert set_rules(conn, town, rules_of(2025, bottom=7, streak=9, deadline=15)) == (
            2025,
            False,
        )
        # January 2025 scored as December 2024 was: the same bottom ten, two months in a row
        conn.execute(
            text(
                "INSERT INTO observation_score (month, village_id, group_name, score)"
                " SELECT DATE '2025-01-01', village_id, group_name, score"
                " FROM observation_score WHERE month = DATE '2024-12-01'"
            )
        )
        _, token = create_user(conn, name="办公室", role="admin")
    engine.dispose()
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(ServiceSettings(database_url=sample_url, data_dir=tmp_path))
    with TestClient(app) as client:
        year = client.get("/rankings/year/2024", headers=headers).json()
        assert year["rules"]["year"] == 2024 and year["rules"]["document"] == "test 2024"
        m4 = [i["points"] for v in year["villages"] for i in v["items"] if i["rule"] == "M4"]
        assert set(m4) == {-3.0, -5.0}  # 2024's numbers, not 2025's

        april = client.get("/rankings/month/2024-04", headers=headers).json()
        assert april["rules"]["document"] == "test 2024"

        january = client.get("/rankings/month/2025-01", headers=headers).json()
        assert january["rules"]["year"] == 2025 and january["rules"]["document"] == "test 2025"
        bottom = [r for r in january["ranking"] if r["bottom_ten"]]
        assert len(bottom) >= 10
        assert {r["points"] for r in bottom} == {-9.0}  # each its second month in a row

        # the closed loop's deadline rule is the one in force now (2026: 2025's, 15 days)
        created = client.post(
            "/issues",
            headers=headers,
            json={"category": "clutter", "lon": 117.2330, "lat": 39.3108},
        )
        assert created.status_code == 201, created.text
        issue = client.get(f"/issues/{created.json()['id']}", headers=headers).json()
        found = date.fromisoformat(issue["properties"]["found_on"])
        deadline = date.fromisoformat(issue["properties"]["deadline"])
        assert deadline == found + timedelta(days=15)


def test_which_text_a_year_takes(fresh_url: str) -> None:
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        town = town_by_code(conn, SAMPLE_TOWN)
        assert rules_text(conn, town.id, 2025) is None  # none of its own: the settings' file
        set_rules(conn, town, rules_of(2024, bottom=3, streak=5))
        set_rules(conn, town, rules_of(2027, bottom=4, streak=6))
        picked = {y: rules_text(conn, town.id, y) for y in (2020, 2024, 2026, 2027, 2040)}
        # the SQL function of migration 0022 picks as the statement's subquery does
        assert picked == {
            y: conn.execute(text("SELECT town_rules_for(:t, :y)"), {"t": town.id, "y": y}).scalar()
            for y in picked
        }
        assert ['document = "test 2024"' in (picked[y] or "") for y in (2020, 2024, 2026)] == [
            True
        ] * 3
        assert ['document = "test 2027"' in (picked[y] or "") for y in (2027, 2040)] == [True] * 2
        # setting a year again replaces that year only
        assert set_rules(conn, town, rules_of(2024, bottom=2, streak=5)) == (2024, True)
        assert "bottom_penalty = 2" in (rules_text(conn, town.id, 2025) or "")
        assert "bottom_penalty = 4" in (rules_text(conn, town.id, 2027) or "")
        with pytest.raises(InvalidInput, match="bottom_penalty"):
            set_rules(conn, town, rules_of(2028, bottom=3, streak=5).replace("bottom_penalty", "x"))
        assert 'document = "test 2027"' in (rules_text(conn, town.id, 2028) or "")
    engine.dispose()


def test_the_cli_sets_lists_and_prints_a_years_rules(fresh_url: str, tmp_path: Path) -> None:
    runner = runner_for(fresh_url)
    file_2025 = tmp_path / "2025.toml"
    file_2025.write_text(rules_of(2025, bottom=4, streak=6), encoding="utf-8")
    none = runner.invoke(cli, ["town", "rules", SAMPLE_TOWN])
    assert none.exit_code == 0 and "no rules of its own" in none.output
    added = runner.invoke(cli, ["town", "rules", "大张庄镇", str(file_2025)])
    assert added.exit_code == 0, added.output
    assert "rules of 2025 set for 大张庄镇 (120113108)" in added.output
    again = runner.invoke(cli, ["town", "rules", "大张庄镇", str(file_2025)])
    assert "rules of 2025 replaced" in again.output
    listed = runner.invoke(cli, ["town", "rules", SAMPLE_TOWN])
    assert listed.exit_code == 0 and listed.output.startswith("2025  test 2025  set ")
    printed = runner.invoke(cli, ["town", "rules", SAMPLE_TOWN, "--year", "2026"])
    assert printed.exit_code == 0 and "bottom_penalty = 4" in printed.output
    town_list = runner.invoke(cli, ["town", "list"])
    assert "own rules 2025" in town_list.output

    broken = tmp_path / "broken.toml"
    broken.write_text(rules_of(2026, bottom=4, streak=6).replace("[monthly]", "[monthly"))
    refused = runner.invoke(cli, ["town", "rules", SAMPLE_TOWN, str(broken)])
    assert refused.exit_code == 1 and "not valid TOML" in refused.output
    still = runner.invoke(cli, ["town", "rules", SAMPLE_TOWN])
    assert [line[:4] for line in still.output.splitlines()[:-1]] == ["2025"]


def test_the_migration_keeps_a_towns_rules_under_their_year(pg_server: PostgisServer) -> None:
    from alembic import command

    name = pg_server.create()
    url = pg_server.url_of(name)
    try:
        upgrade(url, "0021")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE town SET rules = :r"), {"r": rules_of(2025, bottom=4, streak=6)}
            )
        upgrade(url)
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT year, rules FROM town_rules")).all()
            assert [(y, 'document = "test 2025"' in r) for y, r in stored] == [(2025, True)]
            columns = conn.execute(
                text("SELECT column_name FROM information_schema.columns WHERE table_name = 'town'")
            ).scalars()
            assert "rules" not in set(columns)
        with engine.begin() as conn:
            set_rules(conn, town_by_code(conn, SAMPLE_TOWN), rules_of(2026, bottom=3, streak=5))
        command.downgrade(alembic_config(url), "0021")
        with engine.connect() as conn:
            back = conn.execute(text("SELECT rules FROM town")).scalar_one()
            assert 'document = "test 2026"' in back  # the latest
        engine.dispose()
    finally:
        pg_server.drop(name)
