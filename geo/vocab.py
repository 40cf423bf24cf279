"""The closed loop's vocabularies and the lengths of stored texts, each declared once.

Imported by the models (CHECK constraints, column widths), the service's pydantic models
(`Literal`s, `max_length`), the importers, the ledger, the maps and the pages, so a status,
an action or a length cannot read differently in two places. Months live in
`scoring.inputs` (the one month arithmetic); basemaps in `geo.maps.basemaps`.
"""

from __future__ import annotations

from typing import Literal, get_args

# --- issue statuses, with their labels (Chinese first, English)

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "open": ("整改中", "Open"),
    "submitted": ("已整改待复核", "Rectified, awaiting recheck"),
    "closed": ("已销号", "Closed"),
    "unrectified": ("未整改", "Not rectified"),
    "inadequate": ("整改不到位", "Inadequately rectified"),
}
"""status → (zh, en): the words of the ledger, the maps and the pages."""

Status = Literal["open", "submitted", "closed", "unrectified", "inadequate"]
ISSUE_STATUSES: tuple[str, ...] = get_args(Status)
"""Every status an issue can be in (labels: STATUS_LABELS)."""

OPEN_STATUSES: tuple[str, ...] = ("open", "unrectified", "inadequate")
"""Statuses in which the village still has to rectify."""


def status_label(status: str, lang: str = "zh") -> str:
    """整改中 / Open … for one of ISSUE_STATUSES (the code itself when unknown)."""
    zh, en = STATUS_LABELS.get(status, (status, status))
    return zh if lang == "zh" else en


# --- where an issue came from, with its labels (Chinese first, English)

SOURCE_LABELS: dict[str, tuple[str, str]] = {
    "inspection": ("镇整治办检查", "Town office inspection"),
    "recheck": ("复核发现", "Found at a recheck"),
    "observation": ("现场观摩", "On-site observation"),
    "third_party": ("市第三方测评", "City third-party evaluation"),
    "village_self": ("村自查", "Village self-check"),
    "report": ("群众反映", "Reported by residents"),
    "open311": ("Open311 接口上报", "Reported through Open311"),
}
"""source → (zh, en): who found an issue, in the ledger's words."""

Source = Literal[
    "inspection", "recheck", "observation", "third_party", "village_self", "report", "open311"
]
ISSUE_SOURCES: tuple[str, ...] = get_args(Source)
"""Every source an issue can have (the CHECK constraint `source_known`; labels: SOURCE_LABELS).
`open311`: posted by another system through `/open311/v2/requests` (GeoReport v2)."""


def source_label(source: str, lang: str = "zh") -> str:
    """镇整治办检查 / Town office inspection … for one of ISSUE_SOURCES (the code when unknown)."""
    zh, en = SOURCE_LABELS.get(source, (source, source))
    return zh if lang == "zh" else en


# --- the loop's actions

Action = Literal["submit", "close", "unrectified", "inadequate", "reopen"]
ACTIONS: tuple[str, ...] = get_args(Action)

TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (OPEN_STATUSES, "submitted"),
    "close": (("submitted",), "closed"),
    "unrectified": (("submitted", *OPEN_STATUSES), "unrectified"),
    "inadequate": (("submitted",), "inadequate"),
    "reopen": (("closed",), "open"),
}
"""action → (statuses it may start from, status it leads to)."""

EVENT_OF_ACTION: dict[str, str] = {
    "submit": "submitted",
    "close": "closed",
    "unrectified": "unrectified",
    "inadequate": "inadequate",
    "reopen": "reopened",
}
"""action → the kind of the issue_event it writes."""

VILLAGE_ACTIONS: tuple[str, ...] = ("submit",)
"""Actions of the village (and the admin): submitting its rectification."""
INSPECTOR_ACTIONS: tuple[str, ...] = ("close", "unrectified", "inadequate", "reopen")
"""Actions of the inspector (and the admin): the recheck's outcomes, and reopening."""

# --- lengths of stored texts (SQLAlchemy String(n) columns and pydantic max_length alike)

CODE_LEN = 32
"""Village and community codes."""
LONG_CODE_LEN = 48
"""Grid and road codes (often the village code plus a suffix)."""
ISSUE_CODE_LEN = 40
"""Issue codes."""
CATEGORY_CODE_LEN = 40
"""Category codes."""
NAME_LEN = 100
"""Names of places, groups, teams, users; who found, who answers, who acted."""
PERSON_LEN = 50
"""A named office holder (party secretary, grid leader)."""
DESCRIPTION_LEN = 4000
"""An issue's description."""
NOTE_LEN = 4000
"""A note on a step of the loop or a round."""
SITE_NOTE_LEN = 2000
"""A planner's note on a candidate site."""
ADDRESS_LEN = 400
"""An issue's address."""
TITLE_LEN = 200
"""A map's title."""

assert set(STATUS_LABELS) == set(ISSUE_STATUSES)
assert set(SOURCE_LABELS) == set(ISSUE_SOURCES)
assert set(OPEN_STATUSES) <= set(ISSUE_STATUSES)
assert set(TRANSITIONS) == set(EVENT_OF_ACTION) == set(ACTIONS)
assert set(VILLAGE_ACTIONS) | set(INSPECTOR_ACTIONS) == set(ACTIONS)
