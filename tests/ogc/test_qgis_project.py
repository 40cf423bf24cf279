"""`cunrong qgis-project`: the .qgz's layers read the /ogc collections, styled as the maps."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

from sqlalchemy import create_engine, text

from service.cli import app
from tests.cli import runner_for
from tests.ogc.conftest import LiveTown
from tests.ogc.test_qgis import run_qgis

COLLECTIONS = {"villages", "grids", "communities", "issues", "roads", "sites"}


def _rgba(hex_colour: str) -> str:
    h = hex_colour.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},255"


def _write(town: LiveTown, out: Path, *args: str) -> ET.Element:
    result = runner_for(town.db_url).invoke(
        app, ["qgis-project", "-o", str(out), "--url", town.base, *args]
    )
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".qgs")]
        return ET.fromstring(archive.read(name))


def test_project_layers_point_at_the_collections_with_the_map_colours(
    live_town: LiveTown, tmp_path: Path
):
    root = _write(live_town, tmp_path / "town.qgz")
    layers = root.findall("./projectlayers/maplayer")
    sources = {lyr.findtext("id"): lyr.findtext("datasource") for lyr in layers}
    assert len(sources) == len(COLLECTIONS)
    seen = set()
    for layer in layers:
        assert layer.findtext("provider") == "OAPIF"
        source = layer.findtext("datasource")
        assert source.startswith(f"url='{live_town.base}/ogc' typename='")
        seen.add(source.split("typename='")[1].split("'")[0])
    assert seen == COLLECTIONS
    assert root.findtext("./projectCrs/spatialrefsys/authid") == "EPSG:4527"
    tree_sources = {n.get("source") for n in root.iter("layer-tree-layer")}
    assert tree_sources == set(sources.values())

    issues = next(lyr for lyr in layers if "typename='issues'" in lyr.findtext("datasource"))
    assert issues.findtext("layername") == "问题点位"
    renderer = issues.find("renderer-v2")
    assert renderer.get("type") == "categorizedSymbol" and renderer.get("attr") == "category"
    engine = create_engine(live_town.db_url)
    with engine.connect() as conn:
        colours = dict(conn.execute(text("SELECT code, color FROM category")).all())
        labels = dict(conn.execute(text("SELECT code, label_zh FROM category")).all())
    engine.dispose()
    drawn = {}
    for category in renderer.iter("category"):
        symbol = renderer.find(f"./symbols/symbol[@name='{category.get('symbol')}']")
        fill = symbol.find("./layer/prop[@k='color']").get("v")
        drawn[category.get("value")] = fill
        assert category.get("label") == labels[category.get("value")]
    assert drawn == {code: _rgba(c) for code, c in colours.items()}
    status_rule = issues.find(".//Option[@name='outlineColor']/Option[@name='expression']")
    assert "'unrectified' THEN '#c00000'" in status_rule.get("value")
    assert issues.get("labelsEnabled") == "1"
    villages = next(lyr for lyr in layers if lyr.findtext("layername") == "村界")
    assert villages.find(".//labeling/settings/text-style").get("fieldName") == "name"
    assert villages.find(".//prop[@k='outline_color']").get("v") == _rgba("#3a3a3a")

    root = _write(live_town, tmp_path / "cgcs.qgz", "--crs", "4490", "--authcfg", "cr0ogc1")
    assert root.findtext("./projectCrs/spatialrefsys/authid") == "EPSG:4490"
    assert all(
        lyr.findtext("datasource").endswith(" authcfg=cr0ogc1") for lyr in root.iter("maplayer")
    )


def test_bad_options_are_refused(live_town: LiveTown, tmp_path: Path):
    runner = runner_for(live_town.db_url)
    out = tmp_path / "x.qgz"
    bad_url = runner.invoke(app, ["qgis-project", "-o", str(out), "--url", "ftp://x"])
    assert bad_url.exit_code == 1 and "url" in bad_url.output
    bad_name = runner.invoke(app, ["qgis-project", "-o", str(tmp_path / "x.txt")])
    assert bad_name.exit_code == 1 and ".qgz" in bad_name.output
    assert not out.exists()


def test_qgis_opens_the_project_and_counts_features(live_town: LiveTown, tmp_path: Path):
    path = tmp_path / "town.qgz"
    _write(live_town, path)
    read = run_qgis("project", str(path), live_town.tokens["office"])
    assert read["read"] is True, read
    assert read["crs"] == "EPSG:4527"
    by_name = {layer["name"]: layer for layer in read["layers"]}
    assert set(by_name) == {"问题点位", "小微景观（已选定）", "道路", "网格", "村界", "党建共同体"}
    assert all(layer["valid"] for layer in read["layers"]), read
    engine = create_engine(live_town.db_url)
    with engine.connect() as conn:
        issues = conn.execute(text("SELECT count(*) FROM issue")).scalar_one()
        villages = conn.execute(text("SELECT count(*) FROM village")).scalar_one()
        colours = dict(conn.execute(text("SELECT code, color FROM category")).all())
    engine.dispose()
    assert by_name["问题点位"]["count"] == issues
    assert by_name["村界"]["count"] == villages
    assert by_name["问题点位"]["renderer"] == "categorizedSymbol"
    assert by_name["问题点位"]["categories"] == {k: v.lower() for k, v in colours.items()}
    assert by_name["村界"]["labels"] is True
