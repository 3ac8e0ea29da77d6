"""Health for load balancers and operators: /health/live (the process answers),
/health/ready (the database answers, its schema at head), /health/jobs (the outbox is being
sent) — 200 or 503 with `{"status", "checks": {name: {"ok", "detail"}}}`."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from booking.queries.health import Health
from booking.web.deps import container_of


def _answer(health: Health) -> Response[dict[str, Any]]:
    body = {
        "status": "ok" if health.ok else "fail",
        "checks": {
            name: {"ok": check.ok, "detail": check.detail} for name, check in health.checks.items()
        },
    }
    status = HTTP_200_OK if health.ok else HTTP_503_SERVICE_UNAVAILABLE
    headers = {} if health.ok else {"Retry-After": "5"}
    return Response(body, status_code=status, headers=headers)


RESPONSES = {"sync_to_thread": True}


@get("/live", sync_to_thread=False)
def live(request: Request) -> Response[dict[str, Any]]:
    """The process answers (no database read)."""
    return _answer(container_of(request).health.live())


@get("/ready", **RESPONSES)
def ready(request: Request) -> Response[dict[str, Any]]:
    """The database answers and its migrations are at head: send traffic here."""
    return _answer(container_of(request).health.ready())


@get("/jobs", **RESPONSES)
def jobs(request: Request) -> Response[dict[str, Any]]:
    """The messages are being sent (the oldest due one is not too old)."""
    return _answer(container_of(request).health.jobs())


health_router = Router(path="/health", route_handlers=[live, ready, jobs], include_in_schema=False)
