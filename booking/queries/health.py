"""Is the service healthy: the process (live), its database and schema (ready), its jobs
(the outbox's oldest due message). Each check answers, never raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

from sqlalchemy import func, select, text

from booking.config.paths import MIGRATIONS
from booking.core.clock import Clock
from notifications.models import Notification, Status
from storage.unit_of_work import UnitOfWork

_messages = Notification.__table__  # type: ignore[attr-defined]


class PeriodicTable(Protocol):
    def periods(self) -> dict[str, timedelta]: ...
    def last_runs(self) -> dict[str, object]: ...


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class Health:
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks.values())


@cache
def schema_head() -> str:
    """The newest migration shipped with this code."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head() or ""


class HealthChecks:
    def __init__(
        self,
        uow: UnitOfWork,
        clock: Clock,
        outbox_max_age: timedelta,
        periodic: PeriodicTable | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._outbox_max_age = outbox_max_age
        self._periodic = periodic

    def live(self) -> Health:
        return Health({"process": Check(True, "answering")})

    def ready(self) -> Health:
        """The database answers and its schema is this code's (migrations at head)."""
        try:
            with self._uow.read_connection() as connection:
                version = connection.execute(
                    text("SELECT version_num FROM alembic_version")
                ).scalar_one_or_none()
        except Exception as exc:
            failure = Check(False, f"unreachable ({type(exc).__name__})")
            return Health({"database": failure, "migrations": Check(False, "unknown")})
        head = schema_head()
        schema = Check(version == head, f"at {version}, code expects {head}")
        return Health({"database": Check(True, "answering"), "migrations": schema})

    def jobs(self) -> Health:
        """The outbox is being sent: its oldest due message is not older than the limit."""
        now = self._clock()
        try:
            with self._uow.read_connection() as connection:
                oldest = connection.execute(
                    select(func.min(_messages.c.due_at)).where(
                        _messages.c.status == Status.pending, _messages.c.due_at <= now
                    )
                ).scalar_one_or_none()
        except Exception as exc:
            return Health({"outbox": Check(False, f"unreachable ({type(exc).__name__})")})
        age = (now - oldest).total_seconds() if isinstance(oldest, datetime) else 0.0
        limit = self._outbox_max_age.total_seconds()
        checks = {"outbox": Check(age <= limit, f"oldest due message {age:.0f} s old")}
        if self._periodic is not None:  # each periodic job ran within twice its period
            runs = self._periodic.last_runs()
            for name, period in self._periodic.periods().items():
                last = runs.get(name)
                if not isinstance(last, datetime):
                    checks[name] = Check(False, "never ran")
                    continue
                late = (now - last) > 2 * period
                checks[name] = Check(not late, f"last ran {(now - last).total_seconds():.0f} s ago")
        return Health(checks)
