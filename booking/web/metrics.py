"""`GET /metrics` in Prometheus' text format: the processes' counters and histograms (summed
across web processes in multiprocess mode) and what the database knows, read now. Access: the
bearer `metrics_token` when set; without one, loopback only, and never through a proxy."""

from __future__ import annotations

import os

from litestar import Request, Response, get
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from booking.core.access import Forbidden
from booking.core.i18n import N_
from booking.queries.metrics_snapshot import Snapshot, snapshot
from booking.web.deps import container_of

FORWARDING = (b"x-forwarded-for", b"forwarded", b"x-real-ip")
LOOPBACK = ("127.0.0.1", "::1", "localhost")


class DatabaseFigures:
    """A collector of what the database knows, for one scrape."""

    def __init__(self, figures: Snapshot) -> None:
        self._figures = figures

    def collect(self):  # type: ignore[no-untyped-def]
        figures = self._figures
        yield GaugeMetricFamily(
            "guichet_outbox_pending", "Messages waiting to be sent", value=figures.outbox_pending
        )
        yield GaugeMetricFamily(
            "guichet_outbox_oldest_due_age_seconds",
            "Age of the oldest message due and not sent",
            value=figures.oldest_due_age_seconds,
        )
        messages = CounterMetricFamily(
            "guichet_messages", "Messages by channel and result", labels=["channel", "result"]
        )
        for (channel, status), count in sorted(figures.messages.items()):
            messages.add_metric([channel, status], count)
        yield messages
        runs = GaugeMetricFamily(
            "guichet_job_last_run_timestamp_seconds",
            "When each periodic job last ran",
            labels=["job"],
        )
        for job, moment in sorted(figures.job_last_runs.items()):
            runs.add_metric([job], moment.timestamp())
        yield runs


def _allowed(request: Request, token: str) -> bool:
    if token:
        return request.headers.get("authorization", "") == f"Bearer {token}"
    peer = request.client.host if request.client else ""
    proxied = any(name in FORWARDING for name, _ in request.scope.get("headers", ()))
    return peer in LOOPBACK and not proxied


@get("/metrics", sync_to_thread=True, include_in_schema=False)
def metrics(request: Request) -> Response[bytes]:
    container = container_of(request)
    if not _allowed(request, container.settings.metrics_token):
        raise Forbidden(N_("Metrics are read with the metrics token, or from this machine."))
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
        body = b""
    else:
        body = generate_latest(REGISTRY)
    registry.register(DatabaseFigures(snapshot(container.uow, container.clock)))  # type: ignore[arg-type]
    return Response(body + generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
