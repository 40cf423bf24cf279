"""The schema enforces what the design promises: SRIDs, statuses, valid boundaries, FKs."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from geo.categories import CATEGORIES


def test_categories_seeded_with_both_labels(session):
    rows = session.execute(text("SELECT code, label_zh, label_en FROM category")).all()
    assert {r.code for r in rows} == {c.code for c in CATEGORIES}
    assert all(r.label_zh and r.label_en for r in rows)


def test_every_geometry_column_has_a_gist_index(session):
    cols = session.execute(
        text("SELECT f_table_name, f_geometry_column, srid FROM geometry_columns")
    ).all()
    assert cols, "no geometry columns"
    assert {c.srid for c in cols} == {4326}
    indexed = {
        (r.tablename, r.col)
        for r in session.execute(
            text(
                "SELECT tablename, substring(indexdef from '\\((\\w+)\\)') AS col FROM pg_indexes"
                " WHERE indexdef ILIKE '%USING gist%'"
            )
        )
    }
    missing = {(c.f_table_name, c.f_geometry_column) for c in cols} - indexed
    assert not missing


def test_wrong_srid_is_refused(session):
    with pytest.raises(DBAPIError, match="SRID"):
        session.execute(
            text(
                "INSERT INTO village (code, name, geom) VALUES "
                "('X', 'x', ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))', 3857))"
            )
        )


def test_self_intersecting_boundary_is_refused(session):
    bowtie = "MULTIPOLYGON(((117.2 39.3,117.21 39.31,117.21 39.3,117.2 39.31,117.2 39.3)))"
    with pytest.raises(IntegrityError, match="geom_valid"):
        session.execute(
            text(
                "INSERT INTO village (code, name, geom) "
                "VALUES ('X', 'x', ST_GeomFromText(:w, 4326))"
            ),
            {"w": bowtie},
        )


def test_unknown_status_and_category_are_refused(session):
    base = (
        "INSERT INTO issue (id, code, category_code, description, geom, source, found_on,"
        " status, version) VALUES (gen_random_uuid(), :code, :cat, '',"
        " ST_SetSRID(ST_MakePoint(117.2, 39.3), 4326), 'inspection', '2024-03-05', :status, 1)"
    )
    with pytest.raises(IntegrityError, match="status_known"), session.begin_nested():
        session.execute(text(base), {"code": "A", "cat": "clutter", "status": "done"})
    with pytest.raises(IntegrityError, match="category_code_fkey"), session.begin_nested():
        session.execute(text(base), {"code": "B", "cat": "litter", "status": "open"})
