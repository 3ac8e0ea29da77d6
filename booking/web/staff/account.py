"""Signing in and out of the back office, and where each role lands."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.params import RawBody
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from booking.core.access import NotSignedIn, Permission
from booking.core.errors import FieldError
from booking.use_cases.staff_accounts import TooManyAttempts
from booking.web.deps import (
    ActorDep,
    SettingsDep,
    StaffDep,
    client_address,
)
from booking.web.rendering import page
from booking.web.shared.forms import form_items
from booking.web.staff.paths import PUBLIC
from booking.web.staff.session import COOKIE, session_cookie


@get("/login", sync_to_thread=False, opt=PUBLIC)
def login_page(request: Request) -> Template:
    return page(request, "staff/login.html", errors=[], email="")


@post("/login", sync_to_thread=True, status_code=200, opt=PUBLIC)
def sign_in(
    request: Request, body: RawBody, staff: StaffDep, settings: SettingsDep
) -> Template | Redirect:
    form = dict(form_items(body))
    email = form.get("email", "")[:254]
    try:
        signed = staff.sign_in(
            email,
            form.get("password", "")[:200],
            address=client_address(request, settings),
            kind="cookie",
        )
    except (NotSignedIn, TooManyAttempts) as exc:
        error = FieldError("password", exc.detail)
        return page(
            request,
            "staff/login.html",
            status_code=exc.status_code,
            errors=[error],
            email=email,
        )
    max_age = settings.staff_session_hours * 3600
    return Redirect(
        "/staff/",
        status_code=HTTP_303_SEE_OTHER,
        cookies=[session_cookie(settings, signed.token, max_age)],
    )


@post("/logout", sync_to_thread=True, status_code=200)
def sign_out(
    request: Request, body: RawBody, actor: ActorDep, staff: StaffDep, settings: SettingsDep
) -> Redirect:
    staff.sign_out(request.cookies.get(COOKIE, ""))
    return Redirect(
        "/staff/login",
        status_code=HTTP_303_SEE_OTHER,
        cookies=[session_cookie(settings, "", 0)],
    )


@get("/", sync_to_thread=False)
def staff_home(request: Request, actor: ActorDep) -> Template | Redirect:
    sites = sorted(actor.sites)
    if actor.may(Permission.agenda) and len(sites) == 1:
        return Redirect(f"/staff/sites/{sites[0]}/agenda", status_code=HTTP_303_SEE_OTHER)
    if actor.may(Permission.statistics) and not actor.may(Permission.agenda):
        return Redirect("/staff/stats", status_code=HTTP_303_SEE_OTHER)  # a manager
    return page(request, "staff/home.html", actor=actor, sites=sites, Permission=Permission)


ROUTES = [login_page, sign_in, sign_out, staff_home]
