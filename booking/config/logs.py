"""Logs a person can read: the level and format of every line; APScheduler's line per tick is
shown only at "debug". (One line a request: `booking/web/request_log.py`.)
"""

from __future__ import annotations

import logging

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=LEVELS[level],
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    quiet = logging.DEBUG if level == "debug" else logging.WARNING
    logging.getLogger("apscheduler").setLevel(quiet)
    logging.getLogger("alembic.runtime.plugins").setLevel(quiet)  # a line per plugin loaded
