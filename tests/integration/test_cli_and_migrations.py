"""The command line, the migrations and the demo data."""

from __future__ import annotations

import subprocess
import sys

from alembic.script import ScriptDirectory
from sqlalchemy import text

from booking.demo.load import load_demo
from booking.migrate import alembic_config
from tests.support.settings import ROOT, count


def test_demo_loads_three_sites_once(container):
    with container.uow.writing() as session:
        first = load_demo(session, ROOT / "config" / "demo.toml", container.catalogue)
    with container.uow.writing() as session:
        second = load_demo(session, ROOT / "config" / "demo.toml", container.catalogue)
    assert first["sites"] == 3 and first["windows"] > 0
    assert second == {"sites": 0, "counters": 0, "windows": 0}
    assert count(container, "SELECT count(*) FROM site WHERE timezone = 'Indian/Reunion'") == 1


def test_cli_migrates_and_loads_the_demo(tmp_path):
    env = {
        "GUICHET_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "PATH": "/usr/bin:/bin",
        "GUICHET_ENVIRONMENT": "development",
    }
    guichet = [sys.executable, "-m", "booking.cli"]
    said = []
    for command in (["migrate"], ["demo", "--history", "1"], ["demo", "--history", "1"]):
        done = subprocess.run(
            guichet + command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        said.append(done.stdout)
    assert "'sites': 0" in done.stdout
    assert "past visits from" in said[1] and "history: already written" in said[2]
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{tmp_path}/cli.db")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM site")).scalar_one() == 3
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    engine.dispose()


def test_cli_reports_bad_settings_without_a_traceback(tmp_path):
    env = {"GUICHET_PORT": "x", "PATH": "/usr/bin:/bin", "GUICHET_ENVIRONMENT": "development"}
    done = subprocess.run(
        [sys.executable, "-m", "booking.cli", "migrate"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "GUICHET_PORT must be an integer" in done.stderr
    assert "Traceback" not in done.stderr


def test_migrations_match_the_models(database_url):
    """Alembic's autogenerate finds nothing to add: the migrations produce the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from booking.domain.models import metadata
    from storage.engines import make_engine

    engine = make_engine(database_url, pooled=False)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    engine.dispose()
    assert differences == []


def test_the_migration_stamps_existing_visits_with_their_local_start(tmp_path):
    """Visits booked before the statistics' columns get them from their site's time zone."""
    from alembic import command
    from sqlalchemy import create_engine

    from booking.migrate import alembic_config

    url = f"sqlite:///{tmp_path}/old.db"
    command.upgrade(alembic_config(url), "0009")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO site (id, name, address, timezone, phone_region, open_on_holidays,"
                " reminder_hour, survey_enabled, auto_no_show, day_closes_at)"
                " VALUES ('re', 'R', 'A', 'Indian/Reunion', 'RE', 0, 18, 0, 0, '18:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO counter (id, site_id, name, capacity, slot_minutes, active)"
                " VALUES (1, 're', 'G', 1, 15, 1)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO appointment (reference, token_version, site_id, counter_id,"
                " procedure_id, starts_at, ends_at, cell_minutes, status, channel, language,"
                " notify_sms, notify_email, answers, declared, missing_declared, created_at,"
                " updated_at, rescheduled_count, code_failures)"
                " VALUES ('AAAAAAAA', 1, 're', 1, 'p', '2026-03-27 20:30:00',"
                " '2026-03-27 20:45:00', 15, 'booked', 'web', 'fr', 1, 1, '{}', '[]', '[]',"
                " '2026-03-23 07:00:00', '2026-03-23 07:00:00', 0, 0)"
            )
        )
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT local_date, local_weekday, local_hour, lead_days FROM appointment")
        ).one()
    assert tuple(row) == ("2026-03-28", 5, 0, 5)  # 20:30 UTC is past midnight in La Réunion
    engine.dispose()


def test_the_demo_shows_the_product_at_work_today_and_stays_idempotent(container, clock):
    from datetime import UTC, datetime

    from booking.demo.setup import load_prefecture, top_up_upcoming

    clock.set(datetime(2026, 3, 24, 10, 30, tzinfo=UTC))  # a Tuesday, 11:30 in Paris
    load_prefecture(container.uow, container.catalogue, ROOT / "config" / "demo.toml")
    said = top_up_upcoming(container.uow, container.catalogue, container.now())
    assert int(said.split()[1]) > 50
    today = "local_date = '2026-03-24' AND site_id = 'paris'"
    assert count(container, f"SELECT count(*) FROM appointment WHERE {today}") > 5
    assert count(container, f"SELECT count(*) FROM appointment WHERE {today} AND status = 'seen'")
    later = "local_date > '2026-03-24' AND site_id = 'paris' AND status = 'booked'"
    assert (
        count(container, f"SELECT count(DISTINCT local_date) FROM appointment WHERE {later}") >= 8
    )
    fiction = "phone LIKE '+3363998%'"
    assert count(container, f"SELECT count(*) FROM appointment WHERE NOT {fiction}") == 0
    again = top_up_upcoming(container.uow, container.catalogue, container.now())
    assert again.split()[1] == "0"
    # about half the seats: the agent's day still has free times to book
    free = container.directory.offer(
        "paris", "residence-permit-pickup", clock.moment.date(), clock.moment.date(), staff=True
    )
    assert free.slots
