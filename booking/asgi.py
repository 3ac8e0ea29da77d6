"""The application as uvicorn's factory, for `guichet serve --workers N`: each web process
builds its own container from the settings (several processes, one PostgreSQL database)."""

from __future__ import annotations

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
    return create_app(container, background=background_jobs(container))
