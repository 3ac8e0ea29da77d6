"""Settings, the procedure catalogue, the CLI and the demo data."""

from __future__ import annotations

import subprocess
import sys

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from booking.config.settings import DEV_SECRET, SettingsError, load_settings
from booking.demo.load import load_demo
from booking.migrate import alembic_config
from completeness.catalogue import CatalogueError, load_catalogue, load_procedure
from storage.engines import driver_url
from tests.conftest import ROOT, count

GOOD = """id = "{id}"
duration_minutes = 20
horizon_days = 30
[name]
fr = "Démarche"
en = "Procedure"
"""


def test_environment_overrides_the_settings_file(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('port = 9000\ndatabase_url = "sqlite:///x.db"\n')
    settings = load_settings(
        path, {"GUICHET_PORT": "9100", "GUICHET_DATABASE_URL": "postgresql://u@h:5432/d"}
    )
    assert settings.port == 9100 and settings.database_url == "postgresql://u@h:5432/d"


@pytest.mark.parametrize(
    ("content", "environ", "message"),
    [
        ("colour = 'blue'\n", {}, "unknown setting"),
        ("", {"GUICHET_PORT": "eighty"}, "GUICHET_PORT must be an integer"),
        ("", {"GUICHET_ENVIRONMENT": "production", "GUICHET_SECRET_KEY": DEV_SECRET}, "secret_key"),
        ("", {"GUICHET_DATABASE_URL": "mysql://x"}, "database_url"),
        ("", {"GUICHET_DEFAULT_LANGUAGE": "de"}, "default_language"),
    ],
)
def test_bad_settings_fail_fast_with_the_key(tmp_path, content, environ, message):
    path = tmp_path / "settings.toml"
    path.write_text(content)
    with pytest.raises(SettingsError, match=message):
        load_settings(path, environ)


def test_driver_is_picked_from_a_plain_url():
    assert driver_url("sqlite:///var/g.db") == "sqlite+pysqlite:///var/g.db"
    assert (
        driver_url("postgresql://u@127.0.0.1:5432/d") == "postgresql+psycopg://u@127.0.0.1:5432/d"
    )
    assert driver_url("postgres://u@h/d").startswith("postgresql+psycopg://")


def test_shipped_catalogue_has_the_five_procedures():
    catalogue = load_catalogue(ROOT / "config" / "procedures")
    assert {p.id for p in catalogue} >= {
        "residence-permit-first",
        "residence-permit-renewal",
        "residence-permit-pickup",
        "naturalisation-interview",
        "driving-licence-exchange",
    }
    assert catalogue.get("naturalisation-interview").min_notice_days >= 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            GOOD.replace("duration_minutes = 20", 'duration_minutes = "long"'),
            "field 'duration_minutes'",
        ),
        (GOOD.replace('en = "Procedure"\n', ""), "field 'name.en'"),
        (GOOD + "colour = 1\n", "colour"),
        (GOOD.replace("horizon_days = 30", "horizon_days = 0"), "field 'horizon_days'"),
        (GOOD.replace('id = "{id}"', 'id = "other"'), "must match the file name"),
        ("id = [", "not valid TOML"),
    ],
)
def test_invalid_procedure_files_name_the_file_and_field(tmp_path, content, message):
    path = tmp_path / "my-procedure.toml"
    path.write_text(content.replace("{id}", "my-procedure"))
    with pytest.raises(CatalogueError) as error:
        load_procedure(path)
    assert str(path) in str(error.value) and message in str(error.value)


def test_demo_loads_three_sites_once(container):
    with container.uow.writing() as session:
        first = load_demo(session, ROOT / "config" / "demo.toml", container.catalogue)
    with container.uow.writing() as session:
        second = load_demo(session, ROOT / "config" / "demo.toml", container.catalogue)
    assert first["sites"] == 3 and first["windows"] > 0
    assert second == {"sites": 0, "counters": 0, "windows": 0}
    assert count(container, "SELECT count(*) FROM site WHERE timezone = 'Indian/Reunion'") == 1


def test_cli_migrates_and_loads_the_demo(tmp_path):
    env = {"GUICHET_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", "PATH": "/usr/bin:/bin"}
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
    env = {"GUICHET_PORT": "x", "PATH": "/usr/bin:/bin"}
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
