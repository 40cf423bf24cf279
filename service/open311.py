"""Open311 GeoReport v2 documents: services, service requests, tokens and errors, as the
spec's JSON (a list of objects) or XML (a root element of items).

Everything here is plain data in, bytes out: the routes (`service.routes.open311`) read the
database through the issue reader and `geo.open311`, and hand the records to these
functions. XML is written with the standard library's ElementTree: the documents are flat
lists of simple elements, so a dependency (xmltodict and the like) would add nothing; we
only write XML, never parse what a client sends (requests are form-encoded).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from geo.models import TOWN_TIME_ZONE
from geo.vocab import OPEN_STATUSES, STATUS_LABELS

FORMATS = ("json", "xml")
"""The formats every resource is served in (the path's suffix: services.json, services.xml)."""

MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

ROOTS = {
    "services": ("services", "service"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}
"""document kind → (root element, item element) of the spec's XML."""

ITEM_OF_LIST = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "jurisdictions": "jurisdiction",
}
"""The element of each item of a nested list (a service definition's attributes)."""

SCOPE_GROUPS = {"household": ("房前屋后", "Around the house"), "village": ("村内公共", "Village")}
"""A category's scope → the service `group` (zh, en)."""

CLOSED = "closed"
DECIMALS = 7
"""Coordinates: 7 decimals of a degree ≈ 1 cm (as the GeoJSON of the API)."""

TOWN = ZoneInfo(TOWN_TIME_ZONE)


def open311_status(status: str) -> str:
    """The spec's two statuses: closed 已销号 → closed; every other status → open."""
    return CLOSED if status == CLOSED else "open"


def statuses_of(open311: str) -> tuple[str, ...]:
    """The issue statuses behind one of the spec's statuses (open: not yet closed)."""
    if open311 == CLOSED:
        return (CLOSED,)
    return tuple(s for s in STATUS_LABELS if s != CLOSED)


def status_notes(status: str, *, overdue: bool) -> str:
    """整改中 / Open …, with 已超期 / overdue for an open issue past its deadline."""
    zh, en = STATUS_LABELS.get(status, (status, status))
    late = status in OPEN_STATUSES and overdue
    return f"{zh}{'（已超期）' if late else ''} / {en}{' (overdue)' if late else ''}"


def w3c(moment: datetime | None) -> str | None:
    """A timezone-aware moment as the spec's W3C datetime, in the town's offset (+08:00)."""
    return moment.astimezone(TOWN).isoformat(timespec="seconds") if moment else None


def end_of_day(day: date | None) -> str | None:
    """A deadline (a day, inclusive) as the last second of that day in the town."""
    return w3c(datetime.combine(day, time(23, 59, 59), tzinfo=TOWN)) if day else None


def service(row: Mapping[str, Any], *, lang: str = "zh") -> dict[str, Any]:
    """One category as a GeoReport service (its synonyms are the keywords)."""
    zh, en = row["label_zh"], row["label_en"]
    clause = f"《通知》{row['clause']}" if row.get("clause") else ""
    group_zh, group_en = SCOPE_GROUPS.get(row["scope"], (row["scope"], row["scope"]))
    return {
        "service_code": row["code"],
        "service_name": zh if lang == "zh" else en,
        "description": (
            f"{zh} — {en}{'；' + clause if clause else ''}"
            if lang == "zh"
            else f"{en} — {zh}{'; notice clause ' + row['clause'] if clause else ''}"
        ),
        "metadata": False,
        "type": "realtime",
        "keywords": ", ".join(row["synonyms"]),
        "group": group_zh if lang == "zh" else group_en,
    }


def service_definition(code: str) -> dict[str, Any]:
    """A service definition: no attributes (every service has metadata false)."""
    return {"service_code": code, "attributes": []}


REQUEST_PROPERTIES = (
    "id",
    "code",
    "status",
    "overdue",
    "category",
    "category_zh",
    "category_en",
    "description",
    "village_name",
    "requested_at",
    "updated_at",
    "deadline",
    "closed_on",
    "address",
    "lat",
    "lon",
    "photo_ids",
)
"""The issue reader's properties a service request is made of."""


def service_request(
    row: Mapping[str, Any], *, photo_url: str | None, lang: str = "zh"
) -> dict[str, Any]:
    """One issue as a GeoReport service request, the spec's fields in the spec's order."""
    return {
        "service_request_id": row["code"],
        "status": open311_status(row["status"]),
        "status_notes": status_notes(row["status"], overdue=bool(row["overdue"])),
        "service_name": row["category_zh"] if lang == "zh" else row["category_en"],
        "service_code": row["category"],
        "description": row["description"] or "",
        "agency_responsible": row["village_name"],
        "service_notice": (
            closed_notice(row["closed_on"])
            if row["status"] == CLOSED
            else deadline_notice(row["deadline"], row["village_name"])
        ),
        "requested_datetime": w3c(row["requested_at"]),
        "updated_datetime": w3c(row["updated_at"]),
        "expected_datetime": end_of_day(row["deadline"]),
        "address": row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": round(float(row["lat"]), DECIMALS),
        "long": round(float(row["lon"]), DECIMALS),
        "media_url": photo_url,
    }


def deadline_notice(deadline: date | None, village: str | None) -> str | None:
    """What is expected: the village rectifies by the deadline (Chinese, then English)."""
    if deadline is None:
        return None
    who = village or "所在村"
    return f"由{who}于 {deadline:%Y-%m-%d} 前整改 / to be rectified by {deadline:%Y-%m-%d}"


def closed_notice(closed_on: date | None) -> str | None:
    """When the issue was closed (已销号), Chinese then English."""
    if closed_on is None:
        return None
    return f"已于 {closed_on:%Y-%m-%d} 销号 / closed on {closed_on:%Y-%m-%d}"


def created_request(
    *, code: str, token: str, notice: str | None, account_id: str | None
) -> dict[str, Any]:
    """The answer to a POST: the new request's id at once (synchronous), and its token."""
    return {
        "service_request_id": code,
        "token": token,
        "service_notice": notice,
        "account_id": account_id,
    }


def error(status: int, description: str) -> dict[str, Any]:
    """One entry of the spec's error list."""
    return {"code": status, "description": description}


def render(kind: str, items: Sequence[Mapping[str, Any]], fmt: str) -> bytes:
    """A list document (services, requests, errors) in `fmt`."""
    if fmt == "xml":
        root_name, item_name = ROOTS[kind]
        root = ET.Element(root_name)
        for item in items:
            _fill(ET.SubElement(root, item_name), item)
        return _xml_bytes(root)
    return _json_bytes(list(items))


def render_one(root_name: str, item: Mapping[str, Any], fmt: str) -> bytes:
    """A single-object document (a service definition) in `fmt`."""
    if fmt == "xml":
        root = ET.Element(root_name)
        _fill(root, item)
        return _xml_bytes(root)
    return _json_bytes(dict(item))


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
"""The declaration the spec asks for before the root element."""

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 cannot hold at all (not even escaped): dropped from texts."""


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return (XML_DECLARATION + ET.tostring(root, encoding="unicode")).encode()


def _fill(element: ET.Element, item: Mapping[str, Any]) -> None:
    for key, value in item.items():
        child = ET.SubElement(element, key)
        if isinstance(value, list):
            for member in value:
                sub = ET.SubElement(child, ITEM_OF_LIST.get(key, "item"))
                if isinstance(member, Mapping):
                    _fill(sub, member)
                else:
                    sub.text = _text(member)
        else:
            child.text = _text(value)


def _text(value: Any) -> str | None:
    """An element's text: true/false for booleans, nothing (an empty element) for null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))
