"""The one issue reader: count and page from the same filter, page size from the settings."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from geo import frames, issue_reader
from geo.errors import InvalidInput
from geo.issue_filter import IssueFilter
from service.app import create_app
from service.settings import ServiceSettings


@pytest.fixture
def small_pages(two_villages_url: str, tmp_path):
    app = create_app(
        ServiceSettings(database_url=two_villages_url, max_page_size=3, default_page_size=2)
    )
    app.state.photo_root = tmp_path / "photos"
    with TestClient(app) as client:
        yield client


def test_the_page_size_limit_comes_from_the_settings(small_pages):
    page = small_pages.get("/issues")
    assert page.status_code == 200
    assert len(page.json()["features"]) == 2 and page.headers["x-total-count"] == "4"
    assert len(small_pages.get("/issues?limit=3").json()["features"]) == 3
    too_big = small_pages.get("/issues?limit=4")
    assert too_big.status_code == 422
    assert too_big.json()["field"] == "limit" and "3" in too_big.json()["message"]


def test_geojson_frame_and_counts_read_the_same_issues(two_villages_url):
    engine = create_engine(two_villages_url)
    selection = IssueFilter(villages=("W01",))
    with engine.connect() as conn:
        query = issue_reader.IssueQuery(selection=selection, sort=("-found_on", "code"))
        text_, total = issue_reader.geojson(conn, query, max_page_size=None)
        frame = issue_reader.frame(conn, query)
        counts = issue_reader.status_counts(conn, selection)
        maps = frames.issues_frame(conn, selection)
        one = issue_reader.feature(conn, frame["id"].iloc[0])
        missing = issue_reader.feature(conn, uuid.uuid4())
        with pytest.raises(InvalidInput) as bad_sort:
            issue_reader.frame(conn, issue_reader.IssueQuery(sort=("geom",)))
    engine.dispose()
    codes = [f["properties"]["code"] for f in json.loads(text_)["features"]]
    assert codes == ["I2", "I1"] == list(frame["code"])
    assert total == counts["issues"] == 2 and sorted(maps["code"]) == ["I1", "I2"]
    assert frame.crs.to_epsg() == 4326 and frame.geometry.iloc[0].geom_type == "Point"
    assert one is not None and one["properties"]["code"] == "I2" and missing is None
    assert bad_sort.value.field == "sortby"
