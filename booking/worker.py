"""The background work of an entry point: the dispatcher with the senders the settings choose,
and the periodic jobs (housekeeping, closing of the day), ticked by APScheduler inside
`guichet serve` or looped by `guichet worker`."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from booking.container import Container
from booking.domain.credentials import entry_secrets, message_secrets
from notifications.dispatcher import Dispatcher, Policy
from notifications.senders import ConsoleSender, Sender, SmtpSender, SmtpSettings
from notifications.twilio_sender import TwilioSender, TwilioSettings

PERIODIC_TICK_SECONDS = 10  # the shortest job period is 30 s: each lease is looked at often
log = logging.getLogger("guichet.dispatch")


def status_callback_url(container: Container) -> str:
    return container.settings.public_url.rstrip("/") + "/api/v1/twilio/status"


def build_senders(container: Container) -> dict[str, Sender]:
    settings = container.settings
    sms: Sender = ConsoleSender()
    if settings.sms_backend == "twilio":
        sms = TwilioSender(
            TwilioSettings(
                account_sid=settings.twilio_account_sid,
                auth_token=settings.twilio_auth_token,
                from_number=settings.twilio_from or None,
                messaging_service_sid=settings.twilio_messaging_service_sid or None,
                api_base=settings.twilio_api_base or None,
                status_callback=status_callback_url(container),
                connections=settings.dispatch_concurrency,
            )
        )
    email: Sender = ConsoleSender()
    if settings.email_backend == "smtp":
        email = SmtpSender(
            SmtpSettings(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.smtp_from,
                username=settings.smtp_username or None,
                password=settings.smtp_password or None,
                starttls=settings.smtp_starttls,
            )
        )
    return {"sms": sms, "email": email}


def build_dispatcher(container: Container) -> Dispatcher:
    settings = container.settings
    policy = Policy(
        rate_per_second=settings.send_rate_per_second or None,
        sms_per_number_per_day=settings.sms_per_number_per_day,
        quiet_hours=settings.quiet_hours,
        lease=timedelta(seconds=settings.dispatch_lease_seconds),
        batch=settings.dispatch_batch,
        concurrency=settings.dispatch_concurrency,
    )
    keys = container.keys
    return Dispatcher(
        container.uow,
        build_senders(container),
        secrets=lambda connection, ids: message_secrets(connection, keys, ids),
        entry_secrets=lambda connection, ids: entry_secrets(connection, keys, ids),
        policy=policy,
        clock=container.clock,
    )


def start_scheduler(container: Container) -> BackgroundScheduler:
    """The embedded default: `guichet serve` ticks the dispatcher every few seconds."""
    dispatcher = build_dispatcher(container)
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        dispatcher.run_until_idle,
        "interval",
        seconds=container.settings.dispatch_interval_seconds,
        max_instances=1,
        coalesce=True,
        id="dispatch",
    )
    scheduler.add_job(  # each job runs once per period across every process (its lease)
        container.periodic.run_due,
        "interval",
        seconds=PERIODIC_TICK_SECONDS,
        max_instances=1,
        coalesce=True,
        id="periodic",
        next_run_time=datetime.now(UTC),  # at start too
    )
    scheduler.start()
    return scheduler


def run_worker(container: Container, stop: threading.Event | None = None) -> None:
    """`guichet worker`: claim and send until told to stop (SIGTERM or SIGINT)."""
    stop = stop or threading.Event()
    dispatcher = build_dispatcher(container)

    def stopping(*_: object) -> None:
        stop.set()
        dispatcher.stopping.set()  # the batch in hand stops between two messages

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stopping)
    log.info("worker %s started", dispatcher.worker)
    next_periodic = 0.0
    while not stop.is_set():
        if time.monotonic() >= next_periodic:  # the jobs whose lease this process takes
            container.periodic.run_due()
            next_periodic = time.monotonic() + PERIODIC_TICK_SECONDS
        if dispatcher.tick() == 0:
            stop.wait(container.settings.dispatch_interval_seconds)
    given = dispatcher.give_back()
    log.info("worker %s stopped (%d messages given back)", dispatcher.worker, given)
