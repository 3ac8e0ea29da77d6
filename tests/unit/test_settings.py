"""Settings and the procedure catalogue: read and validated at start-up, failing fast with the
key, the file and the field."""

from __future__ import annotations

import pytest

from booking.config.settings import DEV_SECRET, SettingsError, load_settings
from completeness.catalogue import CatalogueError, load_catalogue, load_procedure
from storage.engines import driver_url
from tests.support.settings import ROOT

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
        path,
        {
            "GUICHET_PORT": "9100",
            "GUICHET_DATABASE_URL": "postgresql://u@h:5432/d",
            "GUICHET_ENVIRONMENT": "development",
        },
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
        load_settings(path, {"GUICHET_ENVIRONMENT": "development", **environ})


def test_production_is_the_default_and_refuses_the_development_secret(tmp_path):
    empty = tmp_path / "none.toml"
    with pytest.raises(SettingsError, match="secret_key"):
        load_settings(empty, {})
    private = load_settings(empty, {"GUICHET_SECRET_KEY": "a-private-secret-0123456789"})
    assert private.environment == "production"
    shipped = load_settings(ROOT / "config" / "settings.toml", {"GUICHET_SECRET_KEY": "x" * 20})
    assert shipped.environment == "production"


def test_previous_secrets_are_read_and_checked(tmp_path):
    empty = tmp_path / "none.toml"
    environ = {"GUICHET_ENVIRONMENT": "development", "GUICHET_PREVIOUS_SECRET_KEYS": " a" * 20}
    with pytest.raises(SettingsError, match="previous_secret_keys"):
        load_settings(empty, {**environ, "GUICHET_PREVIOUS_SECRET_KEYS": "short, x"})
    environ["GUICHET_PREVIOUS_SECRET_KEYS"] = "old-secret-0123456789, older-secret-0123456789"
    keys = load_settings(empty, environ).previous_keys
    assert keys == ("old-secret-0123456789", "older-secret-0123456789")


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
