"""A worker gives back the memory of a big upload (service.memory), on glibc."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import gc, json, math, sys
import pyogrio
from service.memory import give_memory_back

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

n = 200_000
ring = [[117.1 + 0.01 * math.cos(2 * math.pi * i / n), 39.3 + 0.01 * math.sin(2 * math.pi * i / n)]
        for i in range(n)]
ring.append(ring[0])
path = sys.argv[1]
with open(path, "w") as f:
    json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
               "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, f)
del ring
gc.collect()
frame = pyogrio.read_dataframe(path)
del frame
gc.collect()
kept = rss_mb()
give_memory_back()
print(kept, rss_mb())
"""


def test_the_memory_of_a_big_geojson_read_goes_back_to_the_os(tmp_path):
    # GDAL parses the 8 MB feature into a JSON tree of ≈ 100 MB, freed but kept by glibc
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "big.geojson")],
        capture_output=True,
        text=True,
        check=True,
    )
    kept, after = (float(x) for x in done.stdout.split())
    assert kept - after > 50, (kept, after)


def test_a_worker_starts_without_the_classification_and_plotting_libraries() -> None:
    """mapclassify (with scikit-learn and matplotlib) and SciPy's stats take ≈ 100 MB and
    over a second per process: a worker loads them when it first draws a ranking or a hot
    spot map, not when it starts."""
    code = (
        "import sys\n"
        "from service.app import create_app\n"
        "create_app()\n"
        "heavy = ('mapclassify', 'sklearn', 'matplotlib', 'scipy.stats')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout
