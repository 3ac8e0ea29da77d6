"""JSON API v1 of the managers' figures (bearer tokens, like the staff routes). Every table
is also CSV: `Accept: text/csv` or `?format=csv` (RFC 4180, comma, `.` decimals, UTF-8,
the JSON's columns in order, a header line)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from litestar import Request, Router, get
from litestar.di import Provide
from litestar.params import QueryParameter

from booking.errors import InvalidRequest
from booking.i18n import N_
from booking.queries.statistics import DEFAULT_RISK
from booking.web import figures
from booking.web.deps import (
    ActorDep,
    StatisticsDep,
    permission_guard,
    provide_bearer_actor,
)
from booking.web.errors import documented_errors

Grouping = Literal[
    "site", "counter", "procedure", "weekday", "hour", "lead_time", "channel", "reminder"
]
SiteParam = Annotated[str, QueryParameter(max_length=64)]
FromParam = Annotated[str, QueryParameter(name="from", max_length=10)]
ToParam = Annotated[str, QueryParameter(name="to", max_length=10)]
STATS = {
    "sync_to_thread": True,
    "responses": documented_errors(401, 403, 404, 422),
    "opt": {"permission": "statistics"},
}


def day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest.for_field(field, N_("Give a date as YYYY-MM-DD.")) from None


def _range(site: str, first: str, last: str) -> dict[str, Any]:
    return {"site": site, "from": day(first, "from").isoformat(), "to": day(last, "to").isoformat()}


@get("/attendance", **STATS)
def attendance(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
    by: Annotated[Grouping, QueryParameter()] = "site",
) -> Any:
    """No-shows by site, counter, procedure, weekday, hour, lead time, channel or reminder,
    over local dates [from, to], with the previous period of equal length beside it."""
    report = statistics.attendance(actor, site, day(first, "from"), day(last, "to"), by)
    rows = [figures.attendance_row(row) for row in report.rows]
    if figures.wants_csv(request):
        return figures.csv_response(rows, figures.ATTENDANCE_COLUMNS)
    return _range(site, first, last) | {
        "by": report.by,
        "rows": rows,
        "total": figures.attendance_row(report.total, with_key=False),
        "previous": {
            "from": report.previous_period.first.isoformat(),
            "to": report.previous_period.last.isoformat(),
            "total": figures.attendance_row(report.previous, with_key=False),
        },
    }


@get("/waiting", **STATS)
def waiting(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
) -> Any:
    """Waits from the later of arrival and appointment time to the call: the share called
    within 10 minutes, the green (< 30 min), orange (30–60) and red (> 60) bands, the median;
    visits seen without a call apart."""
    found = statistics.waiting(actor, site, day(first, "from"), day(last, "to"))
    if figures.wants_csv(request):
        return figures.csv_response([figures.waiting_row(found)], figures.WAITING_COLUMNS)
    return _range(site, first, last) | figures.waiting_body(found)


@get("/completeness", **STATS)
def completeness(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
    by: Annotated[Literal["procedure", "counter"], QueryParameter()] = "procedure",
) -> Any:
    """Files checked at the counter and how many were complete, by procedure or counter."""
    rows, total = statistics.completeness(actor, site, day(first, "from"), day(last, "to"), by)
    body = [figures.completeness_row(row) for row in rows]
    if figures.wants_csv(request):
        return figures.csv_response(body, figures.COMPLETENESS_COLUMNS)
    summary = figures.completeness_row(total)
    del summary["key"]
    return _range(site, first, last) | {"by": by, "rows": body, "total": summary}


@get("/capacity", **STATS)
def capacity(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
    risk: Annotated[float, QueryParameter(ge=0.001, le=0.5)] = DEFAULT_RISK,
) -> Any:
    """Per procedure, the show rate shrunk toward the site's (k = 30) and the bookings a
    counter-day of `seats_per_day` may take so that more visitors than seats come at most
    `risk` of the time. The booking guard still never exceeds the configured capacity."""
    rows = statistics.capacity(actor, site, day(first, "from"), day(last, "to"), risk)
    body = [figures.capacity_row(row) for row in rows]
    if figures.wants_csv(request):
        return figures.csv_response(body, figures.CAPACITY_COLUMNS)
    return _range(site, first, last) | {"rows": body}


@get("/affluence", **STATS)
def affluence(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
) -> Any:
    """Visitors who came, by local weekday (0 = Monday) and hour: the affluence calendar."""
    rows = statistics.affluence(actor, site, day(first, "from"), day(last, "to"))
    body = [figures.affluence_row(row) for row in rows]
    if figures.wants_csv(request):
        return figures.csv_response(body, figures.AFFLUENCE_COLUMNS)
    return _range(site, first, last) | {"rows": body}


stats_api = Router(
    path="/stats",
    route_handlers=[attendance, waiting, completeness, capacity, affluence],
    dependencies={"actor": Provide(provide_bearer_actor, sync_to_thread=True)},
    guards=[permission_guard(provide_bearer_actor)],
    security=[{"staff": []}],
)
