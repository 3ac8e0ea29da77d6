"""JSON API v1: thin handlers that parse, call one use case and present the result."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from booking.web.appointments_api import (
    cancel_appointment,
    create_appointment,
    reschedule_appointment,
    show_appointment,
)
from booking.web.catalogue_api import list_procedures, list_sites, procedure_checklist, site_slots
from booking.web.deps import provide_services, provide_slot_lists
from booking.web.provider import twilio_inbound, twilio_status

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
        twilio_status,
        twilio_inbound,
    ],
    dependencies={
        "services": Provide(provide_services, sync_to_thread=False),
        "slot_lists": Provide(provide_slot_lists, sync_to_thread=False),
    },
    request_max_body_size=64 * 1024,
)
