"""The managers' figures as rows: one presenter per table, shared by the JSON API, its CSV
and the dashboard's CSV links, so that the columns are the same everywhere."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from litestar import Request, Response

from booking.core.access import Actor
from booking.queries.figures import (
    COMPLETENESS_GROUPINGS,
    Affluence,
    Attendance,
    CapacityAdvice,
    Completeness,
    FairAccess,
    Waiting,
    WaitlistFigures,
)
from booking.queries.statistics import DEFAULT_RISK, Statistics

ATTENDANCE_COLUMNS = (
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
WAITING_COLUMNS = (
    "seen_with_call",
    "within_10_min",
    "share_within_10_min",
    "ci_low",
    "ci_high",
    "green",
    "orange",
    "red",
    "median_minutes",
    "seen_without_call",
)
COMPLETENESS_COLUMNS = ("key", "recorded", "complete", "rate", "ci_low", "ci_high")
CAPACITY_COLUMNS = (
    "procedure",
    "visits",
    "shows",
    "show_rate",
    "seats_per_day",
    "advised_per_day",
    "risk",
)
AFFLUENCE_COLUMNS = ("weekday", "hour", "arrivals")
FAIR_ACCESS_COLUMNS = tuple(field.name for field in fields(FairAccess))
WAITLIST_COLUMNS = tuple(field.name for field in fields(WaitlistFigures))


def attendance_row(row: Attendance, *, with_key: bool = True) -> dict[str, Any]:
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


def waiting_body(waiting: Waiting) -> dict[str, Any]:
    share = waiting.share_within_10_min
    return {
        "seen_with_call": waiting.seen_with_call,
        "within_10_min": waiting.within_10_min,
        "share_within_10_min": share.rate,
        "ci_low": share.low,
        "ci_high": share.high,
        "bands": {"green": waiting.green, "orange": waiting.orange, "red": waiting.red},
        "median_minutes": waiting.median_minutes,
        "seen_without_call": waiting.seen_without_call,
    }


def waiting_row(waiting: Waiting) -> dict[str, Any]:
    """The same figures flat, for one CSV line."""
    body = waiting_body(waiting)
    return body | body.pop("bands")


def completeness_row(row: Completeness) -> dict[str, Any]:
    rate = row.rate
    return {
        "key": row.key,
        "recorded": row.recorded,
        "complete": row.complete,
        "rate": rate.rate,
        "ci_low": rate.low,
        "ci_high": rate.high,
    }


def capacity_row(row: CapacityAdvice) -> dict[str, Any]:
    return {
        "procedure": row.procedure,
        "visits": row.visits,
        "shows": row.shows,
        "show_rate": row.show_rate,
        "seats_per_day": row.seats_per_day,
        "advised_per_day": row.advised_per_day,
        "risk": row.risk,
    }


def affluence_row(row: Affluence) -> dict[str, Any]:
    return {"weekday": row.weekday, "hour": row.hour, "arrivals": row.arrivals}


def wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv" or "text/csv" in request.headers.get(
        "accept", ""
    )


def csv_response(
    rows: list[dict[str, Any]], columns: tuple[str, ...], filename: str | None = None
) -> Response[bytes]:
    """RFC 4180: comma, CRLF, a header line, `.` decimals, UTF-8; an empty cell for null."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row[c] is None else row[c] for c in columns])
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'} if filename else {}
    return Response(out.getvalue().encode(), media_type="text/csv", headers=headers)


@dataclass(frozen=True)
class TableRequest:
    """Which table of which site over which local dates, as the API and the dashboard ask."""

    site: str
    first: date
    last: date
    by: str | None = None
    risk: float = DEFAULT_RISK


def table_rows(
    statistics: Statistics, actor: Actor, table: str, asked: TableRequest
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """One table's rows and columns (what its CSV holds)."""
    site, first, last = asked.site, asked.first, asked.last
    if table == "attendance":
        report = statistics.attendance(actor, site, first, last, asked.by or "site")
        return [attendance_row(row) for row in report.rows], ATTENDANCE_COLUMNS
    if table == "waiting":
        return [waiting_row(statistics.waiting(actor, site, first, last))], WAITING_COLUMNS
    if table == "completeness":
        by = asked.by if asked.by in COMPLETENESS_GROUPINGS else "procedure"
        found, _ = statistics.completeness(actor, site, first, last, by)
        return [completeness_row(row) for row in found], COMPLETENESS_COLUMNS
    if table == "capacity":
        advice = statistics.capacity(actor, site, first, last, asked.risk)
        return [capacity_row(row) for row in advice], CAPACITY_COLUMNS
    if table == "affluence":
        found_rows = statistics.affluence(actor, site, first, last)
        return [affluence_row(row) for row in found_rows], AFFLUENCE_COLUMNS
    if table == "fair_access":
        found = statistics.fair_access(actor, site, first, last)
        return [asdict(found)], FAIR_ACCESS_COLUMNS
    if table == "waitlist":
        listed = statistics.waitlist(actor, site, first, last)
        return [asdict(listed)], WAITLIST_COLUMNS
    raise ValueError(f"no table {table}")


TABLES = (
    "attendance",
    "waiting",
    "completeness",
    "capacity",
    "affluence",
    "fair_access",
    "waitlist",
)


def table_csv(
    statistics: Statistics,
    actor: Actor,
    table: str,
    asked: TableRequest,
    filename: str | None = None,
) -> Response[bytes]:
    rows, columns = table_rows(statistics, actor, table, asked)
    return csv_response(rows, columns, filename)
