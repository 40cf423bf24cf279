"""Structured logging: one JSON object per line on stderr (python-json-logger's formatter).

Loggers under `cunrong` only: `cunrong.access` (one line per request: request id, user,
method, route, status, duration), `cunrong.errors` (unexpected exceptions with their
traceback, database outages). Nothing logs headers, bodies, query strings, tokens,
passwords or photo bytes: the access line names the route template, not the URL.
"""

from __future__ import annotations

import logging
import sys
from typing import IO

from pythonjsonlogger.json import JsonFormatter

LOGGER = "cunrong"
_HANDLER_NAME = "cunrong-json"


def json_handler(stream: IO[str] | None = None) -> logging.Handler:
    """A handler writing JSON lines (time, level, logger, message and the record's extras)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        JsonFormatter(
            "{levelname}{name}{message}",
            style="{",
            timestamp="time",
            rename_fields={"levelname": "level", "name": "logger"},
        )
    )
    return handler


def configure_logging(level: str = "INFO") -> None:
    """Send the `cunrong` loggers to stderr as JSON lines (once per process)."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level)
    if not any(h.get_name() == _HANDLER_NAME for h in logger.handlers):
        logger.addHandler(json_handler())
    logger.propagate = False
