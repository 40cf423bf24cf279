"""About 5,000 sample issues of March–December 2024 with their closed-loop histories.

Many in March (清底子), fewer after; a seasonal category mix (weeds and standing water in
summer, farm waste at harvest); more problems in a few villages; hotspots along water, in
old village cores and around idle homesteads; a few points just outside the town (GPS
error); rebounds (反弹) of closed issues; the problems found by the city's third party.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import shapely
from pyproj import Geod
from shapely import STRtree
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from geo.categories import CATEGORIES
from geo.sample.calendar import MONTHS, NO_SCORING_MONTHS, YEAR_END, month_start
from geo.sample.frame import lonlat_to_xy, rounded, to_metres, xy_to_lonlat
from geo.sample.histories import Visit, deadline_after, moment, run_loop
from geo.sample.names import SCORING_GROUPS
from geo.sample.places import Spot, VillageGround, place
from geo.sample.plan import EventPlan, IssuePlan, RoundPlan, ThirdPartyPlan, Town, VillagePlan
from geo.sample.wording import PUBLIC_PLACES, STREETS, describe, house_address

MONTH_VOLUME = {
    "2024-03": 1250,
    "2024-04": 720,
    "2024-05": 480,
    "2024-06": 400,
    "2024-07": 420,
    "2024-08": 370,
    "2024-09": 330,
    "2024-10": 370,
    "2024-11": 280,
    "2024-12": 240,
}
"""Expected issues a month over the town: 清底子 in March, 查漏补缺 in April, then fewer."""

BASE_MIX = {
    "household_garbage": 16.0,
    "clutter": 17.0,
    "weeds": 9.0,
    "hanging_items": 4.0,
    "standing_water": 4.0,
    "loose_livestock": 4.0,
    "illegal_structure": 6.0,
    "zombie_facility": 3.0,
    "agri_waste": 5.0,
    "public_space_clutter": 7.0,
    "tangled_wires": 5.0,
    "street_sewage": 4.0,
    "idle_homestead": 4.0,
    "waterbody_waste": 7.0,
    "road_obstruction": 4.0,
    "other": 1.0,
}
"""Share of each category (per cent) in an ordinary month of an ordinary village."""

SEASON: dict[int, dict[str, float]] = {
    3: {
        "household_garbage": 1.3,
        "clutter": 1.4,
        "idle_homestead": 1.6,
        "zombie_facility": 1.6,
        "public_space_clutter": 1.3,
        "agri_waste": 1.3,
        "weeds": 0.3,
        "standing_water": 0.5,
    },
    4: {"clutter": 1.2, "idle_homestead": 1.3, "weeds": 0.7},
    5: {"weeds": 1.4},
    6: {"weeds": 2.0, "standing_water": 1.3, "street_sewage": 1.3},
    7: {"weeds": 2.2, "standing_water": 2.2, "street_sewage": 1.5, "waterbody_waste": 1.5},
    8: {"weeds": 2.0, "standing_water": 2.0, "street_sewage": 1.4, "waterbody_waste": 1.5},
    9: {"weeds": 1.4, "agri_waste": 1.4},
    10: {"agri_waste": 2.2, "clutter": 1.3, "weeds": 0.8},
    11: {"agri_waste": 1.6, "clutter": 1.3, "weeds": 0.4},
    12: {"household_garbage": 1.3, "clutter": 1.2, "weeds": 0.3, "standing_water": 0.4},
}
"""Seasonal factors by month number (summer weeds and rain, harvest waste in autumn)."""

REBOUND_PRONE = frozenset(
    {
        "household_garbage",
        "clutter",
        "waterbody_waste",
        "agri_waste",
        "road_obstruction",
        "public_space_clutter",
        "hanging_items",
        "loose_livestock",
    }
)
REBOUND_RADIUS_M = 20.0
GEOD = Geod(ellps="WGS84")
OUTSIDE_COUNT = 24
"""Issues whose GPS point lies a few metres outside the town (snapped, flagged)."""

THIRD_PARTY_TEAM = "市第三方测评组"
HOTLINE = "12345热线"
SCOPE = {c.code: c.scope for c in CATEGORIES}
CATEGORY_CODES = tuple(BASE_MIX)


@dataclass
class Ledger:
    """What the issue generator needs about the town, and what it has made so far."""

    town: Town
    grounds: dict[str, VillageGround]
    rounds: list[RoundPlan]
    scoring_days: dict[str, dict[str, date]]
    visits: dict[str, list[Visit]]
    tilt: dict[str, np.ndarray]
    grid_tree: STRtree
    grid_codes: list[str]
    leaders: dict[str, str]
    issues: list[IssuePlan]


def generate_issues(
    np_rng: np.random.Generator,
    rng: random.Random,
    *,
    town: Town,
    grounds: dict[str, VillageGround],
    rounds: list[RoundPlan],
    scoring_days: dict[str, dict[str, date]],
) -> tuple[list[IssuePlan], list[ThirdPartyPlan]]:
    """Every sample issue with its history, and the third party's results they imply."""
    ledger = Ledger(
        town=town,
        grounds=grounds,
        rounds=rounds,
        scoring_days=scoring_days,
        visits=_visits(town, rounds),
        tilt=_tilts(np_rng, town, grounds),
        grid_tree=STRtree([g.boundary for g in town.grids]),
        grid_codes=[g.code for g in town.grids],
        leaders={g.code: g.leader for g in town.grids},
        issues=[],
    )
    weights = np.array([v.households * v.badness for v in town.villages], dtype=float)
    slopes = np_rng.normal(0.0, 0.05, len(town.villages)) + 0.04 * (
        np.array([v.badness for v in town.villages]) - 1.0
    )
    for step, month in enumerate(MONTHS):
        share = weights * np.exp(slopes * step)
        expected = MONTH_VOLUME[month] * share / share.sum()
        for village, mean in zip(town.villages, expected, strict=True):
            for _ in range(int(np_rng.poisson(mean))):
                _ordinary_issue(np_rng, rng, ledger, village, month)
    _move_outside(np_rng, rng, ledger)
    third_party = _third_party(np_rng, rng, ledger)
    _rebounds(np_rng, rng, ledger)
    _link_rebounds(ledger.issues)
    return _numbered(ledger.issues), third_party


def _visits(town: Town, rounds: list[RoundPlan]) -> dict[str, list[Visit]]:
    return {
        v.code: [Visit(r.visits[v.code], r.month, tuple(r.inspectors)) for r in rounds]
        for v in town.villages
    }


def _tilts(
    rng: np.random.Generator, town: Town, grounds: dict[str, VillageGround]
) -> dict[str, np.ndarray]:
    """Each village's own category weights: old cores, water, fields, livestock."""
    banks = np.array([grounds[v.code].bank_length for v in town.villages])
    fields = np.array([grounds[v.code].fields.area for v in town.villages])
    bank_norm = np.median(banks[banks > 0]) if np.any(banks > 0) else 1.0
    old_villages = set(rng.choice(len(town.villages), size=12, replace=False).tolist())
    tilts = {}
    for index, village in enumerate(town.villages):
        factor = dict.fromkeys(CATEGORY_CODES, 1.0)
        old = 2.2 if index in old_villages else 0.6
        factor["tangled_wires"] = factor["idle_homestead"] = old
        factor["waterbody_waste"] = (
            float(np.clip(banks[index] / bank_norm, 0.3, 3.0)) if banks[index] > 0 else 0.08
        )
        factor["agri_waste"] = float(np.clip(fields[index] / np.median(fields), 0.5, 1.8))
        factor["loose_livestock"] = float(rng.uniform(0.5, 1.8))
        tilts[village.code] = np.array([BASE_MIX[c] * factor[c] for c in CATEGORY_CODES])
    return tilts


def _category(rng: np.random.Generator, ledger: Ledger, village: str, month: str) -> str:
    season = SEASON[int(month[5:7])]
    weights = ledger.tilt[village] * np.array([season.get(c, 1.0) for c in CATEGORY_CODES])
    return CATEGORY_CODES[int(rng.choice(len(weights), p=weights / weights.sum()))]


def _source(rng: np.random.Generator, month: str) -> str:
    kinds: tuple[str, ...]
    shares: tuple[int, ...]
    if month == MONTHS[0]:
        kinds, shares = ("inspection", "observation", "village_self", "report"), (88, 4, 5, 3)
    elif month in NO_SCORING_MONTHS:
        kinds, shares = ("inspection", "recheck", "village_self", "report"), (84, 5, 6, 5)
    else:
        kinds = ("inspection", "recheck", "observation", "village_self", "report")
        shares = (79, 5, 6, 6, 4)
    p = np.array(shares, dtype=float)
    return kinds[int(rng.choice(len(kinds), p=p / p.sum()))]


def _ordinary_issue(
    np_rng: np.random.Generator,
    rng: random.Random,
    ledger: Ledger,
    village: VillagePlan,
    month: str,
) -> None:
    """One issue found in `village` in `month` by one of the usual sources."""
    source = _source(np_rng, month)
    round_ = next(r for r in ledger.rounds if r.month == month)
    round_month = ""
    if source in ("inspection", "recheck"):
        found_on = round_.visits[village.code]
        found_by = rng.choice(round_.inspectors)
        round_month = month
    elif source == "observation":
        found_on = ledger.scoring_days[month][village.code]
        found_by = rng.choice(SCORING_GROUPS)
    else:
        first = month_start(month)
        start = 11 if month == MONTHS[0] else 1
        found_on = first.replace(day=rng.randint(start, 28))
        found_by = HOTLINE if source == "report" else ""
    category = _category(np_rng, ledger, village.code, month)
    spot = place(np_rng, ledger.grounds[village.code], category)
    issue = _new_issue(rng, ledger, village, category, spot, found_on=found_on, source=source)
    if not found_by:
        found_by = issue.responsible
    issue.found_by = found_by
    issue.round = round_month
    _open(rng, ledger, issue, village)


def _new_issue(
    rng: random.Random,
    ledger: Ledger,
    village: VillagePlan,
    category: str,
    spot: Spot,
    *,
    found_on: date,
    source: str,
) -> IssuePlan:
    lon, lat = (float(v) for v in rounded(xy_to_lonlat(np.array([spot.x, spot.y]))))
    grid = _grid_of(ledger, lon, lat)
    if SCOPE[category] == "household" and grid:
        responsible = ledger.leaders[grid]
    else:
        responsible = village.party_secretary
    places, address = _wording_places(rng, village, spot)
    return IssuePlan(
        id=uuid.UUID(int=rng.getrandbits(128), version=4),
        code="",
        village=village.code,
        grid=grid,
        category=category,
        description=describe(rng, category, places),
        address=address,
        lon=lon,
        lat=lat,
        found_on=found_on,
        found_by="",
        source=source,
        deadline=deadline_after(rng, found_on, category),
        responsible=responsible,
    )


def _grid_of(ledger: Ledger, lon: float, lat: float) -> str:
    hits = ledger.grid_tree.query(Point(lon, lat), predicate="intersects")
    return ledger.grid_codes[int(min(hits))] if len(hits) else ""


def _wording_places(rng: random.Random, village: VillagePlan, spot: Spot) -> tuple[dict, str]:
    """The words that say where a spot is, and its address."""
    name = village.name
    centre = village.centre_m
    angle = np.arctan2(spot.y - centre.y, spot.x - centre.x)
    side = ("东", "北", "西", "南")[int(np.round(angle / (np.pi / 2))) % 4]
    house = house_address(rng, name)
    street = f"{name}{rng.choice(STREETS)}"
    places = {
        "place": house,
        "road": street,
        "public": f"{name}{rng.choice(PUBLIC_PLACES)}",
        "field": f"{name}{side}地",
        "water": f"{name}{side}侧沟渠",
    }
    address = house
    if spot.kind == "public":
        address = places["public"]
    elif spot.kind == "field":
        address = places["field"]
    elif spot.kind == "water":
        water = spot.name if spot.name.startswith(name) else f"{spot.name}{name}段"
        places["water"] = address = water
    elif spot.kind == "street":
        places["road"] = address = f"{name}主街"
    elif spot.kind == "main_road":
        places["road"] = address = f"{spot.name}{name}段"
    return places, address


def _open(rng: random.Random, ledger: Ledger, issue: IssuePlan, village: VillagePlan) -> list:
    """Record the issue (登记) and play its loop; keeps it in the ledger."""
    issue.events.append(
        EventPlan(
            "created",
            None,
            "open",
            moment(rng, issue.found_on),
            issue.found_by,
            "",
            issue.round,
        )
    )
    if issue.rebound_of is not None:
        _mark_rebound(issue)
    outcomes = run_loop(
        rng,
        issue,
        quality=village.quality,
        visits=ledger.visits[village.code],
        recheck_after=max(issue.found_on, issue.deadline - timedelta(days=1)),
    )
    ledger.issues.append(issue)
    return outcomes


def _mark_rebound(issue: IssuePlan) -> None:
    """反弹: say so in the description and in the history, right after 登记."""
    if not issue.description.startswith("反弹"):
        issue.description = f"反弹：{issue.description}"
    if len(issue.events) > 1 and issue.events[1].kind == "rebound_linked":
        return
    created = issue.events[0]
    issue.events.insert(
        1,
        EventPlan(
            "rebound_linked",
            "open",
            "open",
            created.at + timedelta(minutes=2),
            issue.found_by,
            "同类问题20米内、销号后90日内再次出现，判定为反弹",
            issue.round,
        ),
    )


def _move_outside(np_rng: np.random.Generator, rng: random.Random, ledger: Ledger) -> None:
    """Shift a few field issues at the town's edge a few metres outside it (GPS error)."""
    town_m = to_metres(ledger.town.outline)
    edge = town_m.exterior
    shapes = {v.code: to_metres(v.boundary) for v in ledger.town.villages}
    candidates = [
        i
        for i in ledger.issues
        if i.category == "agri_waste" and shapes[i.village].intersects(edge)
    ]
    order = np_rng.permutation(len(candidates))
    moved = 0
    for index in order:
        if moved == OUTSIDE_COUNT:
            break
        issue = candidates[int(index)]
        border = shapes[issue.village].boundary.intersection(edge)
        if border.length < 100:
            continue
        anchor = border.interpolate(np_rng.uniform(0, border.length))
        point = _outward(np_rng, town_m, anchor)
        if point is None:
            continue
        nearest = min(shapes, key=lambda code: shapes[code].distance(point))
        if nearest != issue.village or shapes[nearest].distance(point) > 25.0:
            continue
        lon, lat = (float(v) for v in rounded(xy_to_lonlat(np.array([point.x, point.y]))))
        issue.lon, issue.lat, issue.grid = lon, lat, ""
        moved += 1


def _outward(rng: np.random.Generator, town_m: BaseGeometry, anchor: Point) -> Point | None:
    """A point 5–20 m outside the town beyond `anchor`."""
    centre = town_m.centroid
    dx, dy = anchor.x - centre.x, anchor.y - centre.y
    norm = float(np.hypot(dx, dy))
    step = rng.uniform(5.0, 20.0)
    point = Point(anchor.x + dx / norm * step, anchor.y + dy / norm * step)
    if town_m.contains(point) or town_m.distance(point) < 3.0:
        return None
    return point


def _third_party(
    np_rng: np.random.Generator, rng: random.Random, ledger: Ledger
) -> list[ThirdPartyPlan]:
    """The city's evaluation in September: 16 villages; what it found enters the loop."""
    villages = ledger.town.villages
    picked = sorted(np_rng.choice(len(villages), size=18, replace=False).tolist())
    evaluated, skipped = picked[:16], picked[16:]
    results = []
    for index in evaluated:
        village = villages[index]
        day = date(2024, 9, 18) + timedelta(days=int(np_rng.integers(0, 9)))
        found = int(np.clip(np_rng.poisson(8.0 * village.badness**0.9), 2, 22))
        unrectified = 0
        for _ in range(found):
            category = _category(np_rng, ledger, village.code, "2024-09")
            spot = place(np_rng, ledger.grounds[village.code], category)
            issue = _new_issue(
                rng, ledger, village, category, spot, found_on=day, source="third_party"
            )
            issue.found_by = THIRD_PARTY_TEAM
            outcomes = _open(rng, ledger, issue, village)
            if not outcomes or outcomes[0] != "closed":
                unrectified += 1
        results.append(ThirdPartyPlan(village.code, True, found, unrectified))
    results.extend(ThirdPartyPlan(villages[i].code, False, 0, 0) for i in skipped)
    return sorted(results, key=lambda r: r.village)


def _rebounds(np_rng: np.random.Generator, rng: random.Random, ledger: Ledger) -> None:
    """反弹: the same problem again within 20 m of a closed issue, within 90 days."""
    villages = {v.code: v for v in ledger.town.villages}
    for original in list(ledger.issues):
        if (
            original.status != "closed"
            or original.category not in REBOUND_PRONE
            or not original.grid
            or original.closed_on is None
        ):
            continue
        village = villages[original.village]
        if np_rng.random() >= 0.045 * village.badness:
            continue
        later = [
            v
            for v in ledger.visits[village.code]
            if 14 <= (v.day - original.closed_on).days <= 90 and v.day <= YEAR_END
        ]
        if not later:
            continue
        visit = later[0] if np_rng.random() < 0.6 or len(later) == 1 else later[1]
        x, y = lonlat_to_xy(np.array([original.lon, original.lat]))
        angle, distance = np_rng.uniform(0, 2 * np.pi), np_rng.uniform(3.0, 15.0)
        spot = Spot(x + distance * np.cos(angle), y + distance * np.sin(angle), "house")
        if not shapely.contains_xy(ledger.grounds[village.code].inner, spot.x, spot.y):
            continue
        issue = _new_issue(
            rng, ledger, village, original.category, spot, found_on=visit.day, source="inspection"
        )
        issue.address = original.address
        issue.found_by = rng.choice(visit.inspectors)
        issue.round = visit.month
        issue.rebound_of = original.id
        _open(rng, ledger, issue, village)


def _link_rebounds(issues: list[IssuePlan]) -> None:
    """Link every issue the town's rule makes a rebound, as recording it in the app would.

    Same category, within 20 m (on the ellipsoid, as PostGIS measures), recorded after the
    other was closed and at most 90 days later; the most recently closed wins, then the nearest.
    """
    closed = [i for i in issues if i.closed_on is not None]
    points = shapely.points(lonlat_to_xy(np.array([[i.lon, i.lat] for i in issues])))
    closed_points = shapely.points(lonlat_to_xy(np.array([[i.lon, i.lat] for i in closed])))
    near_new, near_closed = STRtree(closed_points).query(
        points, predicate="dwithin", distance=REBOUND_RADIUS_M + 5.0
    )
    candidates: dict[int, list[int]] = defaultdict(list)
    for n, c in zip(near_new, near_closed, strict=True):
        candidates[int(n)].append(int(c))
    for n, issue in enumerate(issues):
        best: tuple[date, float, IssuePlan] | None = None
        for c in candidates.get(n, []):
            other = closed[c]
            assert other.closed_on is not None
            gap = (issue.found_on - other.closed_on).days
            closed_before = other.events[-1].at < issue.events[0].at
            if other.category != issue.category or not closed_before or gap > 90:
                continue
            _, _, metres = GEOD.inv(other.lon, other.lat, issue.lon, issue.lat)
            if metres > REBOUND_RADIUS_M:
                continue
            if best is None or (other.closed_on, -metres) > (best[0], -best[1]):
                best = (other.closed_on, metres, other)
        if best is None:
            continue
        issue.rebound_of = best[2].id
        _mark_rebound(issue)


def _numbered(issues: list[IssuePlan]) -> list[IssuePlan]:
    """Issues in the order found, coded 村-年月-序号 like geo.loop does (DZZ07-202404-0012)."""
    ordered = sorted(issues, key=lambda i: (i.found_on, i.events[0].at, i.village, i.id.hex))
    counters: dict[tuple[str, str], int] = defaultdict(int)
    for issue in ordered:
        key = (issue.village, issue.found_on.strftime("%Y%m"))
        counters[key] += 1
        issue.code = f"{issue.village}-{key[1]}-{counters[key]:04d}"
    return ordered
