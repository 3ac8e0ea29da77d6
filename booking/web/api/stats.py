"""JSON API v1 of the managers' figures (bearer tokens, like the staff routes). Every table
is also CSV: `Accept: text/csv` or `?format=csv` (RFC 4180, comma, `.` decimals, UTF-8,
the JSON's columns in order, a header line)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Request, Router, get
from litestar.di import Provide
from litestar.params import QueryParameter

from booking.queries.figures import Grouping
from booking.queries.statistics import DEFAULT_RISK
from booking.web.deps import (
    ActorDep,
    StatisticsDep,
    permission_guard,
    provide_bearer_actor,
)
from booking.web.errors import documented_errors
from booking.web.shared import figure_tables as figures
from booking.web.shared.dates import required_date
from booking.web.shared.figure_tables import TableRequest

SiteParam = Annotated[str, QueryParameter(max_length=64)]
FromParam = Annotated[str, QueryParameter(name="from", max_length=10)]
ToParam = Annotated[str, QueryParameter(name="to", max_length=10)]
STATS = {
    "sync_to_thread": True,
    "responses": documented_errors(401, 403, 404, 422),
    "opt": {"permission": "statistics"},
}


def _asked(site: str, first: str, last: str, by: str | None = None, **more: Any) -> TableRequest:
    return TableRequest(site, required_date(first, "from"), required_date(last, "to"), by, **more)


def _range(asked: TableRequest) -> dict[str, Any]:
    return {"site": asked.site, "from": asked.first.isoformat(), "to": asked.last.isoformat()}


@get("/attendance", **STATS)
def attendance(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
    by: Annotated[Grouping, QueryParameter()] = Grouping.site,
) -> Any:
    """No-shows by site, counter, procedure, weekday, hour, lead time, channel or reminder,
    over local dates [from, to], with the previous period of equal length beside it."""
    asked = _asked(site, first, last, by)
    if figures.wants_csv(request):
        return figures.table_csv(statistics, actor, "attendance", asked)
    report = statistics.attendance(actor, site, asked.first, asked.last, by)
    return _range(asked) | {
        "by": report.by,
        "rows": [figures.attendance_row(row) for row in report.rows],
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
    asked = _asked(site, first, last)
    if figures.wants_csv(request):
        return figures.table_csv(statistics, actor, "waiting", asked)
    found = statistics.waiting(actor, site, asked.first, asked.last)
    return _range(asked) | figures.waiting_body(found)


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
    asked = _asked(site, first, last, by)
    if figures.wants_csv(request):
        return figures.table_csv(statistics, actor, "completeness", asked)
    rows, total = statistics.completeness(actor, site, asked.first, asked.last, by)
    summary = figures.completeness_row(total)
    del summary["key"]
    return _range(asked) | {
        "by": by,
        "rows": [figures.completeness_row(row) for row in rows],
        "total": summary,
    }


@get("/capacity", **STATS)
def capacity(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
    risk: Annotated[float, QueryParameter()] = DEFAULT_RISK,
) -> Any:
    """Per procedure, the show rate shrunk toward the site's (k = 30) and the bookings a
    counter-day of `seats_per_day` may take so that more visitors than seats come at most
    `risk` (0.001 to 0.5) of the time. The booking guard still never exceeds the configured
    capacity."""
    asked = _asked(site, first, last, risk=risk)
    if figures.wants_csv(request):
        return figures.table_csv(statistics, actor, "capacity", asked)
    rows, _ = figures.table_rows(statistics, actor, "capacity", asked)
    return _range(asked) | {"rows": rows}


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
    asked = _asked(site, first, last)
    if figures.wants_csv(request):
        return figures.table_csv(statistics, actor, "affluence", asked)
    rows, _ = figures.table_rows(statistics, actor, "affluence", asked)
    return _range(asked) | {"rows": rows}


@get("/fair-access", **STATS)
def fair_access(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
) -> Any:
    """Holds made (by their creation), confirmed, expired (the time ran out or the code could
    not be sent) and given up (wrong codes, replaced, number changed); second live visits
    refused, attempts refused by a limit, seats freed by citizens held back a while."""
    asked = _asked(site, first, last)
    if figures.wants_csv(request):
        return figures.table_csv(statistics, actor, "fair_access", asked)
    rows, _ = figures.table_rows(statistics, actor, "fair_access", asked)
    return _range(asked) | rows[0]


@get("/waitlist", **STATS)
def waitlist_figures(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: SiteParam,
    first: FromParam,
    last: ToParam,
) -> Any:
    """Entries made, offers sent (by their creation), accepted, declined, expired, seats
    offered that nobody on the list took, median hours from joining to a booking."""
    asked = _asked(site, first, last)
    if figures.wants_csv(request):
        return figures.table_csv(statistics, actor, "waitlist", asked)
    rows, _ = figures.table_rows(statistics, actor, "waitlist", asked)
    return _range(asked) | rows[0]


stats_api = Router(
    path="/stats",
    route_handlers=[
        attendance,
        waiting,
        completeness,
        capacity,
        affluence,
        fair_access,
        waitlist_figures,
    ],
    dependencies={"actor": Provide(provide_bearer_actor, sync_to_thread=True)},
    guards=[permission_guard(provide_bearer_actor)],
    security=[{"staff": []}],
)
