"""What handlers are given by dependency injection: the use cases and common parameters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import anyio
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.params import HeaderParameter, PathParameter, QueryParameter, SkipValidation
from litestar.types import Guard

from booking.config.settings import Settings
from booking.container import Container
from booking.core.access import Actor, Permission
from booking.queries.agenda import Desk
from booking.queries.records import SiteRecords
from booking.queries.statistics import Statistics
from booking.use_cases.closures import Closures
from booking.use_cases.directory import Directory
from booking.use_cases.holds import Holds
from booking.use_cases.opening_hours import OpeningHours
from booking.use_cases.replies import Replies
from booking.use_cases.site_admin import SiteAdmin
from booking.use_cases.staff_accounts import StaffAccounts
from booking.use_cases.visits import Visits
from booking.use_cases.waitlist import Waitlist


def container_of(request: Request) -> Container:
    return request.app.state.container


def provide_visits(request: Request) -> Visits:
    return container_of(request).visits


def provide_holds(request: Request) -> Holds:
    return container_of(request).holds


def provide_waitlist(request: Request) -> Waitlist:
    return container_of(request).waitlist


def provide_directory(request: Request) -> Directory:
    return container_of(request).directory


def provide_replies(request: Request) -> Replies:
    return container_of(request).replies


def provide_settings(request: Request) -> Settings:
    return container_of(request).settings


def client_address(request: Request, settings: Settings) -> str:
    """The client's address: the direct peer's, or the last hop of X-Forwarded-For when the
    peer is one of the proxies `forwarded_allow_ips` trusts."""
    peer = request.client.host if request.client else "unknown"
    trusted = {ip.strip() for ip in settings.forwarded_allow_ips.split(",") if ip.strip()}
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded and ("*" in trusted or peer in trusted):
        return forwarded.split(",")[-1].strip()[:64] or peer
    return peer


def address_of(request: Request) -> str:
    """The client's address under the service's own settings."""
    return client_address(request, container_of(request).settings)


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def provide_bearer_actor(request: Request) -> Actor:
    """The staff member of a JSON request: a bearer token only, never the pages' cookie."""
    cached = request.state.get("actor")
    if cached is not None:
        return cached
    container = container_of(request)
    address = client_address(request, container.settings)
    actor = container.staff.authenticate(bearer_token(request), kind="bearer", address=address)
    request.state.actor = actor
    return actor


def permission_guard(resolve: Callable[[Request], Actor]) -> Guard:
    """A guard that checks the route's `opt["permission"]` for the signed-in staff member,
    and the site when the path names one, before the request's body is even read."""

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        if handler.opt.get("public"):
            return
        actor = await anyio.to_thread.run_sync(resolve, connection)
        permission = handler.opt.get("permission")
        if permission is not None:
            actor.require(Permission(permission), connection.path_params.get("site_id"))

    return guard


def provide_staff(request: Request) -> StaffAccounts:
    return container_of(request).staff


def provide_desk(request: Request) -> Desk:
    return container_of(request).desk


def provide_statistics(request: Request) -> Statistics:
    return container_of(request).statistics


def provide_records(request: Request) -> SiteRecords:
    return container_of(request).records


def provide_site_admin(request: Request) -> SiteAdmin:
    return container_of(request).site_admin


def provide_closures(request: Request) -> Closures:
    return container_of(request).closures


def provide_opening_hours(request: Request) -> OpeningHours:
    return container_of(request).opening_hours


DEPENDENCIES = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "visits": Provide(provide_visits, sync_to_thread=False),
    "directory": Provide(provide_directory, sync_to_thread=False),
    "holds": Provide(provide_holds, sync_to_thread=False),
    "waitlist": Provide(provide_waitlist, sync_to_thread=False),
    "replies": Provide(provide_replies, sync_to_thread=False),
    "staff": Provide(provide_staff, sync_to_thread=False),
    "desk": Provide(provide_desk, sync_to_thread=False),
    "site_admin": Provide(provide_site_admin, sync_to_thread=False),
    "closures": Provide(provide_closures, sync_to_thread=False),
    "opening_hours": Provide(provide_opening_hours, sync_to_thread=False),
    "records": Provide(provide_records, sync_to_thread=False),
    "statistics": Provide(provide_statistics, sync_to_thread=False),
}

SettingsDep = NamedDependency[SkipValidation[Settings]]
StaffDep = NamedDependency[SkipValidation[StaffAccounts]]
DeskDep = NamedDependency[SkipValidation[Desk]]
SiteAdminDep = NamedDependency[SkipValidation[SiteAdmin]]
ClosuresDep = NamedDependency[SkipValidation[Closures]]
OpeningHoursDep = NamedDependency[SkipValidation[OpeningHours]]
RecordsDep = NamedDependency[SkipValidation[SiteRecords]]
StatisticsDep = NamedDependency[SkipValidation[Statistics]]
ActorDep = NamedDependency[SkipValidation[Actor]]
VisitsDep = NamedDependency[SkipValidation[Visits]]
DirectoryDep = NamedDependency[SkipValidation[Directory]]
HoldsDep = NamedDependency[SkipValidation[Holds]]
WaitlistDep = NamedDependency[SkipValidation[Waitlist]]
RepliesDep = NamedDependency[SkipValidation[Replies]]
TokenHeader = Annotated[str | None, HeaderParameter(name="X-Manage-Token", max_length=200)]
Reference = Annotated[str, PathParameter(max_length=40)]
OptionalQuery = Annotated[str | None, QueryParameter(max_length=64)]
