"""How an issue's history reads: the one table of wording for every kind of `issue_event`.

The ledger (台账) writes a step as `2024-03-12 村委提交整改（已清运）`; a map popup as
`03-12 提交整改`. Both take their words from `EVENT_WORDS`, and nothing else words an
event kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from geo.models import EVENT_KINDS


class EventWords(NamedTuple):
    """How one kind of event is written."""

    by: str
    """Who acts, as the ledger names them ("" when it depends on who recorded it)."""
    zh: str
    """The action in Chinese."""
    en: str
    """The action in English."""
    outcome: str = ""
    """For a recheck: the ledger's 复核结论."""


EVENT_WORDS: dict[str, EventWords] = {
    "created": EventWords("", "登记", "recorded"),
    "submitted": EventWords("村委", "提交整改", "rectification submitted"),
    "closed": EventWords("检查员", "复核通过，销号", "recheck passed, closed", "复核通过，销号"),
    "unrectified": EventWords("检查员", "复核未整改", "recheck: not rectified", "未整改"),
    "inadequate": EventWords(
        "检查员", "复核整改不到位", "recheck: inadequately rectified", "整改不到位"
    ),
    "reopened": EventWords("", "重新打开，继续整改", "reopened"),
    "reassigned": EventWords("", "改派", "reassigned"),
    "edited": EventWords("", "修改", "edited"),
    "rebound_linked": EventWords("", "认定为反弹", "linked as a rebound"),
}
assert tuple(EVENT_WORDS) == EVENT_KINDS, "every event kind needs its words"

RECHECK_KINDS = tuple(kind for kind, words in EVENT_WORDS.items() if words.outcome)
"""The events that record a recheck's outcome."""


class Step(NamedTuple):
    """One event as the ledger needs it."""

    on: date
    kind: str
    note: str | None


def ledger_step(step: Step) -> str:
    """`2024-03-12 村委提交整改（已清运）`."""
    words = EVENT_WORDS[step.kind]
    note = f"（{step.note}）" if step.note else ""
    return f"{step.on.isoformat()} {words.by}{words.zh}{note}"


def ledger_history(steps: Iterable[Step]) -> str:
    """An issue's steps, in the order given, joined the way a ledger writes them."""
    return "；".join(ledger_step(s) for s in steps)


def recheck_outcome(steps: Iterable[Step]) -> str:
    """The ledger's 复核结论: the outcome of the last recheck, or "" before any."""
    last = ""
    for s in steps:
        last = EVENT_WORDS[s.kind].outcome or last
    return last
