"""一村一策一提升: candidate sites for 卡口花场, 小微景点 and 美学微巷 (clause 二(三)).

    find_candidates(conn, villages=("V01",))            ranked candidates, EPSG:4326
    mark_site(conn, candidate_key=…, decision="chosen", note=…, decided_by=…)
    chosen_sites(conn)                                 the chosen ones, for other maps

Names are imported on first use, so `import geo.sites.models` (Alembic's env.py) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DECISIONS": "geo.sites.kinds",
    "KIND_LABELS": "geo.sites.kinds",
    "SITE_KINDS": "geo.sites.kinds",
    "SiteConfig": "geo.sites.config",
    "load_site_config": "geo.sites.config",
    "SiteDecision": "geo.sites.decisions",
    "decisions_for": "geo.sites.decisions",
    "find_candidates": "geo.sites.finder",
    "chosen_sites": "geo.sites.notes",
    "mark_site": "geo.sites.notes",
    "site_choices": "geo.sites.notes",
    "site_map_layers": "geo.sites.layers",
}
__all__ = [
    "DECISIONS",
    "KIND_LABELS",
    "SITE_KINDS",
    "SiteConfig",
    "SiteDecision",
    "chosen_sites",
    "decisions_for",
    "find_candidates",
    "load_site_config",
    "mark_site",
    "site_choices",
    "site_map_layers",
]

if TYPE_CHECKING:
    from geo.sites.config import SiteConfig, load_site_config
    from geo.sites.decisions import SiteDecision, decisions_for
    from geo.sites.finder import find_candidates
    from geo.sites.kinds import DECISIONS, KIND_LABELS, SITE_KINDS
    from geo.sites.layers import site_map_layers
    from geo.sites.notes import chosen_sites, mark_site, site_choices


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'geo.sites' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
