"""The process's instruments for `/metrics` (prometheus-client). With PROMETHEUS_MULTIPROC_DIR
set (`guichet serve --workers N` sets it), counters and histograms are kept in files that
every process's `/metrics` adds up; what the database knows (the outbox, the jobs) is read at
scrape time instead (booking.queries.metrics_snapshot)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "guichet_http_requests", "HTTP requests answered", ["route", "method", "status"]
)
HTTP_DURATION = Histogram(
    "guichet_http_request_duration_seconds",
    "Time to answer a request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BOOKINGS = Counter("guichet_bookings", "Booking attempts by their outcome", ["channel", "outcome"])
SLOT_LIST_CACHE = Counter(
    "guichet_slot_list_cache", "Shared slot lists: served as computed, or computed", ["result"]
)
