"""按期整改 (rectified on time): the village's accepted rectification on or before the deadline.

One village W01, eight issues, all found 2024-03-01 with the deadline 2024-03-20 except
where said; the recheck (closing) comes in April, after every deadline:

- A: submitted 03-15, closed 04-05 (next month's recheck) — on time;
- B: submitted 03-25, closed 04-05 — late;
- C: submitted 03-10, inadequate 04-05, submitted 04-10, closed 05-05 — late (the
  rectification the recheck accepted is the one of 04-10);
- D: submitted 03-12, not rechecked yet (status submitted) — not judged: neither closed
  nor overdue;
- E: imported closed, no events, closed_on 03-18 — on time (judged by closed_on);
- F: no deadline, submitted 04-01, closed 04-05 — on time;
- G: open, deadline passed — overdue;
- H: submitted 03-20 (the deadline day itself), closed 04-05 — on time.

Closed: A B C E F H = 6; on time: A E F H = 4; overdue: G = 1; 按期整改率 = 4 ÷ (6 + 1) = 4/7.
Comparing `closed_on` with the deadline instead would give only E and F (2/7).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, text

from geo import issue_reader
from scoring.indicators import unit_indicators
from service.scoring_data import village_issue_counts
from tests.town import add_square_village

AS_OF = date(2024, 6, 1)

HISTORIES = {  # code → (deadline, status, closed_on, [(event kind, day)])
    "A": ("2024-03-20", "closed", "2024-04-05", [("submitted", "03-15"), ("closed", "04-05")]),
    "B": ("2024-03-20", "closed", "2024-04-05", [("submitted", "03-25"), ("closed", "04-05")]),
    "C": (
        "2024-03-20",
        "closed",
        "2024-05-05",
        [
            ("submitted", "03-10"),
            ("inadequate", "04-05"),
            ("submitted", "04-10"),
            ("closed", "05-05"),
        ],
    ),
    "D": ("2024-03-20", "submitted", None, [("submitted", "03-12")]),
    "E": ("2024-03-20", "closed", "2024-03-18", []),
    "F": (None, "closed", "2024-04-05", [("submitted", "04-01"), ("closed", "04-05")]),
    "G": ("2024-03-20", "open", None, []),
    "H": ("2024-03-20", "closed", "2024-04-05", [("submitted", "03-20"), ("closed", "04-05")]),
}


def test_on_time_is_the_accepted_rectification_by_the_deadline(fresh_url):
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        add_square_village(conn, "W01", "西村")
        conn.execute(text("UPDATE village SET households = 100"))
        for code, (deadline, status, closed_on, events) in HISTORIES.items():
            issue_id = conn.execute(
                text(
                    "INSERT INTO issue (code, category_code, geom, village_id, found_on,"
                    " deadline, status, closed_on) SELECT :code, 'clutter',"
                    " ST_PointOnSurface(v.geom), v.id, '2024-03-01', :deadline, :status,"
                    " :closed FROM village v WHERE v.code = 'W01' RETURNING id"
                ),
                {
                    "code": f"W01-202403-000{code}",
                    "deadline": deadline,
                    "status": status,
                    "closed": closed_on,
                },
            ).scalar_one()
            for kind, day in events:
                conn.execute(
                    text('INSERT INTO issue_event (issue_id, kind, "on") VALUES (:i, :k, :d)'),
                    {"i": issue_id, "k": kind, "d": f"2024-{day}"},
                )
        villages = {c.village: c for c in village_issue_counts(conn, as_of=AS_OF)}
        towns = issue_reader.town_counts(conn, district="120113", start=None, end=None, as_of=AS_OF)
    engine.dispose()

    west = villages["W01"]
    assert (west.closed_on_time, west.overdue, west.by_status["closed"]) == (4, 1, 6)
    assert unit_indicators(west).on_time_rate == pytest.approx(4 / 7)
    # the district view counts the same way (the same SQL)
    (town,) = towns
    assert (town["closed"], town["closed_on_time"], town["overdue"]) == (6, 4, 1)
