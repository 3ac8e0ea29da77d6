"""Synthetic past visits written straight into the table, whose figures are known by
construction (the statistics read nothing else)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from booking.core.access import Actor, Role
from booking.core.lifecycle import wait_seconds
from booking.domain.models import Appointment

MANAGER = Actor(1, "manager@paris.example.org", Role.manager, frozenset({"paris"}))
ADMIN = Actor(2, "admin@paris.example.org", Role.admin, frozenset())

MONDAY = date(2026, 1, 5)  # the history: ten Mondays from here, before "now" (23 March 2026)


def history(container, rows: list[dict]) -> None:
    """Past visits written straight into the table (the figures read nothing else). A row
        gives its `day` and any column; `arrived` and `called` are minutes after its start (the
    wait is then derived as the call derives it)."""
    base = {
        "site_id": "paris",
        "counter_id": 1,
        "procedure_id": "residence-permit-pickup",
        "cell_minutes": 15,
        "channel": "web",
        "language": "fr",
        "answers": {},
        "declared": [],
        "missing_declared": [],
        "token_version": 1,
        "rescheduled_count": 0,
        "notify_sms": True,
        "notify_email": True,
        "cancelled_late": False,
    }
    values = []
    for index, row in enumerate(rows):
        day = row.pop("day")
        starts = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC) + timedelta(
            minutes=15 * (index % 20)
        )
        timings = {
            column: starts + timedelta(minutes=row.pop(key))
            for key, column in (("arrived", "checked_in_at"), ("called", "called_at"))
            if key in row
        }
        if "called_at" in timings:
            timings["wait_seconds"] = wait_seconds(
                starts, timings.get("checked_in_at"), timings["called_at"]
            )
        values.append(
            timings
            | base
            | {
                "reference": f"R{index:07d}",
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=10),
                "created_at": starts - timedelta(days=5),
                "updated_at": starts,
                "local_date": day,
                "local_weekday": day.weekday(),
                "local_hour": 9 + (index % 20) // 4,
                "lead_days": row.pop("lead", 5),
            }
            | row
        )
    with container.uow.writing() as session:
        session.execute(insert(Appointment), values)


def mondays(count: int) -> list[date]:
    return [MONDAY + timedelta(weeks=index % 10) for index in range(count)]
