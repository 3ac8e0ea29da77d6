"""Use cases of staff accounts: create, disable, sign in and out, authenticate a request,
change or reset a password. Passwords are hashed with Argon2; sessions live in the database,
so signing out, disabling an account or an idle time ends them in every process."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlmodel import Session

from booking.core.access import Actor, Forbidden, NotSignedIn, Permission, Role
from booking.core.errors import BookingError, InvalidRequest
from booking.core.i18n import N_
from booking.domain import audit
from booking.domain.models import Site
from booking.domain.sites import get_site
from booking.domain.staff_models import SignInFailure, StaffMember, StaffSession, StaffSite
from booking.use_cases.context import Context

FAILURE_WINDOW = timedelta(minutes=15)
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
MIN_PASSWORD = 12
SEEN_EVERY = timedelta(minutes=1)  # how often a session's last use is written down
WRONG = N_("Wrong email address or password.")


class TooManyAttempts(BookingError):
    status_code = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(N_("Too many attempts: try again in a few minutes."))
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class SignedIn:
    token: str  # the secret, shown once: only its digest is stored
    expires_at: datetime
    actor: Actor


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffAccounts:
    def __init__(self, context: Context) -> None:
        self._context = context
        self._uow = context.uow
        settings = context.settings
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
        )

    # Accounts ---------------------------------------------------------------------------

    def add(self, email: str, password: str, role: str, sites: list[str]) -> StaffMember:
        email = email.strip().lower()
        if role not in set(Role):
            raise InvalidRequest.for_field("role", N_("Unknown role."))
        check_password(password)
        with self._uow.writing() as session:
            if session.execute(select(StaffMember).where(StaffMember.email == email)).first():
                raise InvalidRequest.for_field("email", N_("This account already exists."))
            for site_id in sites:
                get_site(session, site_id, field_name="sites")
            member = StaffMember(
                email=email,
                password_hash=self._hasher.hash(password),
                role=role,
                created_at=self._context.now(),
            )
            session.add(member)
            session.flush()
            for site_id in sorted(set(sites)):
                session.add(StaffSite(staff_id=member.id, site_id=site_id))  # type: ignore[arg-type]
            return member

    def of_site(self, actor: Actor, site_id: str) -> list[StaffMember]:
        """The staff of a site (its admins see them; an admin is everywhere, unlisted)."""
        actor.require(Permission.run_site, site_id)
        with self._uow.reading() as session:
            return list(
                session.execute(
                    select(StaffMember)
                    .join(StaffSite, StaffSite.staff_id == StaffMember.id)
                    .where(StaffSite.site_id == site_id)
                    .order_by(StaffMember.email)
                ).scalars()
            )

    def add_to_site(
        self, actor: Actor, site_id: str, email: str, password: str, role: str
    ) -> StaffMember:
        """A site admin adds an agent, a site admin or a manager to their site."""
        actor.require(Permission.run_site, site_id)
        if role == Role.admin and actor.role != Role.admin:
            raise Forbidden(N_("Your account may not do this here."))
        member = self.add(email, password, role, [site_id])
        with self._uow.writing() as session:
            now = self._context.now()
            audit.record(
                session,
                actor,
                "staff.add",
                now=now,
                site_id=site_id,
                target=member.email,
                role=role,
            )
        return member

    def exists(self, email: str) -> bool:
        with self._uow.reading() as session:
            return self._member(session, email) is not None

    def disable(self, email: str, *, by: Actor | None = None) -> bool:
        """Disable an account and end its sessions at once; False if there is none."""
        with self._uow.writing() as session:
            member = self._member(session, email)
            if member is None:
                return False
            if by is not None:
                self._require_admin_of(session, by, member)
                audit.record(session, by, "staff.disable", now=self._context.now(), target=email)
            member.active = False
            session.add(member)
            session.execute(delete(StaffSession).where(StaffSession.staff_id == member.id))
            return True

    def change_password(self, actor: Actor, current: str, new: str) -> None:
        check_password(new)
        with self._uow.writing() as session:
            member = session.get(StaffMember, actor.staff_id)
            if member is None or not self._verify(member.password_hash, current):
                raise InvalidRequest.for_field("current", N_("This is not your current password."))
            member.password_hash = self._hasher.hash(new)
            session.add(member)
            audit.record(
                session, actor, "staff.password", now=self._context.now(), target=actor.email
            )

    def reset_password(self, actor: Actor, email: str, new: str) -> None:
        """A site admin (or an admin) sets a new password; the member's sessions end."""
        check_password(new)
        with self._uow.writing() as session:
            member = self._member(session, email)
            if member is None:
                raise InvalidRequest.for_field("email", N_("Unknown account."))
            self._require_admin_of(session, actor, member)
            member.password_hash = self._hasher.hash(new)
            session.add(member)
            session.execute(delete(StaffSession).where(StaffSession.staff_id == member.id))
            audit.record(
                session, actor, "staff.reset_password", now=self._context.now(), target=email
            )

    # Sessions ---------------------------------------------------------------------------

    def sign_in(self, email: str, password: str, *, address: str, kind: str) -> SignedIn:
        email = email.strip().lower()[:254]
        now = self._context.now()
        with self._uow.writing() as session:
            self._refuse_when_hammered(session, email, address, now)
            member = self._member(session, email)
            if (
                member is None
                or not member.active
                or not self._verify(member.password_hash, password)
            ):
                session.add(SignInFailure(email=email, address=address[:64], at=now))
                failed = True
            else:
                failed = False
                token = secrets.token_urlsafe(32)
                expires = now + self._lifetime()
                session.add(
                    StaffSession(
                        digest=digest(token),
                        staff_id=member.id,  # type: ignore[arg-type]
                        kind=kind,
                        csrf=secrets.token_urlsafe(24) if kind == "cookie" else "",
                        created_at=now,
                        last_seen_at=now,
                        expires_at=expires,
                    )
                )
                actor = self._actor(session, member, address, "")
                audit.record(session, actor, "staff.sign_in", now=now, target=email, kind=kind)
        if failed:  # the failure is committed, the answer is an error
            raise NotSignedIn(WRONG)
        return SignedIn(token, expires, actor)

    def sign_out(self, token: str) -> None:
        with self._uow.writing() as session:
            session.execute(delete(StaffSession).where(StaffSession.digest == digest(token)))

    def authenticate(self, token: str | None, *, kind: str, address: str) -> Actor:
        """The staff member behind a session token of this kind; 401 when there is none."""
        if not token:
            raise NotSignedIn(N_("Sign in first."))
        now = self._context.now()
        idle = timedelta(minutes=self._context.settings.staff_idle_minutes)
        with self._uow.reading() as session:
            row = session.get(StaffSession, digest(token))
            member = session.get(StaffMember, row.staff_id) if row else None
            if (
                row is None
                or member is None
                or row.kind != kind
                or not member.active
                or row.expires_at <= now
                or row.last_seen_at + idle <= now
            ):
                raise NotSignedIn(N_("Your session has ended: sign in again."))
            actor = self._actor(session, member, address, row.csrf)
            stale = row.last_seen_at + SEEN_EVERY <= now
        if stale:
            with self._uow.writing() as session:
                row = session.get(StaffSession, digest(token))
                if row is not None:
                    row.last_seen_at = now
                    session.add(row)
        return actor

    # ------------------------------------------------------------------------------------

    def _verify(self, stored: str, given: str) -> bool:
        try:
            return self._hasher.verify(stored, given)
        except (VerificationError, InvalidHashError):
            return False

    def _lifetime(self) -> timedelta:
        return timedelta(hours=self._context.settings.staff_session_hours)

    @staticmethod
    def _member(session: Session, email: str) -> StaffMember | None:
        found = select(StaffMember).where(StaffMember.email == email.strip().lower())
        return session.execute(found).scalar_one_or_none()

    @staticmethod
    def _actor(session: Session, member: StaffMember, address: str, csrf: str) -> Actor:
        if member.role == Role.admin:
            sites = session.execute(select(Site.id)).scalars()
        else:
            sites = session.execute(
                select(StaffSite.site_id).where(StaffSite.staff_id == member.id)
            ).scalars()
        return Actor(member.id, member.email, member.role, frozenset(sites), address, csrf)  # type: ignore[arg-type]

    def _require_admin_of(self, session: Session, actor: Actor, member: StaffMember) -> None:
        theirs = session.execute(
            select(StaffSite.site_id).where(StaffSite.staff_id == member.id)
        ).scalars()
        if actor.role == "admin":
            return
        if member.role == Role.admin or not all(
            actor.may(Permission.run_site, site) for site in theirs
        ):
            raise Forbidden(N_("Your account may not do this here."))

    @staticmethod
    def _refuse_when_hammered(session: Session, email: str, address: str, now: datetime) -> None:
        since = now - FAILURE_WINDOW
        count = select(func.count()).select_from(SignInFailure).where(SignInFailure.at > since)
        by_account = session.execute(count.where(SignInFailure.email == email)).scalar_one()
        by_address = session.execute(count.where(SignInFailure.address == address)).scalar_one()
        if by_account >= FAILURES_PER_ACCOUNT or by_address >= FAILURES_PER_ADDRESS:
            raise TooManyAttempts(int(FAILURE_WINDOW.total_seconds()))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        message = N_("Choose a password of at least {length} characters.")
        raise InvalidRequest.for_field("password", message, length=MIN_PASSWORD)
