"""What a notification can be about, with its words (Chinese first, English)."""

from __future__ import annotations

KIND_LEN = 24

KIND_LABELS: dict[str, tuple[str, str]] = {
    "issue_created": ("新问题", "New issue"),
    "recheck_waiting": ("待复核", "Waiting for recheck"),
    "verdict": ("复核结论", "Recheck verdict"),
    "deadline_near": ("整改期限将到", "Deadline near"),
    "deadline_passed": ("已超整改期限", "Deadline passed"),
    "interview_due": ("约谈待办", "Interview due"),
    "issues_imported": ("批量导入问题", "Issues imported"),
}
"""kind → (zh, en) label."""

NOTIFY_KINDS: tuple[str, ...] = tuple(KIND_LABELS)


def kind_label(kind: str, lang: str = "zh") -> str:
    """新问题 / New issue … (the code itself when unknown)."""
    zh, en = KIND_LABELS.get(kind, (kind, kind))
    return zh if lang == "zh" else en
