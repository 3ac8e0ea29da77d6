"""JSON API v1: thin handlers that parse, call one use case and present the result."""

from __future__ import annotations

from litestar import Router

from booking.web.api import holds, waitlist
from booking.web.api.appointments import (
    cancel_appointment,
    create_appointment,
    reschedule_appointment,
    show_appointment,
)
from booking.web.api.catalogue import list_procedures, list_sites, procedure_checklist, site_slots
from booking.web.api.provider import twilio_inbound, twilio_status
from booking.web.api.staff import staff_api
from booking.web.api.stats import stats_api
from booking.web.deps import DEPENDENCIES

api_v1 = Router(
    path="/api/v1",
    route_handlers=[
        list_sites,
        list_procedures,
        site_slots,
        procedure_checklist,
        create_appointment,
        show_appointment,
        cancel_appointment,
        reschedule_appointment,
        *holds.ROUTES,
        *waitlist.ROUTES,
        twilio_status,
        twilio_inbound,
        staff_api,
        stats_api,
    ],
    dependencies=DEPENDENCIES,
)
