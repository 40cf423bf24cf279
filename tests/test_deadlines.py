"""The rectification deadline from the rules (issue 12.3): next_round or a number of days,
the same for the API's create, the importer and new rounds; overdue follows it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from geo.assessment import create_round
from geo.deadlines import deadline_rule
from geo.errors import InvalidInput
from geo.io import import_file
from geo.issue_filter import IssueFilter
from geo.issue_reader import status_counts
from geo.loop import NewIssue, create_issue
from scoring.errors import RulesError
from scoring.rules import load_rules
from tests.town import add_square_village


def _new(found: date, *, lon: float = 117.195, deadline: date | None = None) -> NewIssue:
    return NewIssue(category="clutter", lon=lon, lat=39.285, found_on=found, deadline=deadline)


def _deadline(conn, code: str) -> tuple[date, bool]:
    row = conn.execute(
        text("SELECT deadline, deadline_provisional FROM issue WHERE code = :c"), {"c": code}
    ).one()
    return row.deadline, row.deadline_provisional


def test_next_round_is_the_village_visit_of_the_month_after(session):
    conn = session.connection()
    add_square_village(conn)
    add_square_village(conn, "E01", "东村", west=117.20, east=117.21)
    # June: the 整治办 round starts 06-04, the 执法队 round 06-02 but visits W01 on 06-09
    create_round(conn, month="2024-06", started_on=date(2024, 6, 4))
    enforcement = create_round(conn, month="2024-06", team="执法队", started_on=date(2024, 6, 2))
    conn.execute(
        text(
            "UPDATE round_village SET visited_on = '2024-06-09' WHERE round_id = :r"
            " AND village_id = (SELECT id FROM village WHERE code = 'W01')"
        ),
        {"r": enforcement},
    )
    # a July round only for E01
    create_round(conn, month="2024-07", started_on=date(2024, 7, 3), villages=["E01"])

    may = create_issue(conn, _new(date(2024, 5, 6)), actor="i")
    # W01 in June: 整治办 06-04 (its start) and 执法队 06-09 (the visit): the earliest
    assert _deadline(conn, may.code) == (date(2024, 6, 4), False)
    east = create_issue(conn, _new(date(2024, 6, 20), lon=117.205), actor="i")
    assert _deadline(conn, east.code) == (date(2024, 7, 3), False)
    # W01 found in June: no July round visits W01 → end of July, provisional
    june = create_issue(conn, _new(date(2024, 6, 20)), actor="i")
    assert _deadline(conn, june.code) == (date(2024, 7, 31), True)
    # a deadline given is kept
    given = create_issue(conn, _new(date(2024, 6, 21), deadline=date(2024, 6, 30)), actor="i")
    assert _deadline(conn, given.code) == (date(2024, 6, 30), False)


def test_a_round_created_later_replaces_provisional_deadlines_of_issues_not_closed(session):
    conn = session.connection()
    add_square_village(conn)
    waiting = create_issue(conn, _new(date(2024, 5, 6)), actor="i")
    closed = create_issue(conn, _new(date(2024, 5, 7), lon=117.197), actor="i")
    older = create_issue(conn, _new(date(2024, 4, 9), lon=117.193), actor="i")
    conn.execute(
        text("UPDATE issue SET status = 'closed', closed_on = '2024-05-20' WHERE id = :i"),
        {"i": closed.id},
    )
    assert _deadline(conn, waiting.code) == (date(2024, 6, 30), True)
    assert _deadline(conn, older.code) == (date(2024, 5, 31), True)
    # on 2024-06-15 nothing is overdue yet except the April issue (due 05-31)
    as_of = IssueFilter(as_of=date(2024, 6, 15))
    assert status_counts(conn, as_of)["overdue"] == 1

    create_round(conn, month="2024-06", started_on=date(2024, 6, 12))

    assert _deadline(conn, waiting.code) == (date(2024, 6, 12), False)
    assert _deadline(conn, closed.code) == (date(2024, 6, 30), True)  # closed: history kept
    assert _deadline(conn, older.code) == (date(2024, 5, 31), True)  # May had no round
    # overdue follows the new deadline: the May issue is now late on 06-15 too
    assert status_counts(conn, as_of)["overdue"] == 2


def test_a_number_of_days_from_the_rules(session):
    conn = session.connection()
    add_square_village(conn)
    create_round(conn, month="2024-06", started_on=date(2024, 6, 4))
    created = create_issue(conn, _new(date(2024, 5, 6)), actor="i", deadline=15)
    assert _deadline(conn, created.code) == (date(2024, 5, 21), False)
    assert deadline_rule("10").days == 10 and deadline_rule("next_round").next_round
    with pytest.raises(InvalidInput, match="next_round"):
        deadline_rule("monthly")


def _issue_csv(path: Path) -> Path:
    path.write_text(
        "类别,发现日期,经度,纬度,整改期限\n"
        "clutter,2024-05-06,117.195,39.285,\n"
        "weeds,2024-05-07,117.196,39.286,2024-05-10\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("next_round", (date(2024, 6, 4), False)), (15, (date(2024, 5, 21), False))],
)
def test_imports_use_the_same_rule(session, tmp_path, rule, expected):
    conn = session.connection()
    add_square_village(conn)
    create_round(conn, month="2024-06", started_on=date(2024, 6, 4))
    report = import_file(conn, "issues", _issue_csv(tmp_path / "issues.csv"), deadline=rule)
    assert report.inserted == 2
    rows = {
        r.category_code: (r.deadline, r.deadline_provisional)
        for r in conn.execute(
            text("SELECT category_code, deadline, deadline_provisional FROM issue")
        )
    }
    assert rows == {"clutter": expected, "weeds": (date(2024, 5, 10), False)}


def test_the_rules_file_carries_the_deadline_and_the_cutoff(tmp_path):
    default = load_rules()
    assert (default.loop.deadline, default.third_party.cutoff) == ("next_round", "12-31")
    source = (Path(__file__).parents[1] / "scoring" / "rules.toml").read_text(encoding="utf-8")
    days = tmp_path / "days.toml"
    days.write_text(source.replace('deadline = "next_round"', "deadline = 15"), encoding="utf-8")
    assert load_rules(days).loop.deadline == 15
    # both keys are optional: a file without them gets the defaults
    bare = tmp_path / "bare.toml"
    bare.write_text(
        source.replace('deadline = "next_round"', "")
        .replace("[closed_loop]", "")
        .replace('cutoff = "12-31"', ""),
        encoding="utf-8",
    )
    assert (load_rules(bare).loop.deadline, load_rules(bare).third_party.cutoff) == (
        "next_round",
        "12-31",
    )
    assert load_rules(bare).third_party.cutoff_date(2023) == date(2023, 12, 31)
    for bad, key in (
        ('deadline = "weekly"', "[closed_loop] deadline"),
        ("deadline = -3", "[closed_loop] deadline"),
    ):
        wrong = tmp_path / "wrong.toml"
        wrong.write_text(source.replace('deadline = "next_round"', bad), encoding="utf-8")
        with pytest.raises(RulesError, match=key.replace("[", r"\[").replace("]", r"\]")):
            load_rules(wrong)
    wrong = tmp_path / "cutoff.toml"
    wrong.write_text(source.replace('cutoff = "12-31"', 'cutoff = "12-32"'), encoding="utf-8")
    with pytest.raises(RulesError, match="MM-DD"):
        load_rules(wrong)
