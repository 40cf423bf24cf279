"""Who may do what: the authorization matrix of the API, route by route and role by role.

The rules (issue #5, 2. Roles and scope): no token → 401 on every write, a bad token → 401
everywhere; admin (整治办) does everything; inspector records and rechecks issues and opens
rounds; a village user sees and acts on its own village only, and only submits
rectifications with after-photos; leader is read-only; planner is read-only plus the
micro-landscape sites. Observation scores, third-party results and honors are entered by
the town office (admin). Reads without a token are allowed while CUNRONG_ANONYMOUS_READ is
on (the default), refused with 401 when it is off. Every write that succeeds records who
did it (the row it wrote and the audit log).

The town: the hand-built village W01 of tests/sites (roads, an entrance, so the site
finder has candidates) and E01, a square of the same size east of it. `west` is W01's
village user, `east` E01's; every issue the matrix touches lies in W01.

A second town (二号镇 120113901, issue 13) lies 20 km east with its village B01, an issue
and its own admin (`b_admin`): a user of one town sees nothing of the other — lists hold
only its own town's rows, ids of the other town are 404 (never 403: they do not leak), codes
of the other town are unknown (400), rankings are its own town's. `district` reads every
town of 北辰区 (120113) and writes nothing; where a route is about one town it must say
which (400 without `?town=`). The anonymous reader (development only) reads every town
too, so it must say which town as well.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import Engine, create_engine, text

from geo.towns import add_town
from geo.users import create_user, deactivate_user
from service.app import create_app
from service.settings import ServiceSettings
from service.web import is_page_path
from tests.postgis import PostgisServer
from tests.sites.village import SRID, X0, Y0, build_village, wkt_box

CALLERS = (
    "none",
    "bad",
    "admin",
    "inspector",
    "own",
    "other",
    "leader",
    "planner",
    "b_admin",
    "district",
)
"""Column order of the matrix: no token, an unknown token, then one user per role; `own`
is the village user of W01 (where the issue is), `other` the village user of E01;
`b_admin` the admin of the second town, `district` a reader of every town of the district."""

TOWN_B = ("120113901", "二号镇")
"""The second town of the tests (a made-up code in 北辰区)."""

USERS = {  # caller → (user name, role, village)
    "admin": ("admin", "admin", None),
    "inspector": ("inspector", "inspector", None),
    "own": ("west", "village", "W01"),
    "other": ("east", "village", "E01"),
    "leader": ("leader", "leader", None),
    "planner": ("planner", "planner", None),
    "b_admin": ("b_admin", "admin", None),
    "district": ("district", "leader", None),
}


M_PER_DEGREE_LON = 86_200.0  # at 39.28° N
M_PER_DEGREE_LAT = 111_000.0


@dataclass(frozen=True)
class Req:
    """One HTTP request: method, path, and the keyword arguments of TestClient.request."""

    method: str
    path: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def jpeg() -> bytes:
    """A small real JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (48, 32), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


@dataclass
class Town:
    """The two villages, a client on them, and helpers that set the scene as admin."""

    client: TestClient
    engine: Engine
    headers: dict[str, dict[str, str]]
    origin: tuple[float, float]
    issues_made: int = 0
    rounds_made: int = 0
    _site_key: str | None = field(default=None, repr=False)

    def send(self, caller: str, req: Req) -> Response:
        """Send `req` as `caller`."""
        return self.client.request(
            req.method,
            req.path,
            headers=self.headers[caller],
            follow_redirects=False,
            **req.kwargs,
        )

    def as_admin(self, method: str, path: str, **kwargs: Any) -> Response:
        """A request of the scene-setting admin, which must succeed."""
        response = self.send("admin", Req(method, path, kwargs))
        assert response.status_code < 300, (method, path, response.text)
        return response

    def issue_body(self, *, east_m: float | None = None, north_m: float = 0.0) -> dict[str, Any]:
        """A new clutter issue in W01: rows of 100 spots 2.6 m apart, or at the given offset."""
        self.issues_made += 1
        if east_m is None:
            east_m, north_m = 2.6 * (self.issues_made % 100), 3.3 * (self.issues_made // 100)
        lon, lat = self.origin
        return {
            "category": "clutter",
            "lon": lon + east_m / M_PER_DEGREE_LON,
            "lat": lat + north_m / M_PER_DEGREE_LAT,
            "found_on": "2024-05-06",
            "description": "门前堆放杂物",
        }

    def issue(self, status: str = "open") -> dict[str, Any]:
        """An issue of W01 brought to `status` (open, submitted or closed): id and version."""
        created = self.as_admin("POST", "/issues", json=self.issue_body()).json()
        assert created["village"] == "W01", created
        issue_id = created["id"]
        version = 1
        if status in ("submitted", "closed"):
            body = {"action": "submit", "version": 1, "photo_ids": [self.photo(issue_id)]}
            version = self.as_admin("POST", f"/issues/{issue_id}/transitions", json=body).json()[
                "version"
            ]
        if status == "closed":
            body = {"action": "close", "version": version}
            version = self.as_admin("POST", f"/issues/{issue_id}/transitions", json=body).json()[
                "version"
            ]
        return {"id": issue_id, "version": version}

    def photo(self, issue_id: str, kind: str = "after") -> str:
        """Upload a photo of an issue; its id."""
        return self.as_admin(
            "POST",
            f"/issues/{issue_id}/photos",
            files={"file": ("p.jpg", jpeg(), "image/jpeg")},
            data={"kind": kind},
        ).json()["id"]

    def site_key(self) -> str:
        """The key of W01's best candidate site (the finder runs once per test)."""
        if self._site_key is None:
            found = self.send("planner", Req("GET", "/sites", {"params": {"village": "W01"}}))
            assert found.status_code == 200, found.text
            self._site_key = found.json()["features"][0]["properties"]["candidate_key"]
        return self._site_key

    def scores(self) -> None:
        """May 2024 scores for both villages, so the rankings exist."""
        self.as_admin(
            "POST",
            "/scores",
            json=[
                {"month": "2024-05", "village": "W01", "group": "第一组", "score": 81},
                {"month": "2024-05", "village": "E01", "group": "第一组", "score": 79},
            ],
        )


@dataclass(frozen=True)
class TownDatabase:
    """The town's database and a header set per caller."""

    url: str
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def town_db(pg_server: PostgisServer, migrated_template: str) -> Iterator[TownDatabase]:
    """W01 (tests/sites/village.py), E01 east of it, and one user per role.

    One database for the module keeps its ~60 tests fast: every row of the matrix makes
    the issues it needs, so no test depends on what another one left behind.
    """
    name = pg_server.create(template=migrated_template)
    url = pg_server.url_of(name)
    engine = create_engine(url)
    headers: dict[str, dict[str, str]] = {"none": {}, "bad": {"Authorization": "Bearer nope"}}
    with engine.begin() as conn:
        build_village(conn)
        conn.execute(
            text(
                "INSERT INTO village (code, name, geom)"
                f" VALUES ('E01', '东村', ST_Transform(ST_GeomFromText(:w, {SRID}), 4326))"
            ),
            {"w": wkt_box(400, 0, 800, 400, multi=True)},
        )
        town_b = add_town(conn, code=TOWN_B[0], name=TOWN_B[1], district_name="北辰区")
        build_second_town(conn, town_b.id)
        for caller, (user, role, village) in USERS.items():
            _, token = create_user(
                conn,
                name=user,
                role=role,
                village_code=village,
                town_code=TOWN_B[0]
                if caller == "b_admin"
                else None
                if caller == "district"
                else "120113108",
                district_code="120113" if caller == "district" else None,
            )
            headers[caller] = {"Authorization": f"Bearer {token}"}
    engine.dispose()
    yield TownDatabase(url, headers)
    pg_server.drop(name)


B01_ISSUE = "B01-202405-0001"
"""The second town's issue."""


def build_second_town(conn: Any, town_id: int) -> None:
    """二号镇: village B01 (a 400 m square 20 km east of W01), one issue in it, scores."""
    conn.execute(
        text(
            "INSERT INTO village (town_id, code, name, geom) VALUES"
            f" (:t, 'B01', '北村', ST_Transform(ST_GeomFromText(:w, {SRID}), 4326))"
        ),
        {"t": town_id, "w": wkt_box(20_000, 0, 20_400, 400, multi=True)},
    )
    conn.execute(
        text(
            "INSERT INTO issue (town_id, code, category_code, description, geom, found_on,"
            " deadline, village_id) SELECT :t, :code, 'clutter', '二号镇的问题',"
            f" ST_Transform(ST_SetSRID(ST_MakePoint(:x, :y), {SRID}), 4326),"
            " '2024-05-06', '2024-06-06', v.id FROM village v WHERE v.code = 'B01'"
        ),
        {"t": town_id, "code": B01_ISSUE, "x": X0 + 20_200, "y": Y0 + 200},
    )
    conn.execute(
        text(
            "INSERT INTO observation_score (month, village_id, group_name, score)"
            " SELECT '2024-05-01', id, '第一组', 90 FROM village WHERE code = 'B01'"
        )
    )


@pytest.fixture(scope="module")
def photo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of the module (its photos go to photos/ inside)."""
    return tmp_path_factory.mktemp("photos")


@pytest.fixture(scope="module")
def town(town_db: TownDatabase, photo_root: Path) -> Iterator[Town]:
    """A client on the town (anonymous reads on, the default)."""
    engine = create_engine(town_db.url)
    with engine.connect() as conn:
        # 60 m east and 60 m north of W01's south-west corner: away from its roads and pond
        origin = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_SetSRID("
                f"ST_MakePoint(:x, :y), {SRID}), 4326) AS p) t"
            ),
            {"x": X0 + 60, "y": Y0 + 60},
        ).one()
    app = create_app(ServiceSettings(database_url=town_db.url, data_dir=photo_root))
    with TestClient(app) as client:
        yield Town(client, engine, town_db.headers, (origin[0], origin[1]))
    engine.dispose()


# ── what each row of the matrix sends (writes: prepared afresh for every caller) ──


def record_issue(t: Town) -> Req:
    return Req("POST", "/issues", {"json": t.issue_body()})


def upload_photo(kind: str) -> Callable[[Town], Req]:
    def prepare(t: Town) -> Req:
        issue = t.issue()
        files = {"file": ("p.jpg", jpeg(), "image/jpeg")}
        return Req(
            "POST", f"/issues/{issue['id']}/photos", {"files": files, "data": {"kind": kind}}
        )

    return prepare


def move(action: str, start: str) -> Callable[[Town], Req]:
    def prepare(t: Town) -> Req:
        issue = t.issue(start)
        body: dict[str, Any] = {"action": action, "version": issue["version"]}
        if action == "submit":
            body["photo_ids"] = [t.photo(issue["id"])]
        return Req("POST", f"/issues/{issue['id']}/transitions", {"json": body})

    return prepare


def open_round(t: Town) -> Req:
    t.rounds_made += 1
    return Req("POST", "/rounds", {"json": {"month": "2024-06", "team": f"第{t.rounds_made}组"}})


SCORE = {"month": "2024-05", "village": "W01", "group": "第一组", "score": 88}


def enter_scores(t: Town) -> Req:
    return Req("POST", "/scores", {"json": [SCORE]})


def upload_scores(t: Town) -> Req:
    csv = "month,village,group,score\n2024-05,W01,第一组,88\n"
    return Req("POST", "/scores/upload", {"files": {"file": ("s.csv", csv.encode(), "text/csv")}})


def enter_third_party(t: Town) -> Req:
    body = [{"village": "W01", "evaluated": True, "problems_found": 6, "problems_unrectified": 1}]
    return Req("POST", "/third-party/2024", {"json": body})


def upload_third_party(t: Town) -> Req:
    csv = "village,evaluated,problems_found,problems_unrectified\nW01,true,6,1\n"
    files = {"file": ("t.csv", csv.encode(), "text/csv")}
    return Req("POST", "/third-party/2024/upload", {"files": files})


def enter_honor(t: Town) -> Req:
    body = {"village": "W01", "awarded_on": "2024-06-01", "kind": "model_village"}
    return Req("POST", "/honors", {"json": body})


def upload_honors(t: Town) -> Req:
    csv = "village,date,kind\nW01,2024-06-01,model_village\n"
    return Req("POST", "/honors/upload", {"files": {"file": ("h.csv", csv.encode(), "text/csv")}})


def import_grids(t: Town) -> Req:
    csv = "village,name,leader\nW01,一网格,王五\n"
    files = {"file": ("grids.csv", csv.encode(), "text/csv")}
    return Req("POST", "/import/grids", {"files": files, "data": {"dry_run": "true"}})


def decide_site(t: Town) -> Req:
    return Req("PUT", f"/sites/{t.site_key()}/decision", {"json": {"decision": "chosen"}})


# ── reads (prepared once per row) ──


def get(path: str, **params: str) -> Callable[[Town], Req]:
    return lambda t: Req("GET", path, {"params": params})


def get_issue(t: Town) -> Req:
    return Req("GET", f"/issues/{t.issue()['id']}")


def get_photo(suffix: str) -> Callable[[Town], Req]:
    return lambda t: Req("GET", f"/photos/{t.photo(t.issue()['id'], 'before')}{suffix}")


def spread_then(prepare: Callable[[Town], Req]) -> Callable[[Town], Req]:
    """Issues in three 50 m cells of W01 first, so that Gi* has cells to compare."""

    def spread(t: Town) -> Req:
        for east_m in (0.0, 100.0, 200.0):
            t.as_admin("POST", "/issues", json=t.issue_body(east_m=east_m, north_m=100.0))
        return prepare(t)

    return spread


def scored(path: str) -> Callable[[Town], Req]:
    def prepare(t: Town) -> Req:
        t.scores()
        return Req("GET", path)

    return prepare


# fmt: off
MATRIX: dict[str, str] = {
    # route                                none bad  adm  insp own  oth  lead plan b_ad dist
    # b_ad (admin of 二号镇) meets W01's rows as if they did not exist: 404 by id, 422 for its
    # code (unknown), 422 for a point in W01 (outside its town); its own town's lists are 200.
    # dist (district reader) reads, writes nothing; per-town routes want ?town= (422 without),
    # and so does the anonymous development reader.
    "POST /issues":                        "401  401  201  201  403  403  403  403  422  403",
    "POST /issues/{id}/photos before":     "401  401  201  201  403  403  403  403  404  403",
    "POST /issues/{id}/photos after":      "401  401  201  201  201  403  403  403  404  403",
    "POST /issues/{id}/transitions submit":
                                           "401  401  200  403  200  403  403  403  404  403",
    "POST /issues/{id}/transitions close": "401  401  200  200  403  403  403  403  404  403",
    "POST /issues/{id}/transitions unrectified":
                                           "401  401  200  200  403  403  403  403  404  403",
    "POST /issues/{id}/transitions inadequate":
                                           "401  401  200  200  403  403  403  403  404  403",
    "POST /issues/{id}/transitions reopen":
                                           "401  401  200  200  403  403  403  403  404  403",
    "POST /rounds":                        "401  401  201  201  403  403  403  403  201  403",
    "POST /scores":                        "401  401  201  403  403  403  403  403  422  403",
    "POST /scores/upload":                 "401  401  201  403  403  403  403  403  422  403",
    "POST /third-party/{year}":            "401  401  201  403  403  403  403  403  422  403",
    "POST /third-party/{year}/upload":     "401  401  201  403  403  403  403  403  422  403",
    "POST /honors":                        "401  401  201  403  403  403  403  403  422  403",
    "POST /honors/upload":                 "401  401  201  403  403  403  403  403  422  403",
    "POST /import/{kind}":                 "401  401  200  403  403  403  403  403  422  403",
    "PUT /sites/{key}/decision":           "401  401  200  403  403  403  403  200  404  403",
    # reads: anonymous allowed (the default); W01's issues are not E01's business
    "GET /villages":                       "200  401  200  200  200  200  200  200  200  200",
    "GET /communities":                    "200  401  200  200  200  200  200  200  200  200",
    "GET /grids":                          "200  401  200  200  200  200  200  200  200  200",
    "GET /issues?village=W01":             "200  401  200  200  200  403  200  200  422  200",
    "GET /issues/{id}":                    "200  401  200  200  200  403  200  200  404  200",
    "GET /photos/{id}":                    "200  401  200  200  200  403  200  200  404  200",
    "GET /photos/{id}/thumbnail":          "200  401  200  200  200  403  200  200  404  200",
    "GET /rounds":                         "200  401  200  200  200  200  200  200  200  200",
    "GET /recheck?village=W01":            "200  401  200  200  200  403  200  200  422  200",
    "GET /rankings/month/{month}":         "422  401  200  200  200  200  200  200  200  422",
    "GET /rankings/year/{year}":           "422  401  200  200  200  200  200  200  200  422",
    "GET /rankings/year/{year}/what-if":   "422  401  200  200  200  200  200  200  404  422",
    "GET /indicators":                     "200  401  200  200  200  200  200  200  200  200",
    "GET /exports/issues.geojson":         "200  401  200  200  200  403  200  200  422  200",
    "GET /exports/issues.csv":             "200  401  200  200  200  403  200  200  422  200",
    "GET /exports/ledger.xlsx":            "200  401  200  200  200  403  200  200  422  200",
    "GET /exports/year/{year}.xlsx":       "422  401  200  200  200  200  200  200  200  422",
    "GET /tiles/issues?village=W01":       "200  401  200  200  200  403  200  200  422  200",
    "GET /tiles/villages":                 "200  401  200  200  200  200  200  200  200  200",
    "GET /maps/issues":                    "200  303  200  200  200  403  200  200  422  200",
    "GET /maps/status":                    "200  303  200  200  200  403  200  200  422  200",
    "GET /maps/hotspots":                  "200  303  200  200  200  403  200  200  422  200",
    "GET /maps/ranking":                   "422  303  200  200  200  200  200  200  200  422",
    # the sites are the planners' (and leaders') tool: a token is needed even to read them
    "GET /sites":                          "401  401  200  403  403  403  200  200  422  200",
    "GET /sites/map":                      "303  303  200  403  403  403  200  200  422  200",
    "GET /sites/chosen":                   "200  401  200  200  200  200  200  200  200  200",
    "GET / (dashboard)":                   "422  303  200  200  200  200  200  200  200  303",
    "GET /pages/villages/W01/visit":       "200  303  200  200  200  403  200  200  404  200",
}
# fmt: on

PREPARE: dict[str, Callable[[Town], Req]] = {
    "POST /issues": record_issue,
    "POST /issues/{id}/photos before": upload_photo("before"),
    "POST /issues/{id}/photos after": upload_photo("after"),
    "POST /issues/{id}/transitions submit": move("submit", "open"),
    "POST /issues/{id}/transitions close": move("close", "submitted"),
    "POST /issues/{id}/transitions unrectified": move("unrectified", "submitted"),
    "POST /issues/{id}/transitions inadequate": move("inadequate", "submitted"),
    "POST /issues/{id}/transitions reopen": move("reopen", "closed"),
    "POST /rounds": open_round,
    "POST /scores": enter_scores,
    "POST /scores/upload": upload_scores,
    "POST /third-party/{year}": enter_third_party,
    "POST /third-party/{year}/upload": upload_third_party,
    "POST /honors": enter_honor,
    "POST /honors/upload": upload_honors,
    "POST /import/{kind}": import_grids,
    "PUT /sites/{key}/decision": decide_site,
    "GET /villages": get("/villages"),
    "GET /communities": get("/communities"),
    "GET /grids": get("/grids"),
    "GET /issues?village=W01": get("/issues", village="W01"),
    "GET /issues/{id}": get_issue,
    "GET /photos/{id}": get_photo(""),
    "GET /photos/{id}/thumbnail": get_photo("/thumbnail"),
    "GET /rounds": get("/rounds"),
    "GET /recheck?village=W01": get("/recheck", month="2024-06", village="W01"),
    "GET /rankings/month/{month}": scored("/rankings/month/2024-05"),
    "GET /rankings/year/{year}": scored("/rankings/year/2024"),
    "GET /rankings/year/{year}/what-if": scored("/rankings/year/2024/what-if?village=W01"),
    "GET /indicators": get("/indicators"),
    "GET /exports/issues.geojson": get("/exports/issues.geojson", village="W01"),
    "GET /exports/issues.csv": get("/exports/issues.csv", village="W01"),
    "GET /exports/ledger.xlsx": get("/exports/ledger.xlsx", village="W01"),
    "GET /exports/year/{year}.xlsx": scored("/exports/year/2024.xlsx"),
    "GET /tiles/issues?village=W01": get("/tiles/issues/0/0/0.mvt", village="W01"),
    "GET /tiles/villages": get("/tiles/villages/0/0/0.mvt"),
    "GET /maps/issues": get("/maps/issues", village="W01"),
    "GET /maps/status": get("/maps/status", village="W01"),
    "GET /maps/hotspots": spread_then(
        get("/maps/hotspots", village="W01", grid="square", cell_m="50")
    ),
    "GET /maps/ranking": scored("/maps/ranking?month=2024-05"),
    "GET /sites": get("/sites", village="W01"),
    "GET /sites/map": get("/sites/map", village="W01"),
    "GET /sites/chosen": get("/sites/chosen"),
    "GET / (dashboard)": get("/"),
    "GET /pages/villages/W01/visit": get("/pages/villages/W01/visit", month="2024-06"),
}
WRITES = [route for route in MATRIX if not route.startswith("GET ")]
READS = [route for route in MATRIX if route.startswith("GET ")]


def expected(route: str) -> dict[str, int]:
    """The matrix row of `route`, caller by caller."""
    return dict(zip(CALLERS, (int(code) for code in MATRIX[route].split()), strict=True))


ERROR_CODES = {401: "unauthorized", 403: "forbidden"}


@pytest.mark.parametrize("route", list(MATRIX))
def test_authorization_matrix(town: Town, route: str) -> None:
    prepare = PREPARE[route]
    shared = prepare(town) if route in READS else None
    got: dict[str, int] = {}
    bodies: dict[str, str] = {}
    for caller in CALLERS:
        response = town.send(caller, shared or prepare(town))
        got[caller] = response.status_code
        if response.status_code in ERROR_CODES and is_page_path(response.request.url.path):
            # a person gets a page, never JSON
            assert "text/html" in response.headers["content-type"], (caller, route)
            assert "<html" in response.text and "无权访问" in response.text, (caller, route)
            bodies[caller] = "403 page"
        elif response.status_code == 303:
            # pages send nobody (or a bad token) to sign in first; the district reader's
            # overview is the district view
            location = response.headers["location"]
            if caller == "district":
                assert location.startswith("/pages/districts/120113"), (caller, route)
            else:
                assert location.startswith("/login?next="), (caller, route)
            bodies[caller] = response.headers["location"]
        elif response.status_code in ERROR_CODES:
            # one error model for refusals too
            body = response.json()
            bodies[caller] = body["error"]
            assert body["error"] == ERROR_CODES[response.status_code], (caller, body)
            assert body["message"], (caller, body)
        elif response.status_code >= 300:
            bodies[caller] = response.text[:300]
    assert got == expected(route), bodies


@pytest.mark.parametrize("route", WRITES)
def test_every_successful_write_records_who_did_it(town: Town, route: str) -> None:
    allowed = [caller for caller, code in expected(route).items() if code < 300]
    assert allowed
    for caller in allowed:
        name, role, _ = USERS[caller]
        req = PREPARE[route](town)
        with town.engine.connect() as conn:
            last = conn.execute(text("SELECT coalesce(max(id), 0) FROM audit_log")).scalar_one()
        response = town.send(caller, req)
        assert response.status_code < 300, (caller, response.text)
        with town.engine.connect() as conn:
            audit = conn.execute(
                text("SELECT actor, role, method, path, status FROM audit_log WHERE id > :last"),
                {"last": last},
            ).all()
            kept = RECORDED_BY[route](conn, req, response.json())
        assert [tuple(a) for a in audit] == [
            (name, role, req.method, req.path, response.status_code)
        ], caller
        assert kept in (None, name, f"{name} ({role})"), (caller, kept)


def _one(conn, sql: str, **params: Any) -> Any:  # type: ignore[no-untyped-def]
    return conn.execute(text(sql), params).scalar_one()


def _issue_id(req: Req) -> str:
    return req.path.split("/")[2]


RECORDED_BY: dict[str, Callable[[Any, Req, Any], str | None]] = {
    # where the write itself keeps its author (None: only the audit log does)
    "POST /issues": lambda conn, req, body: _one(
        conn, "SELECT actor FROM issue_event WHERE issue_id = :i AND kind = 'created'", i=body["id"]
    ),
    "POST /issues/{id}/photos before": lambda conn, req, body: _one(
        conn, "SELECT uploaded_by FROM photo WHERE id = :i", i=body["id"]
    ),
    "POST /issues/{id}/photos after": lambda conn, req, body: _one(
        conn, "SELECT uploaded_by FROM photo WHERE id = :i", i=body["id"]
    ),
    **{
        f"POST /issues/{{id}}/transitions {action}": lambda conn, req, body: _one(
            conn,
            "SELECT actor FROM issue_event WHERE id = :e AND issue_id = :i",
            e=body["event_id"],
            i=_issue_id(req),
        )
        for action in ("submit", "close", "unrectified", "inadequate", "reopen")
    },
    "POST /rounds": lambda conn, req, body: None,
    "POST /scores": lambda conn, req, body: _one(
        conn,
        "SELECT s.entered_by FROM observation_score s JOIN village v ON v.id = s.village_id"
        " WHERE v.code = 'W01' AND s.month = '2024-05-01' AND s.group_name = '第一组'",
    ),
    "POST /third-party/{year}": lambda conn, req, body: None,
    "POST /third-party/{year}/upload": lambda conn, req, body: None,
    "POST /honors": lambda conn, req, body: None,
    "POST /honors/upload": lambda conn, req, body: None,
    "POST /import/{kind}": lambda conn, req, body: None,
    "PUT /sites/{key}/decision": lambda conn, req, body: _one(
        conn, "SELECT decided_by FROM site_choice WHERE candidate_key = :k", k=body["candidate_key"]
    ),
}
RECORDED_BY["POST /scores/upload"] = RECORDED_BY["POST /scores"]


def test_the_issue_creator_is_also_its_finder(town: Town) -> None:
    created = town.send("inspector", record_issue(town))
    assert created.status_code == 201, created.text
    with town.engine.connect() as conn:
        found_by = _one(conn, "SELECT found_by FROM issue WHERE id = :i", i=created.json()["id"])
    assert found_by == "inspector"


def test_without_anonymous_reads_every_read_needs_a_token(
    town: Town, town_db: TownDatabase, photo_root: Path
) -> None:
    strict = create_app(
        ServiceSettings(database_url=town_db.url, anonymous_read=False, data_dir=photo_root)
    )
    got: dict[str, tuple[int, int, int]] = {}
    with TestClient(strict) as client:
        for route in READS:
            req = PREPARE[route](town)
            got[route] = tuple(  # type: ignore[assignment]
                client.request(
                    req.method,
                    req.path,
                    headers=town.headers[caller],
                    follow_redirects=False,
                    **req.kwargs,
                ).status_code
                for caller in ("none", "bad", "admin")
            )
        write = record_issue(town)
        no_token = client.request(write.method, write.path, **write.kwargs)
    assert got == {
        route: (303, 303, 200)
        if is_page_path(urlparse(PREPARE[route](town).path).path)
        else (401, 401, 200)
        for route in READS
    }
    assert no_token.status_code == 401 and no_token.json()["error"] == "unauthorized"


def test_a_village_user_sees_only_its_own_village(town: Town) -> None:
    west_issue = town.issue()["id"]
    east_issue = town.as_admin(
        "POST",
        "/issues",
        json=town.issue_body(east_m=520.0),  # W01 is 400 m wide: this is in E01
    ).json()
    assert east_issue["village"] == "E01"
    listed = town.send("other", Req("GET", "/issues")).json()["features"]
    assert east_issue["id"] in {f["properties"]["id"] for f in listed}
    assert {f["properties"]["village"] for f in listed} == {"E01"}
    exported = town.send("other", Req("GET", "/exports/issues.geojson")).json()["features"]
    assert east_issue["code"] in {f["properties"]["code"] for f in exported}
    assert {f["properties"]["village"] for f in exported} == {"E01"}
    ledger = town.send("other", Req("GET", "/exports/ledger.xlsx"))
    rows = load_workbook(io.BytesIO(ledger.content)).active.iter_rows(min_row=3, values_only=True)
    codes = [row[0] for row in rows]
    assert east_issue["code"] in codes and all(code.startswith("E01-") for code in codes)
    page = town.send("other", Req("GET", "/maps/issues"))
    assert east_issue["code"] in page.text and "W01-" not in page.text
    # …while the town office sees both
    everything = town.send("admin", Req("GET", "/issues")).json()["features"]
    assert {west_issue, east_issue["id"]} <= {f["properties"]["id"] for f in everything}


def test_a_refused_write_changes_nothing(town: Town) -> None:
    issue = town.issue("submitted")
    for caller in ("none", "bad", "own", "other", "leader", "planner"):
        response = town.send(
            caller,
            Req(
                "POST",
                f"/issues/{issue['id']}/transitions",
                {"json": {"action": "close", "version": issue["version"]}},
            ),
        )
        assert response.status_code in (401, 403), (caller, response.text)
    detail = town.send("admin", Req("GET", f"/issues/{issue['id']}")).json()["properties"]
    assert (detail["status"], detail["version"]) == ("submitted", issue["version"])
    assert [h["kind"] for h in detail["history"]] == ["created", "submitted"]
    with town.engine.connect() as conn:
        last = _one(conn, "SELECT max(id) FROM audit_log")
        audited = conn.execute(
            text("SELECT actor, path FROM audit_log WHERE id >= :last"), {"last": last}
        ).all()
    # the last audited write is the admin's submit; none of the refusals was recorded
    assert [tuple(a) for a in audited] == [("admin", f"/issues/{issue['id']}/transitions")]


def test_tokens_are_stored_hashed_and_a_revoked_token_is_refused(town: Town) -> None:
    with town.engine.begin() as conn:
        _, token = create_user(
            conn, name="temporary inspector", role="inspector", town_code="120113108"
        )
        stored = _one(conn, "SELECT token_hash FROM app_user WHERE name = 'temporary inspector'")
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored
    headers = {"Authorization": f"Bearer {token}"}
    body = town.issue_body()
    assert town.client.post("/issues", json=body, headers=headers).status_code == 201
    with town.engine.begin() as conn:
        deactivate_user(conn, "temporary inspector")
    refused = town.client.post("/issues", json=town.issue_body(), headers=headers)
    assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
    assert town.client.get("/issues", headers=headers).status_code == 401


def _codes(features: list[dict[str, Any]], key: str = "code") -> set[str]:
    return {f["properties"][key] for f in features}


def test_a_user_of_one_town_sees_nothing_of_the_other(town: Town) -> None:
    town.scores()
    a_issue = town.issue()
    with town.engine.connect() as conn:
        b_issue = str(_one(conn, "SELECT id FROM issue WHERE code = :c", c=B01_ISSUE))
    lon, lat = town.origin
    x8 = int((lon + 180) / 360 * 256)
    y8 = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 256)
    for caller, mine, theirs in (("admin", "W01", "B01"), ("b_admin", "B01", "W01")):
        listed = town.send(caller, Req("GET", "/issues")).json()["features"]
        assert {f["properties"]["village"] for f in listed} <= {mine, "E01"}, caller
        villages = _codes(town.send(caller, Req("GET", "/villages")).json()["features"])
        assert mine in villages and theirs not in villages, caller
        exported = town.send(caller, Req("GET", "/exports/issues.geojson")).json()["features"]
        assert all(not c.startswith(theirs) for c in _codes(exported)), caller
        ledger = town.send(caller, Req("GET", "/exports/ledger.xlsx"))
        sheet = load_workbook(io.BytesIO(ledger.content)).active
        codes = [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)]
        assert codes and not any(str(c).startswith(theirs) for c in codes), caller
        page = town.send(caller, Req("GET", "/maps/issues")).text
        assert f"{theirs}-" not in page, caller
        ranking = town.send(caller, Req("GET", "/rankings/month/2024-05")).json()
        ranked = {r["village"] for r in ranking["ranking"]}
        assert mine in ranked and theirs not in ranked, caller
        indicators = {r["village"] for r in town.send(caller, Req("GET", "/indicators")).json()}
        assert mine in indicators and theirs not in indicators, caller
        # OGC API Features: the same scope as the lists
        for collection, key in (
            ("villages", "code"),
            ("issues", "village"),
            ("roads", "village_code"),
        ):
            ogc = town.send(caller, Req("GET", f"/ogc/collections/{collection}/items"))
            assert ogc.status_code == 200, (caller, collection, ogc.text)
            assert theirs not in _codes(ogc.json()["features"], key), (caller, collection)
        ogc_villages = town.send(caller, Req("GET", "/ogc/collections/villages/items")).json()
        assert mine in _codes(ogc_villages["features"]), caller
        # tiles: the z8 tile (~150 km) around both towns holds the caller's town only
        tile = town.send(caller, Req("GET", f"/tiles/villages/8/{x8}/{y8}.mvt"))
        layer = mapbox_vector_tile.decode(tile.content)["villages"]["features"]
        assert mine in _codes(layer) and theirs not in _codes(layer), caller
    # by id: 404, the same answer as for an id that never existed
    for caller, other in (("admin", b_issue), ("b_admin", a_issue["id"])):
        response = town.send(caller, Req("GET", f"/issues/{other}"))
        assert response.status_code == 404 and response.json()["error"] == "not_found"
    # another town's ranking by code is as unknown as a code that does not exist
    refused = town.send(
        "admin", Req("GET", "/rankings/month/2024-05", {"params": {"town": TOWN_B[0]}})
    )
    assert refused.status_code == 404, refused.text
    # the district reader sees both towns, and picks one for a ranking
    both = {
        f["properties"]["village"]
        for f in town.send("district", Req("GET", "/issues")).json()["features"]
    }
    assert {"W01", "B01"} <= both
    for code, village in (("120113108", "W01"), (TOWN_B[0], "B01")):
        ranking = town.send(
            "district", Req("GET", "/rankings/month/2024-05", {"params": {"town": code}})
        ).json()
        assert village in {r["village"] for r in ranking["ranking"]}, code
    # and writes nothing, not even where its role could in a town
    refused = town.send("district", Req("POST", "/issues", {"json": town.issue_body()}))
    assert refused.status_code == 403


def test_a_new_point_of_one_town_is_never_placed_in_the_other(town: Town) -> None:
    """An admin of 二号镇 recording a point in W01: refused (outside its town), nothing
    written, and the rebound/duplicate look-ups never name the other town's issues."""
    with town.engine.connect() as conn:
        before = _one(conn, "SELECT count(*) FROM issue")
    body = town.issue_body(east_m=5.0, north_m=5.0)
    refused = town.send("b_admin", Req("POST", "/issues", {"json": body}))
    assert refused.status_code == 422 and refused.json()["error"] == "outside_town"
    assert "W01" not in refused.json()["message"]
    with town.engine.connect() as conn:
        assert _one(conn, "SELECT count(*) FROM issue") == before
