"""One settings object, built once from config/settings.toml then GUICHET_* variables."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

DEFAULT_FILE = Path("config/settings.toml")
DEV_SECRET = "dev-insecure-secret-change-me"


class SettingsError(ValueError):
    """The settings file or environment holds a value Guichet cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/guichet.db"
    secret_key: str = DEV_SECRET
    environment: str = "development"
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    procedures_dir: str = "config/procedures"
    demo_file: str = "config/demo.toml"
    default_language: str = "fr"
    alternatives_count: int = 5
    idempotency_ttl_hours: int = 24

    def replace(self, **changes: object) -> Settings:
        return dataclasses.replace(self, **changes)


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the TOML file (if present), then apply GUICHET_* overrides, then validate."""
    path = path or Path(os.environ.get("GUICHET_SETTINGS_FILE", DEFAULT_FILE))
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    if path.exists():
        with path.open("rb") as handle:
            values.update(tomllib.load(handle))
    known = {f.name: f for f in fields(Settings)}
    unknown = set(values) - set(known)
    if unknown:
        raise SettingsError(f"{path}: unknown setting(s) {', '.join(sorted(unknown))}")
    for name, field in known.items():
        raw = environ.get(f"GUICHET_{name.upper()}")
        if raw is None:
            continue
        if field.type in ("int", int):
            try:
                values[name] = int(raw)
            except ValueError as exc:
                raise SettingsError(f"GUICHET_{name.upper()} must be an integer") from exc
        else:
            values[name] = raw
    settings = Settings(**values)  # type: ignore[arg-type]
    _validate(settings)
    return settings


def _validate(settings: Settings) -> None:
    if settings.environment not in ("development", "production"):
        raise SettingsError("environment must be 'development' or 'production'")
    if settings.environment == "production" and settings.secret_key == DEV_SECRET:
        raise SettingsError("secret_key: set GUICHET_SECRET_KEY to a private value in production")
    if len(settings.secret_key) < 16:
        raise SettingsError("secret_key must be at least 16 characters long")
    if settings.default_language not in ("fr", "en"):
        raise SettingsError("default_language must be 'fr' or 'en'")
    if not settings.database_url.startswith(("sqlite://", "postgresql://", "postgres://")):
        raise SettingsError("database_url must start with sqlite:// or postgresql://")
