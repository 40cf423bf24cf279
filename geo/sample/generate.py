"""`cunrong sample generate`: the synthetic sample town 大张庄镇, written to a folder.

Deterministic: the same seed gives byte-identical files. The names are fictional.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from geo.sample.calendar import plan_rounds, round_note, scoring_days
from geo.sample.files import write_csv, write_geojson
from geo.sample.issues import generate_issues
from geo.sample.landscape import add_landscape
from geo.sample.names import INSPECTION_TEAM, NameBook
from geo.sample.places import survey
from geo.sample.plan import (
    HonorPlan,
    IssuePlan,
    RoundPlan,
    ScorePlan,
    ThirdPartyPlan,
    Town,
)
from geo.sample.scores import honors, observation_scores
from geo.sample.town import build_town

DEFAULT_SEED = 20240310
"""The day of the notice (张政发〔2024〕10号)."""

FILES = (
    "town.geojson",
    "communities.csv",
    "villages.csv",
    "villages.geojson",
    "grids.geojson",
    "roads.geojson",
    "entrances.geojson",
    "waterbodies.geojson",
    "rounds.csv",
    "round_visits.csv",
    "issues.csv",
    "issue_events.csv",
    "observation_scores.csv",
    "third_party.csv",
    "honors.csv",
)
"""Every file the generator writes (and nothing else)."""

ISSUE_COLUMNS = (
    "id",
    "code",
    "village",
    "grid",
    "category",
    "description",
    "address",
    "lon",
    "lat",
    "found_on",
    "found_by",
    "source",
    "deadline",
    "status",
    "closed_on",
    "rebound_of",
    "responsible",
    "round",
)
EVENT_COLUMNS = (
    "issue",
    "seq",
    "kind",
    "from_status",
    "to_status",
    "at",
    "actor",
    "note",
    "round",
)


@dataclass(frozen=True)
class SampleSummary:
    """What was written, for the command's report."""

    folder: Path
    villages: int
    grids: int
    issues: int
    events: int
    scores: int
    bytes: int


@dataclass
class SampleTown:
    """The whole sample, in memory."""

    town: Town
    rounds: list[RoundPlan]
    issues: list[IssuePlan]
    scores: list[ScorePlan]
    third_party: list[ThirdPartyPlan]
    honors: list[HonorPlan]


def build_sample(seed: int = DEFAULT_SEED) -> SampleTown:
    """The sample town and its year, from one seed."""
    names = NameBook(random.Random(seed))
    town = build_town(np.random.default_rng([seed, 1]), names)
    add_landscape(np.random.default_rng([seed, 2]), town)
    inspectors = [names.person() for _ in range(8)]
    calendar_rng = random.Random(seed + 3)
    rounds = plan_rounds(calendar_rng, town, inspectors)
    days = scoring_days(calendar_rng, town)
    grounds = survey(np.random.default_rng([seed, 4]), town)
    issues, third_party = generate_issues(
        np.random.default_rng([seed, 5]),
        random.Random(seed + 5),
        town=town,
        grounds=grounds,
        rounds=rounds,
        scoring_days=days,
    )
    scores = observation_scores(np.random.default_rng([seed, 6]), town, issues)
    return SampleTown(town, rounds, issues, scores, third_party, honors(town, scores))


def generate_sample_town(out: Path, *, seed: int = DEFAULT_SEED) -> SampleSummary:
    """Write the sample town's files into `out` (created if needed)."""
    sample = build_sample(seed)
    out.mkdir(parents=True, exist_ok=True)
    write_sample(sample, out)
    return SampleSummary(
        folder=out,
        villages=len(sample.town.villages),
        grids=len(sample.town.grids),
        issues=len(sample.issues),
        events=sum(len(i.events) for i in sample.issues),
        scores=len(sample.scores),
        bytes=sum((out / name).stat().st_size for name in FILES),
    )


def write_sample(sample: SampleTown, out: Path) -> None:
    """Every file of the sample into `out`."""
    town = sample.town
    communities = {c.code: c for c in town.communities}
    write_geojson(
        out / "town.geojson",
        [({"name": town.name, "district": "天津市北辰区", "synthetic": True}, town.outline)],
    )
    write_csv(
        out / "communities.csv",
        ("code", "name", "secretary", "deputy_secretary"),
        [(c.code, c.name, c.secretary, c.deputy_secretary) for c in town.communities],
    )
    write_csv(
        out / "villages.csv",
        ("code", "name", "community"),
        [(v.code, v.name, communities[v.community].name) for v in town.villages],
    )
    write_geojson(
        out / "villages.geojson",
        [
            (
                {
                    "code": v.code,
                    "name": v.name,
                    "community_code": v.community,
                    "community": communities[v.community].name,
                    "party_secretary": v.party_secretary,
                    "households": v.households,
                    "population": v.population,
                },
                v.boundary,
            )
            for v in town.villages
        ],
    )
    write_geojson(
        out / "grids.geojson",
        [
            ({"code": g.code, "village": g.village, "name": g.name, "leader": g.leader}, g.boundary)
            for g in town.grids
        ],
    )
    write_geojson(
        out / "roads.geojson",
        [
            ({"code": r.code, "kind": r.kind, "name": r.name, "village": r.village}, r.line)
            for r in town.roads
        ],
    )
    write_geojson(
        out / "entrances.geojson",
        [
            ({"code": e.code, "village": e.village, "road": e.road, "name": e.name}, e.point)
            for e in town.entrances
        ],
    )
    write_geojson(
        out / "waterbodies.geojson",
        [({"code": w.code, "kind": w.kind, "name": w.name}, w.area) for w in town.waters],
    )
    write_csv(
        out / "rounds.csv",
        ("month", "team", "started_on", "ended_on", "inspectors", "note"),
        [
            (
                r.month,
                INSPECTION_TEAM,
                r.started_on,
                r.ended_on,
                "、".join(r.inspectors),
                round_note(r.month),
            )
            for r in sample.rounds
        ],
    )
    write_csv(
        out / "round_visits.csv",
        ("month", "village", "visited_on"),
        [(r.month, code, day) for r in sample.rounds for code, day in sorted(r.visits.items())],
    )
    write_csv(out / "issues.csv", ISSUE_COLUMNS, [_issue_row(i) for i in sample.issues])
    write_csv(
        out / "issue_events.csv",
        EVENT_COLUMNS,
        [
            (i.code, seq, e.kind, e.from_status, e.to_status, e.at, e.actor, e.note, e.round)
            for i in sample.issues
            for seq, e in enumerate(i.events, start=1)
        ],
    )
    write_csv(
        out / "observation_scores.csv",
        ("month", "village", "group", "score"),
        [(s.month, s.village, s.group, f"{s.score:.1f}") for s in sample.scores],
    )
    write_csv(
        out / "third_party.csv",
        ("village", "evaluated", "problems_found", "problems_unrectified"),
        [
            (t.village, t.evaluated, t.problems_found, t.problems_unrectified)
            for t in sample.third_party
        ],
    )
    write_csv(
        out / "honors.csv",
        ("village", "date", "kind"),
        [
            (h.village, h.date, h.kind)
            for h in sorted(sample.honors, key=lambda h: (h.date, h.village))
        ],
    )


def _issue_row(issue: IssuePlan) -> tuple:
    return (
        str(issue.id),
        issue.code,
        issue.village,
        issue.grid,
        issue.category,
        issue.description,
        issue.address,
        issue.lon,
        issue.lat,
        issue.found_on,
        issue.found_by,
        issue.source,
        issue.deadline,
        issue.status,
        issue.closed_on,
        str(issue.rebound_of) if issue.rebound_of else None,
        issue.responsible,
        issue.round,
    )
