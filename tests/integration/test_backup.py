"""`guichet backup FILE`: the embedded database copied while the service writes, then restored:
every visit and message is there (issue 18)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from booking.demo.builders import add_counter, add_site
from tests.support.scenarios import TUESDAY_9, request

ROOT = Path(__file__).resolve().parents[2]


def test_a_backup_taken_while_booking_restores_every_visit_and_message(
    container, database_url, tmp_path
):
    if not database_url.startswith("sqlite"):
        pytest.skip("the embedded database's backup; PostgreSQL has pg_dump")
    with container.uow.writing() as session:
        add_counter(
            session, add_site(session), capacity=50, procedures=("residence-permit-pickup",)
        )
    for minute in (0, 15, 30):
        container.visits.book(request(start=TUESDAY_9.replace(minute=minute)))
    stop = threading.Event()

    def keep_booking() -> None:  # the service goes on writing during the copy
        hour = 10
        while not stop.is_set() and hour < 12:
            container.visits.book(request(start=TUESDAY_9.replace(hour=hour)))
            hour += 1

    writer = threading.Thread(target=keep_booking)
    writer.start()
    target = tmp_path / "copy.db"
    env = {
        **os.environ,
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_ENVIRONMENT": "development",
        "GUICHET_SECRET_KEY": "backup-secret-0123456789",
    }
    done = subprocess.run(
        [sys.executable, "-m", "booking.cli", "backup", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    stop.set()
    writer.join()
    assert done.returncode == 0, done.stderr
    assert "integrity checked" in done.stdout
    copy = create_engine(f"sqlite:///{target}")
    with copy.connect() as conn:
        visits = conn.execute(text("SELECT count(*) FROM appointment")).scalar_one()
        orphans = conn.execute(
            text(
                "SELECT count(*) FROM appointment a WHERE NOT EXISTS"
                " (SELECT 1 FROM notification n WHERE n.appointment_id = a.id)"
            )
        ).scalar_one()
    copy.dispose()
    assert visits >= 3 and orphans == 0  # each visit with its messages: a consistent copy
    again = subprocess.run(
        [sys.executable, "-m", "booking.cli", "backup", str(target)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 2 and "exists already" in again.stderr


def test_the_backup_command_says_what_to_use_on_postgresql(database_url, tmp_path):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    env = {
        **os.environ,
        "GUICHET_DATABASE_URL": database_url,
        "GUICHET_ENVIRONMENT": "development",
        "GUICHET_SECRET_KEY": "backup-secret-0123456789",
    }
    done = subprocess.run(
        [sys.executable, "-m", "booking.cli", "backup", str(tmp_path / "x.db")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "pg_dump" in done.stderr
