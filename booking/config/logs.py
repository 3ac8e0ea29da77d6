"""Logs a person can read: the level and format of every line; APScheduler's line per tick is
shown only at "debug". (One line a request: `booking/web/request_log.py`.)
"""

from __future__ import annotations

import json
import logging

LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class JsonLines(logging.Formatter):
    """One JSON object a line, for log shippers: time, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, log_format: str = "text") -> None:
    logging.basicConfig(
        level=LEVELS[level],
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    if log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLines())
    quiet = logging.DEBUG if level == "debug" else logging.WARNING
    logging.getLogger("apscheduler").setLevel(quiet)
    logging.getLogger("alembic.runtime.plugins").setLevel(quiet)  # a line per plugin loaded
