"""Who may do what, and where: the roles' permissions and the signed-in staff member (pure)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from booking.core.errors import BookingError
from booking.core.i18n import N_


class Role(enum.StrEnum):
    agent = "agent"  # the agenda of their sites, the counter moves, booking on behalf
    site_admin = "site_admin"  # also counters, windows, closures, settings, staff of the site
    manager = "manager"  # statistics of their sites only
    admin = "admin"  # everything, every site


class Permission(enum.StrEnum):
    agenda = "agenda"  # see the day's visits with their names
    counter = "counter"  # check in, call, seen, no-show, documents, cancel, book on behalf
    run_site = "run_site"  # counters, windows, closures, settings, staff, audit log
    statistics = "statistics"


GRANTS: dict[str, frozenset[Permission]] = {
    Role.agent: frozenset({Permission.agenda, Permission.counter}),
    Role.site_admin: frozenset(
        {Permission.agenda, Permission.counter, Permission.run_site, Permission.statistics}
    ),
    Role.manager: frozenset({Permission.statistics}),
    Role.admin: frozenset(Permission),
}


class NotSignedIn(BookingError):
    status_code = 401


class Forbidden(BookingError):
    status_code = 403


@dataclass(frozen=True)
class Actor:
    """A signed-in staff member, as a request sees them."""

    staff_id: int
    email: str
    role: str
    sites: frozenset[str]  # an admin's are every site
    address: str = ""
    csrf: str = ""
    session: str = ""  # the digest of the session it signed in with

    def may(self, permission: Permission, site_id: str | None = None) -> bool:
        if permission not in GRANTS.get(self.role, frozenset()):
            return False
        return site_id is None or self.role == Role.admin or site_id in self.sites

    def require(self, permission: Permission, site_id: str | None = None) -> None:
        if not self.may(permission, site_id):
            raise Forbidden(N_("Your account may not do this here."))
