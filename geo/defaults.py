"""The default numbers of the town's measuring rules, declared once.

`service.settings.ServiceSettings` uses them as its defaults (overridable from the
environment) and passes the configured values down; the keyword arguments of `geo`
functions default to the same constants, so a library caller gets the documented values.
"""

from __future__ import annotations

METRIC_SRID = 4527
"""Metric CRS for distances and areas (CGCS2000 Gauss-Krüger zone 39, CM 117°E)."""
GPS_TOLERANCE_M = 30.0
"""A point this close outside every village goes to the nearest one (flagged)."""
REBOUND_RADIUS_M = 20.0
"""A new issue this close to a recently closed one of the same category is a rebound (反弹)."""
REBOUND_DAYS = 90
"""How recently that issue must have been closed for a rebound."""
DUPLICATE_RADIUS_M = 10.0
"""A new issue this close to an open one of the same category gets a near-duplicate warning."""
DEADLINE_RULE = "next_round"
"""The rectification deadline: the next monthly round's date (次月检查), or a number of days."""
INTERVIEW_LATE_DAYS = 15
"""An interview (约谈) not held within this many days after its ranking month is late."""
