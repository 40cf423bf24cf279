"""Candidates as one GeoDataFrame in EPSG:4326: the shape the map, the API and the files use."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.sites.candidate import Candidate
from geo.sites.decisions import SiteDecision
from geo.sites.kinds import kind_label

COLUMNS: tuple[str, ...] = (
    "village_code",
    "village_name",
    "rank",
    "kind",
    "kind_label",
    "score",
    "reasons_zh",
    "area_m2",
    "length_m",
    "distance_to_main_m",
    "from_closed_issue",
    "issue_code",
    "issue_category",
    "cleared_codes",
    "distance_to_entrance_m",
    "distance_to_core_m",
    "source",
    "connects_to",
    "rank_in_kind",
    "decision",
    "note",
    "decided_by",
    "decided_at",
    "candidate_key",
    "village_id",
    "reasons",
    "reasons_en",
)
"""The frame's columns before `geometry`. `reasons` is a list of {key, points, zh, en};
`reasons_zh` / `reasons_en` are the same joined as text, each with its points."""


def _rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def reason_text(candidate: Candidate, lang: str) -> str:
    """'主干道可见（距主干道4 m）+2.88；…' — the reasons as one line."""
    sep = "；" if lang == "zh" else "; "
    return sep.join(f"{r.zh if lang == 'zh' else r.en} +{r.points:.2f}" for r in candidate.reasons)


def empty_frame() -> gpd.GeoDataFrame:
    """A frame with the candidate columns and no rows."""
    return gpd.GeoDataFrame({c: [] for c in COLUMNS}, geometry=[], crs=4326)


def candidates_frame(
    candidates: list[Candidate],
    *,
    villages: gpd.GeoDataFrame,
    ranks: dict[str, tuple[int, int]],
    decisions: dict[str, SiteDecision],
    srid: int,
) -> gpd.GeoDataFrame:
    """Rows ordered by village code and rank (unranked, i.e. rejected, last)."""
    if not candidates:
        return empty_frame()
    names = dict(
        zip(villages["id"], zip(villages["code"], villages["name"], strict=True), strict=True)
    )
    rows = []
    for c in candidates:
        code, name = names[c.village_id]
        decided = decisions.get(c.key)
        rank, rank_in_kind = ranks.get(c.key, (None, None))
        rows.append(
            {
                "village_code": code,
                "village_name": name,
                "rank": rank,
                "kind": c.kind,
                "kind_label": kind_label(c.kind),
                "score": round(c.score, 2),
                "reasons_zh": reason_text(c, "zh"),
                "area_m2": _rounded(c.area_m2),
                "length_m": _rounded(c.length_m),
                "distance_to_main_m": _rounded(c.distance_to_main_m),
                "from_closed_issue": c.source == "closed_issue",
                "issue_code": c.issue_code,
                "issue_category": c.issue_category,
                "cleared_codes": list(c.cleared_codes),
                "distance_to_entrance_m": _rounded(c.distance_to_entrance_m),
                "distance_to_core_m": _rounded(c.distance_to_core_m),
                "source": c.source,
                "connects_to": c.connects_to,
                "rank_in_kind": rank_in_kind,
                "decision": decided.decision if decided else None,
                "note": decided.note if decided else None,
                "decided_by": decided.decided_by if decided else None,
                "decided_at": decided.decided_at if decided else None,
                "candidate_key": c.key,
                "village_id": c.village_id,
                "reasons": [r.as_dict() for r in c.reasons],
                "reasons_en": reason_text(c, "en"),
                "_score": c.score,
            }
        )
    frame = pd.DataFrame(rows)
    frame["_unranked"] = frame["rank"].isna()
    frame = frame.sort_values(
        ["village_code", "_unranked", "rank", "_score", "candidate_key"],
        ascending=[True, True, True, False, True],
    )
    geoms = gpd.GeoSeries([c.geometry for c in candidates], crs=srid).to_crs(4326)
    out = gpd.GeoDataFrame(
        frame[list(COLUMNS)], geometry=geoms.loc[frame.index].to_numpy(), crs=4326
    )
    for col in ("rank", "rank_in_kind"):
        out[col] = out[col].astype("Int64")
    return out.reset_index(drop=True)
