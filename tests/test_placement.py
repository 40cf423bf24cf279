"""One placement rule: recording over the API, importing a file and re-assigning agree.

The same awkward points go through the three paths (geo.loop.create_issue → locate,
import_file → place_staged_issues, assign_issues) and must land in the same village and
grid, with the same flag, or be refused by all.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Connection, text

from geo.assign import assign_issues
from geo.errors import OutsideTown
from geo.io import ImportFailed, import_file
from geo.loop import Detection, NewIssue, create_issue

# Two 0.01° squares sharing the edge lon = 117.20. E01 is inserted first, so it has the
# LOWER id although its code sorts after W01: the tie-break is the id, not the code.
SQUARE = "MULTIPOLYGON((({w} 39.28,{e} 39.28,{e} 39.29,{w} 39.29,{w} 39.28)))"
VILLAGES = (("E01", 117.20, 117.21), ("W01", 117.19, 117.20))
# Grids along the shared edge; E01 has two overlapping ones (the lower id must win).
GRIDS = (
    ("E01-a", "E01", 117.20, 117.203),
    ("E01-b", "E01", 117.20, 117.205),
    ("W01-a", "W01", 117.197, 117.20),
)

POINTS = {
    # name: (lon, lat, expected village, expected grid, flagged?)
    "on-shared-edge": (117.20, 39.285, "E01", "E01-a", False),
    "outside-both-equally": (117.20, 39.2799, "E01", None, True),  # 11 m south of the corner
    "inside-west": (117.1985, 39.285, "W01", "W01-a", False),
    "just-outside-west": (117.1898, 39.285, "W01", None, True),  # 17 m west
    "far-east": (117.211, 39.285, None, None, False),  # 86 m east: beyond 30 m
}
TOLERANCE_M = 30.0


@pytest.fixture
def town(session) -> Connection:
    conn = session.connection()
    for code, west, east in VILLAGES:
        conn.execute(
            text(
                "INSERT INTO village (code, name, geom) VALUES (:c, :c, ST_GeomFromText(:w, 4326))"
            ),
            {"c": code, "w": SQUARE.format(w=west, e=east)},
        )
    for code, village, west, east in GRIDS:
        conn.execute(
            text(
                "INSERT INTO grid (code, village_id, name, geom) SELECT :c, id, :c,"
                " ST_GeomFromText(:w, 4326) FROM village WHERE code = :v"
            ),
            {"c": code, "v": village, "w": SQUARE.format(w=west, e=east)},
        )
    ids = dict(conn.execute(text("SELECT code, id FROM village")).all())
    assert ids["E01"] < ids["W01"]
    return conn


def _placements(conn: Connection, codes: dict[str, str]) -> dict[str, tuple]:
    """name → (village code, grid code, metres outside or None) of the issues with these codes."""
    rows = conn.execute(
        text(
            "SELECT i.code, v.code AS village, g.code AS grid, i.outside_m FROM issue i"
            " LEFT JOIN village v ON v.id = i.village_id LEFT JOIN grid g ON g.id = i.grid_id"
            " WHERE i.code = ANY(:codes)"
        ),
        {"codes": list(codes.values())},
    ).all()
    by_code = {
        r.code: (r.village, r.grid, None if r.outside_m is None else round(r.outside_m, 2))
        for r in rows
    }
    return {name: by_code[code] for name, code in codes.items()}


def _expected(name: str) -> tuple[str | None, str | None, bool]:
    _, _, village, grid, flagged = POINTS[name]
    return (village, grid, flagged)


def test_create_import_and_reassign_place_awkward_points_alike(town, tmp_path):
    placeable = [name for name, p in POINTS.items() if p[2] is not None]

    # 1. recorded over the API (geo.loop.create_issue → geo.assign.locate)
    created = {}
    for name in placeable:
        lon, lat, *_ = POINTS[name]
        issue = create_issue(
            town,
            NewIssue(category="clutter", lon=lon, lat=lat, found_on=date(2024, 3, 1)),
            actor="test",
            detection=Detection(tolerance_m=TOLERANCE_M),
        )
        created[name] = issue.code
    lon, lat, *_ = POINTS["far-east"]
    with pytest.raises(OutsideTown, match=r"86 m outside the town \(nearest village E01"):
        create_issue(
            town,
            NewIssue(category="clutter", lon=lon, lat=lat, found_on=date(2024, 3, 1)),
            actor="test",
            detection=Detection(tolerance_m=TOLERANCE_M),
        )
    by_api = _placements(town, created)

    # 2. imported from a file (import_file → place_staged_issues)
    path = tmp_path / "issues.csv"
    frame = pd.DataFrame(
        [("clutter", POINTS[n][0], POINTS[n][1], f"IMP-{n}", "2024-04-01") for n in placeable],
        columns=["category", "lon", "lat", "code", "found_on"],
    )
    frame.to_csv(path, index=False)
    import_file(town, "issues", path, tolerance_m=TOLERANCE_M)
    by_import = _placements(town, {n: f"IMP-{n}" for n in placeable})
    pd.DataFrame(
        [("clutter", *POINTS["far-east"][:2], "IMP-far", "2024-04-01")], columns=frame.columns
    ).to_csv(path, index=False)
    with pytest.raises(ImportFailed) as refused:
        import_file(town, "issues", path, tolerance_m=TOLERANCE_M)
    assert any(
        p.row == 2 and "86 m outside the town (nearest village E01" in p.message
        for p in refused.value.report.errors
    )

    # 3. re-assigned (assign_issues) after being stored without a village
    for name, (lon, lat, *_) in POINTS.items():
        town.execute(
            text(
                "INSERT INTO issue (id, code, category_code, geom, source, found_on, status,"
                " version) VALUES (gen_random_uuid(), :code, 'clutter',"
                " ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'inspection', '2024-05-01',"
                " 'open', 1)"
            ),
            {"code": f"RE-{name}", "lon": lon, "lat": lat},
        )
    assign_issues(town, tolerance_m=TOLERANCE_M)
    by_reassign = _placements(town, {n: f"RE-{n}" for n in POINTS})

    for name in placeable:
        assert by_api[name] == by_import[name] == by_reassign[name], name
        village, grid, outside_m = by_api[name]
        assert (village, grid, outside_m is not None) == _expected(name), name
    assert by_reassign["far-east"] == (None, None, None)
    assert by_api["outside-both-equally"][2] == pytest.approx(11.1, abs=0.3)
    assert by_api["just-outside-west"][2] == pytest.approx(17.2, abs=0.5)


def test_a_narrower_tolerance_is_honoured_by_every_path(town, tmp_path):
    lon, lat, *_ = POINTS["just-outside-west"]  # 17 m outside W01
    with pytest.raises(OutsideTown, match="GPS tolerance 10 m"):
        create_issue(
            town,
            NewIssue(category="clutter", lon=lon, lat=lat, found_on=date(2024, 3, 1)),
            actor="test",
            detection=Detection(tolerance_m=10.0),
        )
    path = tmp_path / "issues.csv"
    pd.DataFrame(
        [("clutter", lon, lat, "2024-04-01")], columns=["category", "lon", "lat", "found_on"]
    ).to_csv(path, index=False)
    with pytest.raises(ImportFailed, match="GPS tolerance 10 m"):
        import_file(town, "issues", path, tolerance_m=10.0)
    town.execute(
        text(
            "INSERT INTO issue (id, code, category_code, geom, source, found_on, status,"
            " version) VALUES (gen_random_uuid(), 'x', 'clutter',"
            " ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 'inspection', '2024-05-01', 'open', 1)"
        ),
        {"lon": lon, "lat": lat},
    )
    assert assign_issues(town, tolerance_m=10.0).unassigned == 1
    assert assign_issues(town, tolerance_m=30.0).snapped == 1
