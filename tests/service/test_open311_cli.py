"""`cunrong open311 key add/list/revoke`: a key shown once, stored hashed, usable, revocable."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.app import create_app
from service.cli import app
from service.settings import ServiceSettings
from tests.cli import runner_for

IN_WEST = {"service_code": "weeds", "lat": "39.2855", "long": "117.195"}


def test_a_key_is_shown_once_stored_hashed_works_and_can_be_revoked(two_villages_url, tmp_path):
    runner = runner_for(two_villages_url)
    added = runner.invoke(app, ["open311", "key", "add", "区12345热线", "--note", "区政务服务中心"])
    assert added.exit_code == 0, added.output
    key = re.search(r"api_key: (\S+)", added.output)[1]
    engine = create_engine(two_villages_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash, note FROM open311_client")).one()
    engine.dispose()
    assert key not in stored.key_hash and len(stored.key_hash) == 64
    assert stored.note == "区政务服务中心"
    again = runner.invoke(app, ["open311", "key", "add", "区12345热线"])
    assert again.exit_code == 1 and "exists already" in again.output

    settings = ServiceSettings(database_url=two_villages_url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        posted = client.post("/open311/v2/requests.json", data={"api_key": key, **IN_WEST})
        assert posted.status_code == 200, posted.text
        listed = runner.invoke(app, ["open311", "key", "list"])
        assert re.search(r"区12345热线\s+\d+\s+active\s+1 requests", listed.output)
        assert key not in listed.output
        assert runner.invoke(app, ["open311", "key", "revoke", "区12345热线"]).exit_code == 0
        refused = client.post("/open311/v2/requests.json", data={"api_key": key, **IN_WEST})
        assert refused.status_code == 403
    assert "revoked" in runner.invoke(app, ["open311", "key", "list"]).output
    unknown = runner.invoke(app, ["open311", "key", "revoke", "nobody"])
    assert unknown.exit_code == 1 and "no Open311 client named 'nobody'" in unknown.output
