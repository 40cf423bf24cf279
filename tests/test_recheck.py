"""The recheck list: due issues per village, in walking order from the entrance."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from geo.recheck import recheck_list
from tests.town import add_square_village


@pytest.fixture
def conn(session):
    c = session.connection()
    add_square_village(c)
    c.execute(
        text(
            "INSERT INTO entrance (village_id, name, geom) SELECT id, '西卡口',"
            " ST_SetSRID(ST_MakePoint(117.19, 39.285), 4326) FROM village"
        )
    )
    for code, lon, found, status, closed in (
        ("far", 117.198, "2024-04-03", "submitted", None),
        ("near", 117.192, "2024-04-10", "open", None),
        ("middle", 117.195, "2024-03-20", "inadequate", None),
        ("done", 117.191, "2024-04-02", "closed", "2024-04-20"),
        ("too-new", 117.193, "2024-05-02", "open", None),
    ):
        c.execute(
            text(
                "INSERT INTO issue (code, category_code, geom, village_id, found_on, deadline,"
                " status, closed_on) SELECT :code, 'clutter', ST_SetSRID(ST_MakePoint(:lon,"
                " 39.285), 4326), id, :found, CAST(:found AS date) + 10, :status, :closed"
                " FROM village"
            ),
            {"code": code, "lon": lon, "found": found, "status": status, "closed": closed},
        )
    return c


def test_due_issues_in_walking_order_from_the_entrance(conn):
    (village,) = recheck_list(conn, month=date(2024, 5, 1))
    assert village.village == "W01"
    assert [s.code for s in village.stops] == ["near", "middle", "far"]
    # 0.002°, 0.003°, 0.003° of longitude at 39.285°N ≈ 172 m, 259 m, 259 m (86.2 m per 0.001°)
    assert [s.walk_m for s in village.stops] == [
        pytest.approx(172.4, rel=0.01),
        pytest.approx(258.6, rel=0.01),
        pytest.approx(258.6, rel=0.01),
    ]
    # 'near' was due 2024-04-20: 11 days late on 2024-05-01; submitted issues are not late
    assert {s.code: s.days_overdue for s in village.stops} == {"near": 11, "middle": 32, "far": 0}


def test_filter_by_village(conn):
    assert recheck_list(conn, month=date(2024, 5, 1), villages=("E99",)) == []
