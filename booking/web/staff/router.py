"""The back office's router: every staff page, behind the permission guard then the CSRF guard
(in this order: who sent it, then whether the form is theirs)."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from booking.web.deps import DEPENDENCIES, permission_guard
from booking.web.shared.csrf import csrf_guard
from booking.web.staff import (
    account,
    agenda,
    booking,
    closures,
    counters,
    figures,
    records,
    refusals,
    settings,
    team,
    visits,
    waitlist,
)
from booking.web.staff.session import provide_page_actor

FEATURES = (
    account,
    agenda,
    visits,
    booking,
    closures,
    counters,
    settings,
    refusals,
    waitlist,
    team,
    records,
    figures,
)

staff_pages = Router(
    path="/staff",
    route_handlers=[handler for feature in FEATURES for handler in feature.ROUTES],
    dependencies={**DEPENDENCIES, "actor": Provide(provide_page_actor, sync_to_thread=True)},
    guards=[permission_guard(provide_page_actor), csrf_guard],
    include_in_schema=False,
)
