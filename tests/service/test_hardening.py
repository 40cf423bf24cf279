"""Errors in one shape with a field and a request id, logs as JSON lines, security headers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.logs import json_handler
from service.settings import ServiceSettings


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the `cunrong` loggers write during the test (JSON lines)."""
    stream = io.StringIO()
    handler = json_handler(stream)
    logger = logging.getLogger("cunrong")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


EDGE_MONTHS = ("0000-01", "9999-12", "1999-12", "2101-01")


@pytest.mark.parametrize("month", EDGE_MONTHS)
@pytest.mark.parametrize(
    "path",
    [
        "/issues?month={m}",
        "/maps/issues?month={m}",
        "/maps/status?month={m}",
        "/maps/hotspots?month={m}",
        "/maps/ranking?month={m}",
        "/rankings/month/{m}",
        "/recheck?month={m}",
        "/?month={m}",
    ],
)
def test_edge_months_are_422_naming_the_month(client, tokens, path, month):
    from service.web import is_page_path

    response = client.get(path.format(m=month), headers=tokens["admin"])
    assert response.status_code == 422, response.text
    if is_page_path(path.split("?")[0]):  # a page: the error page names it for people
        assert response.headers["content-type"].startswith("text/html")
        assert "month" in response.text and "2000-01" in response.text
        return
    body = response.json()
    assert body["field"] == "month" and "2000-01" in body["message"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/issues?as_of=9999-12-31", "as_of"),
        ("/indicators?end=2101-01-01", "end"),
        ("/indicators?start=1900-01-01", "start"),
        ("/rankings/year/99999999999999999999", "year"),
        ("/issues?offset=99999999999999999999", "offset"),
        ("/issues?village=W%0001", "village"),
        ("/issues?limit=0", "limit"),
    ],
)
def test_every_bad_parameter_is_a_422_naming_it(client, tokens, path, field):
    response = client.get(path, headers=tokens["admin"])
    assert response.status_code == 422, response.text
    if path.startswith("/maps/"):  # a map is a page: an error page naming the parameter
        assert response.headers["content-type"].startswith("text/html")
        assert field in response.text and 'id="error"' in response.text
        return
    assert response.json()["field"] == field
    assert response.json()["error"] == "invalid_input"


def test_bad_bodies_are_422_naming_the_field(client, tokens):
    post = {"category": "clutter", "lon": 117.195, "lat": 39.285}
    cases = [
        (post | {"description": "门口\x00堆放"}, "description"),
        (post | {"round_id": 2**40}, "round_id"),
        (post | {"found_on": "0001-01-01"}, "found_on"),
        (post | {"address": "x" * 401}, "address"),
    ]
    for body, field in cases:
        response = client.post("/issues", json=body, headers=tokens["inspector"])
        assert response.status_code == 422, (field, response.text)
        assert response.json()["field"] == field
    long_note = {"month": "2024-05", "note": "很长" * 3000}
    response = client.post("/rounds", json=long_note, headers=tokens["admin"])
    assert response.status_code == 422 and response.json()["field"] == "note"
    assert client.get("/issues").headers["X-Total-Count"] == "4"  # nothing was stored


@pytest.mark.parametrize(
    "raw",
    [b'{"category": "clutter",', b"\xff\xfe not json", b"[1, 2", b""],
)
def test_bad_json_is_a_422_like_the_rest(client, tokens, raw):
    headers = tokens["inspector"] | {"Content-Type": "application/json"}
    response = client.post("/issues", content=raw, headers=headers)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "invalid_input" and body["field"] == "body"


def test_request_id_on_every_response_and_in_errors(client):
    ok = client.get("/health")
    assert len(ok.headers["X-Request-ID"]) >= 8
    missing = client.get("/issues/not-a-uuid")
    assert missing.status_code == 422
    assert missing.json()["request_id"] == missing.headers["X-Request-ID"]
    mine = client.get("/villages", headers={"X-Request-ID": "field-team-0042"})
    assert mine.headers["X-Request-ID"] == "field-team-0042"
    odd = client.get("/villages", headers={"X-Request-ID": "<script>"})
    assert odd.headers["X-Request-ID"] != "<script>"


def test_an_unexpected_error_is_a_logged_500_in_the_same_shape(
    two_villages_url, tmp_path, log_lines
):
    app = create_app(ServiceSettings(database_url=two_villages_url, data_dir=tmp_path))

    def broken() -> dict[str, str]:
        raise RuntimeError("something nobody expected")

    app.add_api_route("/broken", broken)
    with TestClient(app) as client:
        response = client.get("/broken")
        assert client.get("/health").status_code == 200  # the service goes on
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "internal_error" and body["field"] is None
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert "something nobody expected" not in body["message"]  # no internals leak
    lines = _lines(log_lines)
    failure = next(line for line in lines if line["logger"] == "cunrong.errors")
    assert failure["request_id"] == body["request_id"] and failure["level"] == "ERROR"
    assert "RuntimeError: something nobody expected" in failure["exc_info"]
    access = next(line for line in lines if line["logger"] == "cunrong.access")
    assert access["status"] == 500 and access["request_id"] == body["request_id"]


def test_access_lines_name_user_route_status_and_never_the_token(client, tokens, log_lines):
    token = tokens["inspector"]["Authorization"].split()[1]
    client.get("/issues?village=W01&month=2024-03", headers=tokens["inspector"])
    client.get("/issues/00000000-0000-0000-0000-000000000000", headers=tokens["inspector"])
    lines = _lines(log_lines)
    assert token not in log_lines.getvalue()
    assert "2024-03" not in log_lines.getvalue()  # the query string is not logged
    listed, missing = (line for line in lines if line["logger"] == "cunrong.access")
    assert listed["user"] == "inspector" and listed["role"] == "inspector"
    assert (listed["method"], listed["route"], listed["status"]) == ("GET", "/issues", 200)
    assert missing["route"] == "/issues/{issue_id}" and missing["status"] == 404
    assert isinstance(listed["duration_ms"], float) and listed["time"]


def test_pages_carry_security_headers_and_a_csp_naming_the_tile_hosts(client):
    page = client.get("/maps/issues?basemap=plain")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert "https://tile.openstreetmap.org" in directives["img-src"]
    assert "tianditu" not in csp  # no key configured: no 天地图 host
    remote = {
        source
        for value in directives.values()
        for source in value.split()
        if source.startswith("http")
    }
    assert remote == set(directives["img-src"].split()) - {"'self'", "data:", "blob:"}
    assert directives["frame-ancestors"] == "'self'" and directives["object-src"] == "'none'"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    api = client.get("/villages")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in api.headers


def test_openapi_shows_the_shapes(client):
    spec = client.get("/openapi.json").json()
    operations = [
        (path, method, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "delete", "patch")
    ]
    untyped = []
    for path, method, op in operations:
        ok = next((op["responses"][s] for s in ("200", "201") if s in op["responses"]), None)
        for media, content in (ok or {}).get("content", {}).items():
            schema = content.get("schema") or {}
            if media.endswith("json") and (not schema or schema.get("additionalProperties")):
                untyped.append(f"{method.upper()} {path}")  # no shape, or a bare dict
        assert {"422", "503"} <= set(op["responses"]), (method, path)
    assert untyped == []
    assert len(operations) >= 35  # every JSON, GeoJSON, file and map route of the API
    basemap = next(
        p for p in spec["paths"]["/maps/issues"]["get"]["parameters"] if p["name"] == "basemap"
    )
    ref = basemap["schema"]["$ref"].rsplit("/", 1)[1]
    assert spec["components"]["schemas"][ref]["enum"] == [
        "osm",
        "tianditu",
        "tianditu_img",
        "gaode",
        "gaode_img",
        "plain",
    ]
    assert "ErrorBody" in spec["components"]["schemas"]
