"""Open OGC API layers (or a .qgz project) in QGIS, headless; print what was read as JSON.

Run by the tests with the system Python (Debian's python3-qgis), never imported by pytest:

    python3 tests/ogc/qgis_open.py layers BASE_URL TOKEN COLLECTION [COLLECTION …]
    python3 tests/ogc/qgis_open.py basic BASE_URL TOKEN COLLECTION
    python3 tests/ogc/qgis_open.py project FILE.qgz TOKEN

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


def main(argv: list[str]) -> int:
    mode, target, token, *rest = argv
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    if mode in ("layers", "project"):

        def bearer(request) -> None:
            request.setRawHeader(b"Authorization", f"Bearer {token}".encode())

        QgsNetworkAccessManager.setRequestPreprocessor(bearer)
    result: dict = {"qgis": app.applicationVersion() if hasattr(app, "applicationVersion") else ""}
    if mode == "project":
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
