"""The summary behind low-zoom issue tiles: `issue_tile_summary` (migration 0019).

Issues counted per z17 Web-Mercator cell and per filter dimension (town, village,
category, status, source, found month), so a cells tile at zoom 8–14 is a sum over a few
thousand summary rows instead of a read of every point under it (docs/tiles.md).

It is a MATERIALIZED VIEW refreshed CONCURRENTLY (readers are never blocked), under a
PostgreSQL advisory lock so that only one refresh runs across every service process and
the CLI. `tile_summary_state.refreshed_at` says when; NULL means never refreshed, and then
tiles are read live (the summary is switched on by its first refresh).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

LOCK_KEY = 0x7C_7E11_5D
"""The advisory lock key taken while the summary is refreshed."""


@dataclass(frozen=True)
class SummaryState:
    """When the summary was last refreshed and how old it is (None: never)."""

    refreshed_at: datetime | None
    age_s: float | None
    same_day: bool
    """Refreshed on today's date (its `overdue` counts are as of its refresh day)."""

    def usable(self, *, max_age_s: float) -> bool:
        """Whether tiles may be summed from it: refreshed today, at most 2 × `max_age_s`
        ago (a refresh started at `max_age_s` has normally finished by then)."""
        return self.age_s is not None and self.same_day and self.age_s <= 2 * max_age_s

    def stale(self, *, max_age_s: float) -> bool:
        """Whether a refresh is due (never refreshed does not count: see the module)."""
        return self.age_s is not None and (self.age_s > max_age_s or not self.same_day)


def state(conn: Connection) -> SummaryState:
    """The summary's state."""
    row = conn.execute(
        text(
            "SELECT refreshed_at, extract(epoch FROM now() - refreshed_at),"
            " refreshed_at::date = current_date FROM tile_summary_state WHERE id = 1"
        )
    ).first()
    if row is None or row[0] is None:
        return SummaryState(None, None, False)
    return SummaryState(row[0], float(row[1]), bool(row[2]))


def refresh(engine: Engine) -> bool:
    """Refresh the summary now, unless another refresh holds the lock (then False at once)."""
    with engine.connect() as conn:
        with conn.begin():
            if not conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LOCK_KEY}
            ).scalar():
                return False
            populated = conn.execute(
                text("SELECT ispopulated FROM pg_matviews WHERE matviewname = 'issue_tile_summary'")
            ).scalar()
            how = "CONCURRENTLY " if populated else ""
            conn.execute(text(f"REFRESH MATERIALIZED VIEW {how}issue_tile_summary"))
            conn.execute(text("UPDATE tile_summary_state SET refreshed_at = now() WHERE id = 1"))
        conn.execute(text("ANALYZE issue_tile_summary"))
        conn.commit()
    return True


_running = threading.Lock()


def refresh_in_background(engine: Engine) -> bool:
    """Start a refresh in a thread of this process unless one already runs here (the
    advisory lock keeps other processes out); never waits. True when one was started."""
    if not _running.acquire(blocking=False):
        return False

    def run() -> None:
        try:
            refresh(engine)
        except Exception:  # a failed refresh leaves the old summary; tiles fall back live
            log.exception("refreshing issue_tile_summary failed")
        finally:
            _running.release()

    threading.Thread(target=run, name="tile-summary-refresh", daemon=True).start()
    return True


def row_count(conn: Connection) -> int:
    """How many rows the summary holds."""
    return int(conn.execute(text("SELECT count(*) FROM issue_tile_summary")).scalar_one())
