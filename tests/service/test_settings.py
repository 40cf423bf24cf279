"""One settings object: read from the environment once, passed down; nothing in geo reads it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from service.app import create_app
from service.cli import app as cli
from service.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]


def test_the_environment_is_read_by_the_one_settings_class(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("TIANDITU_KEY", "abcdef123456")
    monkeypatch.setenv("CUNRONG_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CUNRONG_DUPLICATE_RADIUS_M", "25")
    settings = ServiceSettings()
    assert settings.engine_url() == "postgresql+psycopg://u@h/db"
    assert settings.tianditu_key == "abcdef123456"
    assert settings.photo_dir == tmp_path / "photos"
    assert settings.pgdata == tmp_path / "pgdata"
    assert settings.duplicate_radius_m == 25


def test_without_database_url_the_local_cluster_is_used(tmp_path):
    settings = ServiceSettings(database_url=None, data_dir=tmp_path)
    assert f"host={tmp_path / 'pgdata'}" in settings.engine_url()


def test_outside_development_the_default_secret_is_refused():
    with pytest.raises(ValidationError, match="CUNRONG_SECRET_KEY"):
        ServiceSettings(environment="production")
    assert ServiceSettings(environment="production", secret_key="s3cret-long").secret_key


def test_the_cli_says_in_one_line_when_the_settings_are_invalid(monkeypatch):
    monkeypatch.setenv("CUNRONG_ENVIRONMENT", "production")
    monkeypatch.delenv("CUNRONG_SECRET_KEY", raising=False)
    result = CliRunner().invoke(cli, ["db", "url"])
    assert result.exit_code == 1
    assert "invalid settings" in result.output and "CUNRONG_SECRET_KEY" in result.output


def test_the_cli_uses_the_settings_object_it_is_given(tmp_path):
    settings = ServiceSettings(database_url="postgresql://someone@elsewhere/town")
    result = CliRunner().invoke(cli, ["db", "url"], obj=settings)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "postgresql+psycopg://someone@elsewhere/town"


def test_page_size_comes_from_the_settings(two_villages_url, tmp_path):
    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, max_page_size=3, default_page_size=2
    )
    with TestClient(create_app(settings)) as client:
        default = client.get("/issues")
        assert default.status_code == 200 and len(default.json()["features"]) == 2
        assert default.headers["X-Total-Count"] == "4"
        assert len(client.get("/issues?limit=3").json()["features"]) == 3
        refused = client.get("/issues?limit=4")
    assert refused.status_code == 422
    assert refused.json()["field"] == "limit" and "at most 3" in refused.json()["message"]


def test_the_tianditu_key_reaches_the_map_through_the_settings(two_villages_url, tmp_path):
    keyed = ServiceSettings(database_url=two_villages_url, data_dir=tmp_path, tianditu_key="k" * 32)
    with TestClient(create_app(keyed)) as client:
        page = client.get("/maps/issues?basemap=tianditu")
    assert page.status_code == 200 and "tk=" + "k" * 32 in page.text
    bare = ServiceSettings(database_url=two_villages_url, data_dir=tmp_path, tianditu_key=None)
    with TestClient(create_app(bare)) as client:
        refused = client.get("/maps/issues?basemap=tianditu")
    assert refused.status_code == 422 and "TIANDITU_KEY" in refused.text
    assert refused.headers["content-type"].startswith("text/html")  # a map is a page


def test_nothing_below_service_reads_the_environment_or_global_settings():
    offenders = []
    for path in sorted((ROOT / "geo").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        if re.search(r"os\.environ|getenv\(|get_settings|geo\.settings", source):
            offenders.append(rel)
    assert offenders == []


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`")
        for line in readme.splitlines()
        if line.startswith("| `")
    }
    missing = [name for name in ServiceSettings.model_fields if name not in rows]
    assert missing == []
