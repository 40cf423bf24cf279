"""The three kinds of micro-landscape site of clause 二(三), and what a planner can decide."""

from __future__ import annotations

SITE_KINDS: tuple[str, ...] = ("flower_gate", "micro_spot", "aesthetic_lane")
"""卡口花场 · 小微景点 · 美学微巷, in the order a tie between equal scores is broken."""

KIND_LABELS: dict[str, tuple[str, str]] = {
    "flower_gate": ("卡口花场", "Flower gate"),
    "micro_spot": ("小微景点", "Micro landscape spot"),
    "aesthetic_lane": ("美学微巷", "Aesthetic lane"),
}

SITE_SOURCES: dict[str, tuple[str, str]] = {
    "entrance": ("村口卡口", "Village entrance"),
    "closed_issue": ("销号问题腾出的空地", "Land freed by a closed issue"),
    "junction": ("主次干道交汇处边角", "Corner where main and secondary roads meet"),
    "lane": ("巷道", "Lane"),
}
"""Where a candidate comes from."""

DECISIONS: tuple[str, ...] = ("chosen", "rejected")
DECISION_LABELS: dict[str, tuple[str, str]] = {
    "chosen": ("已选定", "Chosen"),
    "rejected": ("不采用", "Rejected"),
}


def kind_label(kind: str, lang: str = "zh") -> str:
    """卡口花场 / Flower gate … for one of SITE_KINDS."""
    zh, en = KIND_LABELS[kind]
    return zh if lang == "zh" else en


def decision_label(decision: str | None, lang: str = "zh") -> str:
    """已选定 / 不采用 (or '' when undecided)."""
    if not decision:
        return ""
    zh, en = DECISION_LABELS[decision]
    return zh if lang == "zh" else en
