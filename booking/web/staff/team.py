"""A site's staff (add with a first password, reset, disable), and everyone's own password."""

from __future__ import annotations

import secrets

from litestar import Request, get, post
from litestar.params import RawBody
from litestar.response import Template

from booking.core.access import Actor, Role
from booking.core.errors import BookingError, FieldError
from booking.core.i18n import N_
from booking.web.deps import ActorDep, StaffDep
from booking.web.rendering import page
from booking.web.shared.forms import field_errors, form_items
from booking.web.staff.paths import RUN_SITE, SiteId

ROLE_LABELS = {
    Role.agent: N_("Agent"),
    Role.site_admin: N_("Site administrator"),
    Role.manager: N_("Manager (statistics)"),
}


def _addable(actor: Actor) -> dict[str, str]:
    """The roles this member may give (a site admin: agents and managers only)."""
    if actor.role == Role.admin:
        return ROLE_LABELS
    return {role: label for role, label in ROLE_LABELS.items() if role != Role.site_admin}


@get("/sites/{site_id:str}/agents", sync_to_thread=True, opt=RUN_SITE)
def staff_page(request: Request, site_id: SiteId, actor: ActorDep, staff: StaffDep) -> Template:
    return _staff_page(request, site_id, actor, staff)


def _staff_page(
    request: Request,
    site_id: str,
    actor: ActorDep,
    staff: StaffDep,
    *,
    errors: list[FieldError] | None = None,
    notice: str | None = None,
    password: str | None = None,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "staff/staff.html",
        status_code=status_code,
        actor=actor,
        site_id=site_id,
        members=staff.of_site(actor, site_id),
        roles=ROLE_LABELS,
        addable=_addable(actor),
        errors=errors or [],
        notice=notice,
        password=password,
    )


@post("/sites/{site_id:str}/agents", sync_to_thread=True, status_code=200, opt=RUN_SITE)
def staff_action(
    request: Request, site_id: SiteId, body: RawBody, actor: ActorDep, staff: StaffDep
) -> Template:
    """Add a member (with a first password to hand over), disable one, or reset a password."""
    form = dict(form_items(body))
    action, email = form.get("action"), form.get("email", "").strip()[:254]
    password = secrets.token_urlsafe(12)
    try:
        if action == "add":
            role = form.get("role", "agent")
            if role not in ROLE_LABELS:
                role = "agent"
            staff.add_to_site(actor, site_id, email, password, role)
            notice = N_("Account created: hand over its first password.")
        elif action == "reset":
            staff.reset_password(actor, email, password)
            notice = N_("Password reset: hand over the new one.")
        else:
            staff.disable(email, by=actor)
            notice, password = N_("Account disabled: its sessions have ended."), None
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        return _staff_page(
            request, site_id, actor, staff, errors=field_errors(exc), status_code=422
        )
    return _staff_page(request, site_id, actor, staff, notice=notice, password=password)


@get("/mot-de-passe", sync_to_thread=False)
def password_page(request: Request, actor: ActorDep) -> Template:
    return page(request, "staff/password.html", actor=actor, errors=[], saved=False)


@post("/mot-de-passe", sync_to_thread=True, status_code=200)
def change_password(request: Request, body: RawBody, actor: ActorDep, staff: StaffDep) -> Template:
    form = dict(form_items(body))
    try:
        staff.change_password(actor, form.get("current", ""), form.get("password", ""))
    except BookingError as exc:
        if exc.status_code in (401, 403):
            raise
        return page(
            request,
            "staff/password.html",
            status_code=422,
            actor=actor,
            errors=field_errors(exc),
            saved=False,
        )
    return page(request, "staff/password.html", actor=actor, errors=[], saved=True)


ROUTES = [staff_page, staff_action, password_page, change_password]
