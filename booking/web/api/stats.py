"""JSON API v1 of the managers' figures (bearer tokens, like the staff routes). Every table
is also CSV: `Accept: text/csv` or `?format=csv` (RFC 4180, comma, `.` decimals, UTF-8,
the JSON's columns in order, a header line)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from litestar import Request, Response, Router, get
from litestar.di import Provide
from litestar.params import QueryParameter

from booking.errors import InvalidRequest
from booking.i18n import N_
from booking.use_cases.statistics import Attendance
from booking.web.deps import (
    ActorDep,
    StatisticsDep,
    permission_guard,
    provide_bearer_actor,
)
from booking.web.errors import documented_errors

COLUMNS = (
    "key",
    "due",
    "seen",
    "no_show",
    "unrecorded",
    "cancelled_late",
    "no_show_rate",
    "ci_low",
    "ci_high",
)
Grouping = Literal[
    "site", "counter", "procedure", "weekday", "hour", "lead_time", "channel", "reminder"
]


def _day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest.for_field(field, N_("Give a date as YYYY-MM-DD.")) from None


def attendance_json(row: Attendance, *, with_key: bool = True) -> dict[str, Any]:
    rate = row.no_show_rate
    body = {
        "key": row.key,
        "due": row.due,
        "seen": row.seen,
        "no_show": row.no_show,
        "unrecorded": row.unrecorded,
        "cancelled_late": row.cancelled_late,
        "no_show_rate": rate.rate,
        "ci_low": rate.low,
        "ci_high": rate.high,
    }
    if not with_key:
        del body["key"]
    return body


def wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv" or "text/csv" in request.headers.get(
        "accept", ""
    )


def csv_response(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> Response[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    return Response(out.getvalue().encode(), media_type="text/csv; charset=utf-8")


@get(
    "/attendance",
    sync_to_thread=True,
    responses=documented_errors(401, 403, 404, 422),
    opt={"permission": "statistics"},
)
def attendance(
    request: Request,
    actor: ActorDep,
    statistics: StatisticsDep,
    site: Annotated[str, QueryParameter(max_length=64)],
    first: Annotated[str, QueryParameter(name="from", max_length=10)],
    last: Annotated[str, QueryParameter(name="to", max_length=10)],
    by: Annotated[Grouping, QueryParameter()] = "site",
) -> Any:
    """No-shows by site, counter, procedure, weekday, hour, lead time, channel or reminder,
    over local dates [from, to], with the previous period of equal length beside it."""
    report = statistics.attendance(actor, site, _day(first, "from"), _day(last, "to"), by)
    rows = [attendance_json(row) for row in report.rows]
    if wants_csv(request):
        return csv_response(rows, COLUMNS)
    return {
        "site": report.site_id,
        "from": report.first.isoformat(),
        "to": report.last.isoformat(),
        "by": report.by,
        "rows": rows,
        "total": attendance_json(report.total, with_key=False),
        "previous": {
            "from": report.previous_first.isoformat(),
            "to": report.previous_last.isoformat(),
            "total": attendance_json(report.previous, with_key=False),
        },
    }


stats_api = Router(
    path="/stats",
    route_handlers=[attendance],
    dependencies={"actor": Provide(provide_bearer_actor, sync_to_thread=True)},
    guards=[permission_guard(provide_bearer_actor)],
    security=[{"staff": []}],
)
