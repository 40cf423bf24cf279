"""A small hand-made town for API tests: two square villages near 117.2 E, 39.29 N."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.app import create_app
from service.settings import ServiceSettings

WEST = "MULTIPOLYGON(((117.19 39.28,117.20 39.28,117.20 39.29,117.19 39.29,117.19 39.28)))"
EAST = "MULTIPOLYGON(((117.20 39.28,117.21 39.28,117.21 39.29,117.20 39.29,117.20 39.28)))"


@pytest.fixture
def two_villages_url(fresh_url: str) -> str:
    """A database with villages W01 (west) and E01 (east) and four issues."""
    engine = create_engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO community (code, name) VALUES ('C1', '一号共同体')"))
        for code, name, wkt in (("W01", "西村", WEST), ("E01", "东村", EAST)):
            conn.execute(
                text(
                    "INSERT INTO village (code, name, community_id, geom) VALUES"
                    " (:c, :n, (SELECT id FROM community), ST_GeomFromText(:w, 4326))"
                ),
                {"c": code, "n": name, "w": wkt},
            )
        issues = [
            ("I1", "clutter", 117.195, 39.285, "2024-03-05", "open", None),
            ("I2", "weeds", 117.196, 39.286, "2024-04-02", "closed", "2024-04-20"),
            ("I3", "clutter", 117.205, 39.285, "2024-03-09", "open", None),
            ("I4", "tangled_wires", 117.206, 39.286, "2024-03-15", "submitted", None),
        ]
        for code, cat, lon, lat, found, status, closed in issues:
            conn.execute(
                text(
                    "INSERT INTO issue (id, code, category_code, description, geom, source,"
                    " found_on, deadline, status, closed_on, version) VALUES (gen_random_uuid(),"
                    " :code, :cat, '<b>desc</b>', ST_SetSRID(ST_MakePoint(:lon, :lat), 4326),"
                    " 'inspection', :found, CAST(:found AS date) + 10, :status, :closed, 1)"
                ),
                dict(
                    code=code, cat=cat, lon=lon, lat=lat, found=found, status=status, closed=closed
                ),
            )
        from geo.assign import assign_issues

        assign_issues(conn)
    engine.dispose()
    return fresh_url


@pytest.fixture
def client(two_villages_url: str, tmp_path) -> Iterator[TestClient]:
    """An API client on the two-village town (photos stored under tmp_path)."""
    app = create_app(ServiceSettings(database_url=two_villages_url, data_dir=tmp_path))
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def tokens(two_villages_url: str) -> dict[str, dict[str, str]]:
    """Authorization headers of one user per role (the village user belongs to W01)."""
    from geo.users import create_user

    engine = create_engine(two_villages_url)
    headers = {}
    with engine.begin() as conn:
        for name, role, village in (
            ("admin", "admin", None),
            ("inspector", "inspector", None),
            ("west", "village", "W01"),
            ("east", "village", "E01"),
            ("leader", "leader", None),
            ("planner", "planner", None),
        ):
            _, token = create_user(conn, name=name, role=role, village_code=village)
            headers[name] = {"Authorization": f"Bearer {token}"}
    engine.dispose()
    return headers


@pytest.fixture(scope="session")
def password_hashes() -> dict[str, str]:
    """argon2 hashes of tests.service.signin.PASSWORDS, made once per run (each takes ~0.5 s)."""
    from geo.passwords import hash_password
    from tests.service.signin import PASSWORDS

    return {name: hash_password(password) for name, password in PASSWORDS.items()}


@pytest.fixture
def people(two_villages_url: str, password_hashes: dict[str, str]) -> dict[str, str]:
    """One user per role with a sign-in password (tests.service.signin.PASSWORDS); the
    village user `west` belongs to W01, `east` to E01. Returns name → role."""
    from geo.users import create_user

    roles = {
        "admin": ("admin", None),
        "inspector": ("inspector", None),
        "west": ("village", "W01"),
        "east": ("village", "E01"),
        "leader": ("leader", None),
        "planner": ("planner", None),
    }
    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        for name, (role, village) in roles.items():
            create_user(conn, name=name, role=role, village_code=village)
            conn.execute(
                text("UPDATE app_user SET password_hash = :h WHERE name = :n"),
                {"h": password_hashes[name], "n": name},
            )
    engine.dispose()
    return {name: role for name, (role, _) in roles.items()}
