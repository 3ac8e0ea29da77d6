"""Where the files that ship with Guichet are: the migrations and the default configuration
(procedure catalogue, demo data). An installed wheel carries them under `booking/shipped/`;
a source checkout reads them where they stand (`migrations/`, `config/`)."""

from __future__ import annotations

from pathlib import Path

from booking.config.settings import Settings

PACKAGE = Path(__file__).resolve().parents[1]  # booking/


def _shipped(name: str) -> Path:
    installed = PACKAGE / "shipped" / name
    return installed if installed.is_dir() else PACKAGE.parent / name


MIGRATIONS = _shipped("migrations")
CONFIG = _shipped("config")


def procedures_dir(settings: Settings) -> Path:
    return Path(settings.procedures_dir) if settings.procedures_dir else CONFIG / "procedures"


def demo_file(settings: Settings) -> Path:
    return Path(settings.demo_file) if settings.demo_file else CONFIG / "demo.toml"
