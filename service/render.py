"""Errors of rendering documents (the bulletin) with headless Chromium."""

from __future__ import annotations

from geo.errors import CunrongError


class RenderFailed(CunrongError):
    """Chromium is missing, timed out or produced no file (the service answers 503)."""

    code = "render_failed"
