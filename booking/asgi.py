"""The application as uvicorn's factory, for `guichet serve --workers N`: each web process
builds its own container from the settings (several processes, one PostgreSQL database)."""

from __future__ import annotations

import gc

from litestar import Litestar

from booking.config.logs import configure_logging
from booking.config.settings import load_settings
from booking.container import Container, build_container
from booking.web.app import BackgroundJobs, create_app


def background_jobs(container: Container) -> BackgroundJobs | None:
    """The scheduler a web process runs beside the app, unless workers send the messages: the
    dispatcher (claims with SKIP LOCKED) and the periodic jobs (each behind its lease), so
    several processes may run it."""
    if not container.settings.dispatch_in_serve:
        return None
    from booking.worker import start_scheduler

    return lambda: start_scheduler(container)


def app_from_settings() -> Litestar:
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    container = build_container(settings)
    app = create_app(container, background=background_jobs(container))
    app.on_startup.append(freeze_startup_objects)
    return app


def freeze_startup_objects() -> None:
    """What startup made (modules, routes, templates, the catalogue) lives as long as the
    process: out of the collector's reach (`gc.freeze`), a full collection under load does not
    walk it again. Measured side by side through HTTP on SQLite: 8 % less CPU a booking."""
    gc.collect()
    gc.freeze()
