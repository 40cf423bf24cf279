"""Open311 GeoReport v2 at /open311/v2, checked against the shapes of the spec's examples
(tests/service/open311_spec.py): services, posting a request with an API key, reading
requests with the status, date and code filters, tokens, and the error lists."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from geo.categories import CATEGORIES
from service.app import create_app
from service.settings import ServiceSettings
from tests.service import open311_spec as spec
from tests.service.test_loop_api import jpeg
from tests.town import second_town

V2 = "/open311/v2"
IN_WEST = {"lat": "39.2855", "long": "117.195"}
SPRING = {"start_date": "2024-03-01T00:00:00+08:00", "end_date": "2024-04-30T23:59:59+08:00"}
"""The two-village town's four issues were found in March and April 2024."""


@pytest.fixture
def api_key(two_villages_url: str) -> str:
    """The API key of the client system 区12345热线."""
    from geo.open311 import create_client

    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        _, key = create_client(conn, name="区12345热线")
    engine.dispose()
    return key


@pytest.fixture
def closed_client(two_villages_url: str, tmp_path) -> Iterator[TestClient]:
    """A client of the same town with anonymous reads off (as in production)."""
    settings = ServiceSettings(
        database_url=two_villages_url, data_dir=tmp_path, anonymous_read=False
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def xml_items(response, kind: str) -> list[dict[str, str | None]]:
    """The items of an XML list document, checking the declaration and the element names."""
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.content)
    root_name, item_name = spec.ROOTS[kind]
    assert root.tag == root_name
    assert all(child.tag == item_name for child in root)
    return [{field.tag: field.text for field in item} for item in root]


def post(client, key: str | None, fmt: str = "json", **fields):
    body = {"service_code": "clutter", "description": "路边堆放建筑垃圾", **IN_WEST, **fields}
    if key is not None:
        body["api_key"] = key
    return client.post(f"{V2}/requests.{fmt}", data=body)


def issue_count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM issue")).scalar_one()
    engine.dispose()
    return int(count)


# --- services -------------------------------------------------------------------------------


def test_service_list_json_is_the_16_categories_in_the_spec_shape(client):
    response = client.get(f"{V2}/services.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    services = response.json()
    assert [s["service_code"] for s in services] == [c.code for c in CATEGORIES]
    assert all(tuple(s) == spec.SERVICE_FIELDS for s in services)
    garbage = services[0]
    assert garbage["service_name"] == "房前屋后生活垃圾/乱倒垃圾"
    assert garbage["metadata"] is False and garbage["type"] == "realtime"
    assert garbage["group"] == "房前屋后"
    assert "Household garbage" in garbage["description"]
    english = client.get(f"{V2}/services.json", params={"lang": "en"}).json()
    assert english[0]["service_name"] == "Household garbage / dumping"


def test_service_list_xml_is_well_formed_with_the_spec_elements(client):
    items = xml_items(client.get(f"{V2}/services.xml"), "services")
    assert len(items) == 16
    assert all(tuple(item) == spec.SERVICE_FIELDS for item in items)
    assert items[0]["metadata"] == "false"


def test_synonyms_are_the_keywords_of_a_service(client, tokens):
    client.post(
        "/categories/synonyms",
        json={"synonym": "蜘蛛网", "category": "tangled_wires"},
        headers=tokens["admin"],
    )
    wires = next(
        s for s in client.get(f"{V2}/services.json").json() if s["service_code"] == "tangled_wires"
    )
    assert "蜘蛛网" in wires["keywords"].split(", ")


def test_service_definition_has_no_attributes_and_an_unknown_code_is_404(client):
    assert client.get(f"{V2}/services/weeds.json").json() == {
        "service_code": "weeds",
        "attributes": [],
    }
    root = ET.fromstring(client.get(f"{V2}/services/weeds.xml").content)
    assert root.tag == "service_definition"
    assert [c.tag for c in root] == ["service_code", "attributes"] and len(root[1]) == 0
    missing = client.get(f"{V2}/services/potholes.json")
    assert missing.status_code == 404
    assert missing.json() == [{"code": 404, "description": missing.json()[0]["description"]}]
    assert "potholes" in missing.json()[0]["description"]


# --- posting a request ----------------------------------------------------------------------


def test_post_with_an_api_key_records_an_open311_issue_and_answers_its_id(
    client, api_key, two_villages_url
):
    response = post(
        client,
        api_key,
        email="li@example.cn",
        first_name="明",
        last_name="李",
        phone="13800000000",
        account_id="A-17",
        address_string="西村村委会东侧",
        media_url="https://hotline.example.cn/m/17.jpg",
    )
    assert response.status_code == 200, response.text
    [answer] = response.json()
    assert set(answer) >= spec.POST_ANSWER_FIELDS
    code = answer["service_request_id"]
    assert code.startswith("W01-") and code.endswith("-0001")
    assert answer["account_id"] == "A-17"
    assert "西村" in answer["service_notice"]
    # the one create path recorded it: source open311, the client as who found it
    engine = create_engine(two_villages_url)
    with engine.connect() as conn:
        issue = conn.execute(
            text("SELECT id, source, found_by, address, status FROM issue WHERE code = :c"),
            {"c": code},
        ).one()
        report = conn.execute(
            text("SELECT email, first_name, phone, media_url FROM open311_report")
        ).one()
        events = conn.execute(
            text("SELECT kind, actor FROM issue_event WHERE issue_id = :i"), {"i": issue.id}
        ).all()
        audit = conn.execute(text("SELECT actor, role, path FROM audit_log")).all()
    engine.dispose()
    assert (issue.source, issue.found_by, issue.status) == ("open311", "区12345热线", "open")
    assert issue.address == "西村村委会东侧"
    assert tuple(report) == (
        "li@example.cn",
        "明",
        "13800000000",
        "https://hotline.example.cn/m/17.jpg",
    )
    assert [tuple(e) for e in events] == [("created", "区12345热线 (open311)")]
    assert [tuple(a) for a in audit] == [("区12345热线", "open311", f"{V2}/requests.json")]
    # the token answers with the id, and is the issue's own id
    assert answer["token"] == str(issue.id)
    token = client.get(f"{V2}/tokens/{answer['token']}.json").json()
    assert token == [{"service_request_id": code, "token": answer["token"]}]
    token_xml = xml_items(client.get(f"{V2}/tokens/{answer['token']}.xml"), "requests")
    assert [tuple(t) for t in token_xml] == [spec.TOKEN_FIELDS]
    # read back: open, at its village, where it was posted, the client's media URL
    [request] = client.get(f"{V2}/requests/{code}.json").json()
    assert tuple(request) == spec.REQUEST_FIELDS
    assert request["status"] == "open" and request["status_notes"] == "整改中 / Open"
    assert request["agency_responsible"] == "西村"
    assert (request["lat"], request["long"]) == (39.2855, 117.195)
    assert request["media_url"] == "https://hotline.example.cn/m/17.jpg"
    assert request["address"] == "西村村委会东侧" and request["service_code"] == "clutter"
    requested = datetime.fromisoformat(request["requested_datetime"])
    assert requested.utcoffset().total_seconds() == 8 * 3600
    assert request["expected_datetime"].endswith("T23:59:59+08:00")
    assert "李" not in response.text + str(request)  # the reporter is never shown


def test_the_spec_example_post_body_as_sent_by_a_client(client, api_key):
    # The spec's example POST, url-encoded by hand (its city's service code and point
    # replaced by ours, its jurisdiction_id by our town's code; the reporter fields as the
    # example has them).
    body = (
        f"api_key={api_key}&jurisdiction_id=120113108&service_code=household_garbage"
        "&lat=39.28612&long=117.19631&address_string=1234+5th+street"
        "&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456&first_name=john"
        "&last_name=smith&phone=111111111&description=A+large+sinkhole+is+destroying+the+street"
        "&media_url=http%3A%2F%2Fcity.gov%2Fmedia%2F5567.jpg"
    )
    response = client.post(
        f"{V2}/requests.xml",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    [answer] = xml_items(response, "requests")
    assert answer["account_id"] == "123456"
    [request] = client.get(
        f"{V2}/requests/{answer['service_request_id']}.json",
        params={"jurisdiction_id": "120113108"},
    ).json()
    assert request["description"] == "A large sinkhole is destroying the street"
    assert request["media_url"] == "http://city.gov/media/5567.jpg"
    assert request["address"] == "1234 5th street" and request["agency_responsible"] == "西村"


def test_post_in_xml_answers_in_the_spec_elements(client, api_key):
    response = post(client, api_key, fmt="xml")
    assert response.status_code == 200, response.text
    [answer] = xml_items(response, "requests")
    assert set(answer) >= spec.POST_ANSWER_FIELDS
    assert answer["service_request_id"].startswith("W01-")
    assert answer["account_id"] is None  # an empty element, as in the spec's example


@pytest.mark.parametrize(
    ("key", "expected"),
    [(None, "api_key is required"), ("not-a-key", "invalid api_key")],
)
def test_missing_or_bad_api_key_is_a_403_error_list_and_nothing_is_stored(
    client, api_key, two_villages_url, key, expected
):
    before = issue_count(two_villages_url)
    response = post(client, key)
    assert response.status_code == 403
    [error] = response.json()
    assert tuple(error) == spec.ERROR_FIELDS and error["code"] == 403
    assert expected in error["description"]
    xml = post(client, key, fmt="xml")
    assert xml.status_code == 403
    assert xml_items(xml, "errors")[0]["code"] == "403"
    assert issue_count(two_villages_url) == before


def test_a_revoked_key_and_a_key_in_the_url_are_refused(client, api_key, two_villages_url):
    in_url = client.post(
        f"{V2}/requests.json",
        params={"api_key": api_key},
        data={"service_code": "weeds", **IN_WEST},
    )
    assert in_url.status_code == 403 and "form body" in in_url.json()[0]["description"]
    from geo.open311 import revoke_client

    engine = create_engine(two_villages_url)
    with engine.begin() as conn:
        revoke_client(conn, "区12345热线")
    engine.dispose()
    assert post(client, api_key).status_code == 403


def test_missing_lat_long_is_400_naming_them_and_nothing_is_stored(
    client, api_key, two_villages_url
):
    before = issue_count(two_villages_url)
    response = client.post(
        f"{V2}/requests.json",
        data={"api_key": api_key, "service_code": "weeds", "address_string": "西村村委会"},
    )
    assert response.status_code == 400
    [error] = response.json()
    assert error["code"] == 400
    assert "lat and long are required" in error["description"]
    assert "address_string" in error["description"]
    xml = client.post(f"{V2}/requests.xml", data={"api_key": api_key, "service_code": "weeds"})
    assert xml.status_code == 400
    assert "lat/long" in xml_items(xml, "errors")[0]["description"]
    assert issue_count(two_villages_url) == before


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"service_code": "potholes"}, "service_code"),
        ({"lat": "north"}, "lat"),
        ({"long": "nan"}, "lat/long"),
        ({"lat": "", "long": " "}, "lat/long"),
        ({"lat": "39.50", "long": "117.50"}, "lat/long"),
        ({"lat": "117.195", "long": "39.2855"}, "lat/long"),
        ({"email": "nobody"}, "email"),
        ({"media_url": "file:///etc/passwd"}, "media_url"),
        ({"description": "很" * 4001}, "description"),
    ],
)
def test_bad_fields_are_400_naming_the_field(client, api_key, two_villages_url, fields, named):
    before = issue_count(two_villages_url)
    response = post(client, api_key, **fields)
    assert response.status_code == 400, response.text
    description = response.json()[0]["description"]
    assert f"'{named}'" in description or description.startswith(f"{named}: ")
    assert issue_count(two_villages_url) == before


# --- reading requests -----------------------------------------------------------------------


def codes(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["service_request_id"] for r in response.json()]


def test_requests_by_date_range_newest_first(client):
    assert codes(client.get(f"{V2}/requests.json", params=SPRING)) == ["I2", "I4", "I3", "I1"]
    march = {"start_date": "2024-03-06", "end_date": "2024-03-31T23:59:59+08:00"}
    assert codes(client.get(f"{V2}/requests.json", params=march)) == ["I4", "I3"]


def test_requests_by_status_map_the_loop_to_open_and_closed(client):
    closed = client.get(f"{V2}/requests.json", params={**SPRING, "status": "closed"}).json()
    assert [(r["service_request_id"], r["status"]) for r in closed] == [("I2", "closed")]
    assert closed[0]["status_notes"] == "已销号 / Closed"
    assert closed[0]["service_notice"] == "已于 2024-04-20 销号 / closed on 2024-04-20"
    still_open = client.get(f"{V2}/requests.json", params={**SPRING, "status": "open"}).json()
    notes = {r["service_request_id"]: r["status_notes"] for r in still_open}
    assert set(notes) == {"I1", "I3", "I4"}
    assert all(r["status"] == "open" for r in still_open)
    assert notes["I4"] == "已整改待复核 / Rectified, awaiting recheck"
    assert notes["I1"] == "整改中（已超期） / Open (overdue)"  # deadline 2024-03-15 passed
    both = client.get(f"{V2}/requests.json", params={**SPRING, "status": "open,closed"})
    assert len(codes(both)) == 4


def test_requests_by_service_code_and_by_ids(client):
    clutter = client.get(f"{V2}/requests.json", params={**SPRING, "service_code": "clutter"})
    assert codes(clutter) == ["I3", "I1"]
    # service_request_id overrides every other parameter (the default 90 days too)
    by_id = client.get(
        f"{V2}/requests.json", params={"service_request_id": "I1,I2", "status": "open"}
    )
    assert sorted(codes(by_id)) == ["I1", "I2"]


def test_by_default_only_the_last_90_days(client, api_key):
    assert codes(client.get(f"{V2}/requests.json")) == []
    posted = post(client, api_key).json()[0]["service_request_id"]
    assert codes(client.get(f"{V2}/requests.json")) == [posted]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-06-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2024-04-01", "end_date": "2024-03-01"}, "start_date"),
        ({"start_date": "last tuesday"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"service_code": "potholes"}, "service_code"),
    ],
)
def test_bad_filters_are_400_error_lists(client, params, named):
    response = client.get(f"{V2}/requests.json", params=params)
    assert response.status_code == 400
    assert f"'{named}'" in response.json()[0]["description"]


def test_requests_xml_is_well_formed_with_the_spec_elements(client):
    items = xml_items(client.get(f"{V2}/requests.xml", params=SPRING), "requests")
    assert [tuple(i) for i in items] == [spec.REQUEST_FIELDS] * 4
    i1 = next(i for i in items if i["service_request_id"] == "I1")
    assert i1["description"] == "<b>desc</b>"  # escaped in the document, text again when parsed
    assert i1["agency_responsible"] == "西村"
    assert i1["expected_datetime"] == "2024-03-15T23:59:59+08:00"
    assert i1["requested_datetime"] == "2024-03-05T00:00:00+08:00"
    assert i1["zipcode"] is None and i1["media_url"] is None
    assert float(i1["lat"]) == 39.285 and float(i1["long"]) == 117.195


def test_an_unknown_request_token_or_format_is_an_error_list(client):
    assert client.get(f"{V2}/requests/NOPE.json").status_code == 404
    assert client.get(f"{V2}/tokens/{uuid.uuid4()}.json").status_code == 404
    assert client.get(f"{V2}/tokens/12345.xml").status_code == 404
    wrong = client.get(f"{V2}/services.csv")
    assert wrong.status_code == 400 and "json or xml" in wrong.json()[0]["description"]
    nowhere = client.get(f"{V2}/nothing.xml")
    assert nowhere.status_code == 404 and xml_items(nowhere, "errors")[0]["code"] == "404"


def test_the_photo_of_an_issue_is_its_media_url_without_exif(client, api_key, tokens):
    answer = post(client, api_key).json()[0]
    photo = client.post(
        f"/issues/{answer['token']}/photos",
        files={"file": ("before.jpg", jpeg(), "image/jpeg")},
        data={"kind": "before"},
        headers=tokens["inspector"],
    ).json()
    [request] = client.get(f"{V2}/requests/{answer['service_request_id']}.json").json()
    assert request["media_url"] == f"http://testserver/photos/{photo['id']}"
    assert client.get(request["media_url"]).headers["content-type"] == "image/jpeg"


# --- who may read ---------------------------------------------------------------------------


def test_a_village_user_reads_its_own_village_only(client, tokens):
    west = client.get(f"{V2}/requests.json", params=SPRING, headers=tokens["west"])
    assert sorted(codes(west)) == ["I1", "I2"]
    assert client.get(f"{V2}/requests/I3.json", headers=tokens["west"]).status_code == 404
    assert client.get(f"{V2}/requests/I3.json", headers=tokens["east"]).status_code == 200


def test_without_anonymous_reads_a_reader_needs_an_api_key_or_a_token(
    closed_client, api_key, tokens
):
    refused = closed_client.get(f"{V2}/requests.json", params=SPRING)
    assert refused.status_code == 401
    assert refused.json()[0]["code"] == 401 and "api_key" in refused.json()[0]["description"]
    assert closed_client.get(f"{V2}/services.xml").status_code == 401
    with_key = closed_client.get(f"{V2}/requests.json", params={**SPRING, "api_key": api_key})
    assert len(codes(with_key)) == 4
    bad_key = closed_client.get(f"{V2}/services.json", params={"api_key": "nope"})
    assert bad_key.status_code == 403
    with_token = closed_client.get(f"{V2}/requests.json", params=SPRING, headers=tokens["leader"])
    assert len(codes(with_token)) == 4


def test_a_client_reads_and_posts_in_its_own_town_only(client, api_key, two_villages_url):
    engine = second_town(two_villages_url)
    anyone = client.get(f"{V2}/requests.json", params=SPRING)  # anonymous: every town (demo)
    assert "B1" in codes(anyone)
    mine = client.get(f"{V2}/requests.json", params={**SPRING, "api_key": api_key})
    assert sorted(codes(mine)) == ["I1", "I2", "I3", "I4"]
    other_one = client.get(f"{V2}/requests/B1.json", params={"api_key": api_key})
    assert other_one.status_code == 404
    # a point in the other town's village is outside the client's town: refused
    assert post(client, api_key, lat="39.285", long="117.305").status_code == 400
    posted = post(client, api_key).json()[0]["service_request_id"]
    with engine.connect() as conn:
        towns = conn.execute(
            text("SELECT i.town_id = c.town_id FROM issue i, open311_client c WHERE i.code = :c"),
            {"c": posted},
        ).scalar_one()
    engine.dispose()
    assert towns is True


def test_jurisdiction_id_selects_a_town_and_an_unknown_one_is_404(
    client, api_key, two_villages_url
):
    engine = second_town(two_villages_url)
    # anonymous reads (the demo) see both towns; jurisdiction_id picks one, by code or name
    assert codes(client.get(f"{V2}/requests.json", params=SPRING)) == ["I2", "B1", "I4", "I3", "I1"]
    second = client.get(f"{V2}/requests.json", params={**SPRING, "jurisdiction_id": "120113109"})
    assert codes(second) == ["B1"]
    by_name = client.get(f"{V2}/requests.json", params={**SPRING, "jurisdiction_id": "大张庄镇"})
    assert codes(by_name) == ["I2", "I4", "I3", "I1"]
    unknown = client.get(f"{V2}/requests.xml", params={**SPRING, "jurisdiction_id": "city.gov"})
    assert unknown.status_code == 404
    [error] = xml_items(unknown, "errors")
    assert "jurisdiction_id" in error["description"] and "120113109" in error["description"]
    # a client of the first town: the second town is not one it may name
    mine = {**SPRING, "api_key": api_key}
    other_town = client.get(f"{V2}/requests.json", params={**mine, "jurisdiction_id": "120113109"})
    assert other_town.status_code == 404
    assert "二号镇" not in other_town.json()[0]["description"]  # no other town named
    assert (
        client.get(
            f"{V2}/services.json", params={**mine, "jurisdiction_id": "120113109"}
        ).status_code
        == 404
    )
    assert len(
        client.get(f"{V2}/services.json", params={**mine, "jurisdiction_id": "120113108"}).json()
    ) == len(CATEGORIES)
    # posting into a town that is not the client's is refused, and nothing is stored
    before = issue_count(two_villages_url)
    refused = post(client, api_key, jurisdiction_id="120113109")
    assert refused.status_code == 404 and issue_count(two_villages_url) == before
    assert post(client, api_key, jurisdiction_id="120113108").status_code == 200
    assert issue_count(two_villages_url) == before + 1
    engine.dispose()


def test_discovery_names_the_endpoint_its_formats_and_the_callers_towns(client, api_key):
    answer = client.get("/open311/discovery.json", params={"api_key": api_key})
    assert answer.status_code == 200
    body = answer.json()
    [endpoint] = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert sorted(endpoint["formats"]) == ["application/json", "text/xml"]
    assert body["jurisdictions"] == [
        {"jurisdiction_id": "120113108", "name": "大张庄镇", "district": "北辰区"}
    ]
    assert "open311 key add" in body["key_service"]
    xml = client.get("/open311/discovery.xml", params={"api_key": api_key})
    root = ET.fromstring(xml.content)
    assert root.tag == "discovery"
    formats = [f.text for f in root.find("endpoints").find("endpoint").find("formats")]
    assert sorted(formats) == ["application/json", "text/xml"]
