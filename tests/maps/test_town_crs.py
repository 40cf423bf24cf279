"""Each town is measured in its own metric CRS (issue 13.1: "a town 200 km away lies in
another Gauss-Krüger zone"), not in the deployment's CUNRONG_METRIC_SRID.

Two towns: 大张庄镇 (the first town, EPSG:4527, CGCS2000 3° zone 39, central meridian
117° E) with the plain square village A01, and 二号镇 whose row says EPSG:4528 (zone 40,
central meridian 120° E) holding the hand-built village W01 of tests/sites (roads, an
entrance, issues) and a cluster of open issues. Whatever is drawn of 二号镇 — hot spot cells,
site candidates, the recheck walk — is laid out in 4528:

- square hot spot cells of 100 m are exact 100 m squares on 4528's axes. Laid out in 4527
  they would be turned by the difference of the zones' meridian convergence (about
  3° × sin 39.3° ≈ 1.9°), so their 4528 bounding boxes would be ≈ 100 × (cos 1.9° + sin 1.9°)
  ≈ 103 m wide;
- the site finder's areas and lengths are those of a run forced to 4528 (4528's scale at
  117.2° E, 2.8° off its meridian, is ≈ 1 + (2.8° in rad × cos 39.3°)² / 2 ≈ 1.0007 larger
  than 4527's, so the numbers differ);
- the recheck list's metric coordinates are 4528's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import Engine, create_engine, text

from geo import issue_reader
from geo.issue_filter import IssueFilter
from geo.recheck import DUE_STATUSES
from geo.sites import find_candidates
from geo.sites.inputs import load_site_inputs
from geo.towns import add_town, use_town
from service.cli import app
from service.mapviews import town_hotspots
from tests.cli import runner_for
from tests.sites.village import SRID, X0, Y0, build_village
from tests.town import add_square_village

OTHER_SRID = 4528
B = ("120113901", "二号镇")


@dataclass(frozen=True)
class Towns:
    url: str
    engine: Engine
    a: int
    b: int


@pytest.fixture(scope="module")
def towns(pg_server, migrated_template) -> Iterator[Towns]:
    name = pg_server.create(template=migrated_template)
    url = pg_server.url_of(name)
    engine = create_engine(url)
    with engine.begin() as conn:
        a = conn.execute(text("SELECT id FROM town")).scalar_one()
        assert conn.execute(text("SELECT metric_srid FROM town")).scalar_one() == SRID
        add_square_village(conn, "A01", "甲村", west=117.10, east=117.11)
        b = add_town(conn, code=B[0], name=B[1], district_name="北辰区", metric_srid=OTHER_SRID)
        use_town(conn, b.id)
        build_village(conn)
        for n in range(12):  # a cluster of open issues in W01's north-east
            conn.execute(
                text(
                    "INSERT INTO issue (code, category_code, geom, village_id, found_on,"
                    " deadline) SELECT :code, 'clutter', ST_Transform(ST_SetSRID("
                    f"ST_MakePoint(:x, :y), {SRID}), 4326), v.id, '2024-04-02', '2024-04-20'"
                    " FROM village v WHERE v.code = 'W01'"
                ),
                {"code": f"W01-202404-01{n:02d}", "x": X0 + 300 + 5 * n, "y": Y0 + 300 + 3 * n},
            )
    yield Towns(url, engine, a, b.id)
    engine.dispose()
    pg_server.drop(name)


def _bounds_in(cells, srid: int) -> list[tuple[float, float]]:
    boxes = cells.to_crs(srid).geometry
    return [(g.bounds[2] - g.bounds[0], g.bounds[3] - g.bounds[1]) for g in boxes]


def test_hot_spot_cells_of_a_town_are_laid_out_in_its_crs(towns: Towns) -> None:
    with towns.engine.connect() as conn:
        cells = town_hotspots(conn, IssueFilter(towns=(towns.b,)), grid="square", cell_m=100)
        both = town_hotspots(conn, IssueFilter(), grid="square", cell_m=100)
    assert set(cells["metric_srid"]) == {OTHER_SRID} and set(cells["town"]) == {B[0]}
    for width, height in _bounds_in(cells, OTHER_SRID):
        assert width == pytest.approx(100, abs=1e-3) and height == pytest.approx(100, abs=1e-3)
    # in the other zone the same cells are turned: ≈ 103 m wide boxes
    widths = [w for w, _ in _bounds_in(cells, SRID)]
    assert min(widths) > 102.5
    assert int(cells["count"].sum()) > 12  # the cluster and W01's own issues
    # both towns at once (a district reader, the CLI over every town): each in its own CRS
    assert dict(both.groupby("town")["metric_srid"].first()) == {
        "120113108": SRID,
        B[0]: OTHER_SRID,
    }
    a_cells = both[both["town"] == "120113108"]
    assert all(w == pytest.approx(100, abs=1e-3) for w, _ in _bounds_in(a_cells, SRID))
    assert both.attrs["points"] == cells.attrs["points"]  # A01 has no issue


def test_the_site_finder_measures_in_the_towns_crs(towns: Towns) -> None:
    with towns.engine.connect() as conn:
        inputs = load_site_inputs(conn, villages=["W01"])
        own = find_candidates(conn, villages=["W01"])
        forced = find_candidates(conn, villages=["W01"], srid=OTHER_SRID)
        zone_39 = find_candidates(conn, villages=["W01"], srid=SRID)
        everywhere = find_candidates(conn)
    assert inputs.srid == OTHER_SRID and inputs.villages.crs.to_epsg() == OTHER_SRID
    assert len(own) > 0
    columns = ["candidate_key", "area_m2", "length_m"]
    assert own[columns].equals(forced[columns])
    assert not own[columns].equals(zone_39[columns])
    # over every town: W01's candidates are the same (town by town, each in its CRS)
    mine = everywhere[everywhere["village_code"] == "W01"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        mine[columns], own[columns].reset_index(drop=True), check_dtype=False
    )


def test_the_recheck_walk_is_in_the_towns_crs(towns: Towns) -> None:
    with towns.engine.connect() as conn:
        rows = issue_reader.due_for_recheck(
            conn, before=date(2024, 5, 1), statuses=DUE_STATUSES, towns=(towns.b,)
        )
        expected = {
            r.code: (r.x, r.y)
            for r in conn.execute(
                text(
                    f"SELECT code, ST_X(ST_Transform(geom, {OTHER_SRID})) AS x,"
                    f" ST_Y(ST_Transform(geom, {OTHER_SRID})) AS y FROM issue"
                )
            )
        }
    assert rows
    for r in rows:
        assert (r["x"], r["y"]) == pytest.approx(expected[r["code"]])
        assert shapely.Point(r["x"], r["y"]).x > 40_000_000  # zone 40's false easting


def test_map_commands_take_the_town(towns: Towns, tmp_path: Path) -> None:
    runner = runner_for(towns.url)
    out = tmp_path / "b.html"
    for command in ("issues", "status", "hotspots"):
        refused = runner.invoke(app, ["map", command, "-o", str(out)])
        assert refused.exit_code == 1, refused.output
        assert "say which town" in refused.output and B[0] in refused.output
        done = runner.invoke(
            app,
            ["map", command, "-o", str(out), "--town", B[0], "--grid", "square"]
            if command == "hotspots"
            else ["map", command, "-o", str(out), "--town", B[0]],
        )
        assert done.exit_code == 0, done.output
        html = out.read_text(encoding="utf-8")
        assert "试点村" in html and "甲村" not in html, command


def test_region_export_takes_towns(towns: Towns, tmp_path: Path) -> None:
    runner = runner_for(towns.url)
    done = runner.invoke(app, ["region", "export", str(tmp_path / "b"), "--town", B[1]])
    assert done.exit_code == 0, done.output
    assert pd.read_parquet(tmp_path / "b" / "towns.parquet")["code"].tolist() == [B[0]]
    villages = pd.read_parquet(tmp_path / "b" / "villages.parquet")
    assert villages["code"].tolist() == ["W01"]
    issues = pd.read_parquet(tmp_path / "b" / "issues")
    assert len(issues) == 15 and set(issues["code"].str[:3]) == {"W01"}  # 3 built + 12
    every = runner.invoke(app, ["region", "export", str(tmp_path / "all")])
    assert every.exit_code == 0, every.output
    assert "2 towns, 2 villages, 15 issues" in every.output
    unknown = runner.invoke(app, ["region", "export", str(tmp_path / "x"), "--town", "999999999"])
    assert unknown.exit_code == 1 and "no town '999999999'" in unknown.output


def test_region_hot_spots_take_each_towns_crs(towns: Towns, tmp_path: Path) -> None:
    """The exported towns carry their metric CRS; `cunrong region run` lays each town's
    square cells out in it (here: the per-partition step, on the exported files)."""
    import geopandas as gpd

    from geo.region.analysis import hotspots_town
    from geo.region.inputs import read_town_srids, read_villages
    from geo.region.place import Villages

    root = tmp_path / "region"
    done = runner_for(towns.url).invoke(app, ["region", "export", str(root)])
    assert done.exit_code == 0, done.output
    srids = read_town_srids(root)
    assert srids == {towns.a: SRID, towns.b: OTHER_SRID}
    issues = gpd.read_parquet(root / "issues")
    mine = issues[issues["town_id"] == towns.b]
    xy = np.column_stack([mine.geometry.x.to_numpy(), mine.geometry.y.to_numpy()])
    cells = hotspots_town(
        towns.b,
        Villages(read_villages(root)),
        xy[: len(xy) // 2],  # the town's points, as they come from two partitions
        xy[len(xy) // 2 :],
        grid="square",
        resolution=9,
        cell_m=100,
        metric_srid=SRID,
        town_srids=srids,
    )
    assert len(cells) > 3 and set(cells["town_id"]) == {towns.b}
    for width, height in _bounds_in(cells, OTHER_SRID):
        assert width == pytest.approx(100, abs=1e-3) and height == pytest.approx(100, abs=1e-3)


EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


def test_the_ogc_api_offers_each_caller_its_towns_metric_crs(towns: Towns, tmp_path: Path) -> None:
    """A user of 二号镇 is offered (and gets features in) EPSG:4528, not the deployment's
    4527; a user of the first town the reverse; a district reader both."""
    from fastapi.testclient import TestClient

    from geo.users import create_user
    from service.app import create_app
    from service.settings import ServiceSettings

    with towns.engine.begin() as conn:
        headers = {
            who: {"Authorization": f"Bearer {create_user(conn, **kw)[1]}"}
            for who, kw in {
                "a": {"name": "ogc-a", "role": "admin", "town_code": "120113108"},
                "b": {"name": "ogc-b", "role": "admin", "town_code": B[0]},
                "district": {"name": "ogc-d", "role": "leader", "district_code": "120113"},
            }.items()
        }
        expected = {
            r.code: (r.x, r.y)
            for r in conn.execute(
                text(
                    f"SELECT code, ST_X(ST_Transform(geom, {OTHER_SRID})) AS x,"
                    f" ST_Y(ST_Transform(geom, {OTHER_SRID})) AS y FROM issue"
                )
            )
        }
    settings = ServiceSettings(database_url=towns.url, data_dir=tmp_path, anonymous_read=False)
    assert settings.metric_srid == SRID  # the deployment's default is the first town's
    with TestClient(create_app(settings)) as client:

        def offered(who: str) -> set[str]:
            found = client.get("/ogc/collections/issues", headers=headers[who])
            assert found.status_code == 200, found.text
            listed = client.get("/ogc/collections", headers=headers[who]).json()
            assert all(c["crs"] == found.json()["crs"] for c in listed["collections"])
            return set(found.json()["crs"])

        base = {"http://www.opengis.net/def/crs/OGC/1.3/CRS84", EPSG.format(4326)}
        base.add(EPSG.format(4490))
        assert offered("b") == base | {EPSG.format(OTHER_SRID)}
        assert offered("a") == base | {EPSG.format(SRID)}
        assert offered("district") == base | {EPSG.format(SRID), EPSG.format(OTHER_SRID)}

        page = client.get(
            "/ogc/collections/issues/items",
            params={"crs": EPSG.format(OTHER_SRID), "limit": 100},
            headers=headers["b"],
        )
        assert page.status_code == 200, page.text
        assert page.headers["Content-Crs"] == f"<{EPSG.format(OTHER_SRID)}>"
        features = page.json()["features"]
        assert len(features) == 15  # W01's 3 and the cluster's 12: all of 二号镇's
        for f in features:
            northing, easting = f["geometry"]["coordinates"]  # EPSG:4528: northing first
            assert (easting, northing) == pytest.approx(expected[f["properties"]["code"]], abs=1e-3)
            assert easting > 40_000_000  # zone 40's false easting
        village = client.get(
            "/ogc/collections/villages/items",
            params={"crs": EPSG.format(OTHER_SRID)},
            headers=headers["b"],
        )
        assert village.status_code == 200 and [f["id"] for f in village.json()["features"]] == [
            "W01"
        ]
        # the other town's CRS is not the caller's: refused, naming the parameter and
        # listing the caller's own
        refused = client.get(
            "/ogc/collections/issues/items",
            params={"crs": EPSG.format(SRID)},
            headers=headers["b"],
        )
        assert refused.status_code == 422, refused.text
        assert "crs" in refused.text and EPSG.format(OTHER_SRID) in refused.text
        box = client.get(
            "/ogc/collections/villages/items",
            params={"bbox": "0,0,1,1", "bbox-crs": EPSG.format(OTHER_SRID)},
            headers=headers["a"],
        )
        assert box.status_code == 422 and "bbox-crs" in box.text
        # the extent is the caller's town's: 二号镇's W01 lies near 117.2° E, A01 at 117.10
        extent_b = client.get("/ogc/collections/villages", headers=headers["b"]).json()
        west_b = extent_b["extent"]["spatial"]["bbox"][0][0]
        extent_a = client.get("/ogc/collections/villages", headers=headers["a"]).json()
        assert extent_a["extent"]["spatial"]["bbox"][0][0] == pytest.approx(117.10)
        assert west_b > 117.11


def test_qgis_project_is_in_the_towns_metric_crs(towns: Towns, tmp_path: Path) -> None:
    import zipfile
    from xml.etree import ElementTree as ET

    runner = runner_for(towns.url)
    out = tmp_path / "b.qgz"

    def project(*args: str) -> ET.Element:
        done = runner.invoke(app, ["qgis-project", "-o", str(out), *args])
        assert done.exit_code == 0, done.output
        with zipfile.ZipFile(out) as archive:
            (name,) = [n for n in archive.namelist() if n.endswith(".qgs")]
            return ET.fromstring(archive.read(name))

    refused = runner.invoke(app, ["qgis-project", "-o", str(out)])
    assert refused.exit_code == 1 and "say which town" in refused.output
    assert B[0] in refused.output and not out.exists()
    unknown = runner.invoke(app, ["qgis-project", "-o", str(out), "--town", "999999999"])
    assert unknown.exit_code == 1 and "no town '999999999'" in unknown.output
    assert not out.exists()

    b = project("--town", B[1])
    assert b.findtext("./projectCrs/spatialrefsys/authid") == f"EPSG:{OTHER_SRID}"
    assert b.findtext("title") == B[1]
    a = project("--town", "120113108")
    assert a.findtext("./projectCrs/spatialrefsys/authid") == f"EPSG:{SRID}"
    assert a.findtext("title") == "大张庄镇"
    cgcs = project("--town", B[0], "--crs", "4490")
    assert cgcs.findtext("./projectCrs/spatialrefsys/authid") == "EPSG:4490"
