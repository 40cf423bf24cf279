"""Importers: files of villages, grids, roads and issues → checked rows → PostGIS.

`import_file(target, kind, path, …)` is the one entry point for the CLI and the service;
`copy_issue_points(conn, frame)` is its bulk path for issue points (binary COPY).
"""

from geo.io.importer import import_file
from geo.io.issues import copy_issue_points
from geo.io.report import ImportFailed, ImportReport, Problem

__all__ = ["ImportFailed", "ImportReport", "Problem", "copy_issue_points", "import_file"]
