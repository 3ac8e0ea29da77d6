"""Files a visitor downloads: the visit's calendar file, for the API and the pages alike."""

from __future__ import annotations

from litestar import Response

from booking.use_cases.visits import VisitCalendar
from notifications.calendar import calendar_file, method_of


def calendar_response(calendar: VisitCalendar) -> Response[bytes]:
    return Response(
        calendar_file(calendar.event),
        media_type=f"text/calendar; charset=utf-8; method={method_of(calendar.event)}",
        headers={"Content-Disposition": f'attachment; filename="{calendar.filename}"'},
    )
