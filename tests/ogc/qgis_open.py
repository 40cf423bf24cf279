"""Open OGC API layers (or a .qgz project) in QGIS, headless; print what was read as JSON.

Run by the tests with the system Python (Debian's python3-qgis), never imported by pytest:

    python3 tests/ogc/qgis_open.py layers BASE_URL TOKEN COLLECTION [COLLECTION …]
    python3 tests/ogc/qgis_open.py basic BASE_URL TOKEN COLLECTION
    python3 tests/ogc/qgis_open.py project FILE.qgz TOKEN
    python3 tests/ogc/qgis_open.py render FILE.qgz TOKEN OUT.png   (docs/qgis.png)

`layers` and `project` send the token as `Authorization: Bearer …` (a request
preprocessor: what an API-header authentication does); `basic` puts it in the layer's
source as the Basic password (the authentication QGIS 3.22 offers).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsNetworkAccessManager,
    QgsProject,
    QgsVectorLayer,
)


def _describe(layer: QgsVectorLayer) -> dict:
    out: dict = {
        "name": layer.name(),
        "valid": layer.isValid(),
        "provider": layer.providerType(),
        "crs": layer.crs().authid(),
    }
    if layer.isValid():
        features = list(layer.getFeatures())
        out["count"] = len(features)
        names = layer.fields().names()
        out["fields"] = names
        if "village" in names:
            out["villages"] = sorted({str(f["village"]) for f in features})
        renderer = layer.renderer()
        out["renderer"] = renderer.type() if renderer else None
        if renderer is not None and renderer.type() == "categorizedSymbol":
            out["categories"] = {
                str(c.value()): c.symbol().color().name() for c in renderer.categories()
            }
        out["labels"] = bool(layer.labelsEnabled())
    else:
        out["error"] = layer.error().summary()
    return out


def _render(path: str, out: str) -> bool:
    """Draw the project's layers over the villages' extent into a 1400×1000 PNG."""
    from qgis.core import QgsCoordinateTransform, QgsMapRendererParallelJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    project = QgsProject.instance()
    project.read(path)
    layers = [node.layer() for node in project.layerTreeRoot().findLayers()]
    villages = next(lyr for lyr in layers if "typename='villages'" in lyr.source())
    to_project = QgsCoordinateTransform(villages.crs(), project.crs(), project)
    extent = to_project.transformBoundingBox(villages.extent())
    extent.scale(1.05)
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(project.crs())
    settings.setExtent(extent)
    settings.setOutputSize(QSize(1400, 1000))
    settings.setBackgroundColor(QColor("white"))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    return bool(job.renderedImage().save(out, "png"))


def main(argv: list[str]) -> int:
    mode, target, token, *rest = argv
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    if mode in ("layers", "project", "render"):

        def bearer(request) -> None:
            request.setRawHeader(b"Authorization", f"Bearer {token}".encode())

        QgsNetworkAccessManager.setRequestPreprocessor(bearer)
    result: dict = {"qgis": Qgis.QGIS_VERSION}
    if mode == "render":
        result["saved"] = _render(target, rest[0])
    elif mode == "project":
        project = QgsProject.instance()
        result["read"] = project.read(target)
        result["crs"] = project.crs().authid()
        result["layers"] = [_describe(lyr) for lyr in project.mapLayers().values()]
    else:
        credentials = f" username='qgis' password='{token}'" if mode == "basic" else ""
        result["layers"] = [
            _describe(
                QgsVectorLayer(f"url='{target}/ogc' typename='{name}'{credentials}", name, "OAPIF")
            )
            for name in rest
        ]
    print(json.dumps(result, ensure_ascii=False))
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
