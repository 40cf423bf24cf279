"""Getis-Ord Gi* checked against grids worked by hand, then drawn in a browser."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pytest
from scipy import sparse
from shapely.geometry import Point, box

from geo.errors import InvalidInput
from geo.hotspots import classify, gi_star, hex_cells, hotspots, neighbours, square_cells, summary
from geo.maps.hotspots import hotspot_map
from tests.browser import Browser
from tests.maps import town
from tests.maps.conftest import save


def _strip(values: list[float]) -> gpd.GeoDataFrame:
    """Cells in one row (r0c0 … r0cN), as square_cells would make them."""
    n = len(values)
    return gpd.GeoDataFrame(
        {"cell": [f"r0c{i}" for i in range(n)], "row": [0] * n, "col": list(range(n))},
        geometry=[box(i, 0, i + 1, 1) for i in range(n)],
        crs=4326,
    )


def test_gi_star_on_a_strip_of_four_worked_by_hand():
    # x = 4, 2, 0, 2: n = 4, mean 2, S = sqrt((16+4+0+4)/4 − 4) = √2.
    # Cell a, N = {a, b}: (6 − 2·2) / (√2 · √((4·2 − 4)/3)) = 2 / (2√(2/3)) = √(3/2).
    # Cell b, N = {a, b, c}: 6 − 2·3 = 0.
    # Cell c, N = {b, c, d}: (4 − 6) / (√2 · √((12 − 9)/3)) = −√2.
    # Cell d, N = {c, d}: (2 − 4) / (2√(2/3)) = −√(3/2).
    z = gi_star(np.array([4.0, 2.0, 0.0, 2.0]), neighbours(_strip([4, 2, 0, 2])))
    assert z == pytest.approx([math.sqrt(1.5), 0.0, -math.sqrt(2), -math.sqrt(1.5)])


def test_queen_weights_on_three_by_three_include_the_cell_itself():
    cells = gpd.GeoDataFrame(
        {
            "cell": [f"r{r}c{c}" for r in range(3) for c in range(3)],
            "row": [r for r in range(3) for _ in range(3)],
            "col": [c for _ in range(3) for c in range(3)],
        },
        geometry=[box(c, r, c + 1, r + 1) for r in range(3) for c in range(3)],
        crs=4326,
    )
    w = neighbours(cells)
    sizes = np.asarray(w.sum(axis=1)).ravel()
    assert sizes.tolist() == [4, 6, 4, 6, 9, 6, 4, 6, 4]
    assert all(w[i, i] == 1 for i in range(9))


def test_hexagon_neighbours_are_the_ring_of_six():
    centre = h3.latlng_to_cell(39.13, 117.23, 9)
    cells = gpd.GeoDataFrame(
        {"cell": sorted(h3.grid_disk(centre, 2))}, geometry=[Point(0, 0)] * 19, crs=4326
    )
    w = neighbours(cells)
    i = cells.index[cells["cell"] == centre][0]
    assert int(w[[i], :].sum()) == 7


def test_a_constant_field_has_no_hot_spot():
    z = gi_star(np.full(6, 3.0), sparse.identity(6, format="csr"))
    assert np.all(z == 0)


def test_significance_classes():
    p, spot, conf = classify(np.array([2.7, 2.0, 1.7, 0.5, -1.7, -2.0, -2.7]))
    assert spot.tolist() == ["hot", "hot", "hot", "none", "cold", "cold", "cold"]
    assert conf.tolist() == [99, 95, 90, 0, 90, 95, 99]
    assert p[0] == pytest.approx(0.00693, abs=1e-4)


def test_a_cluster_of_issues_is_a_hot_spot():
    villages = town.villages()
    rng = np.random.default_rng(1)
    spread = town.issues(300)
    cluster = gpd.GeoDataFrame(
        geometry=[Point(117.23 + dx, 39.13 + dy) for dx, dy in rng.normal(0, 0.0008, (120, 2))],
        crs=4326,
    )
    points = gpd.GeoDataFrame(geometry=list(spread.geometry) + list(cluster.geometry), crs=4326)
    result = hotspots(points, villages)
    centre = h3.latlng_to_cell(39.13, 117.23, 9)
    row = result.set_index("cell").loc[centre]
    assert row["spot"] == "hot" and row["confidence"] == 99
    assert result.attrs["points"] == 420 and result.attrs["outside"] == 0
    table = summary(result)
    assert table.loc["hot 99%", "issues"] >= 100


def test_square_grid_and_bad_parameters():
    cells = square_cells(town.villages(), cell_m=500)
    assert {"cell", "row", "col"} <= set(cells.columns) and cells.crs.to_epsg() == 4326
    assert len(hex_cells(town.villages(), resolution=8)) < len(hex_cells(town.villages()))
    with pytest.raises(InvalidInput, match="H3 resolution"):
        hex_cells(town.villages(), resolution=15)
    with pytest.raises(InvalidInput, match="grid 'hex' or 'square'"):
        hotspots(town.issues(10), town.villages(), grid="tri")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="study area is empty"):
        hotspots(town.issues(10), town.villages().iloc[:0])


@pytest.mark.browser
def test_hotspot_map_in_the_browser(tmp_path: Path, browser: Browser, shots: Path):
    issues = town.issues(600)
    cells = hotspots(issues, town.villages())
    m = hotspot_map(issues, cells, villages=town.villages(), basemap="plain")
    page = browser.open(save(m, tmp_path / "hot.html"))
    browser.wait_for_map(page)
    browser.screenshot(page, shots / "hotspots.png")
    assert page.locator("path.cr-cell").count() == len(cells)
    assert page.locator("canvas.leaflet-heatmap-layer").count() == 1
    legend = page.locator(".cr-legend").inner_text()
    assert "不显著" in legend and "Getis-Ord Gi*" in legend and "p < 0.05" in legend
    hot = int((cells["spot"] == "hot").sum())
    assert page.locator("path.cr-cell-hot99, path.cr-cell-hot95, path.cr-cell-hot90").count() == hot
    browser.close_page(page)
