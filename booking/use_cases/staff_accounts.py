"""Use cases of staff accounts: create, disable, sign in and out, authenticate a request,
change or reset a password. Passwords are hashed with Argon2; sessions live in the database,
so signing out, disabling an account or an idle time ends them in every process."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlmodel import Session
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from booking.core.access import Actor, Forbidden, NotSignedIn, Permission, Role
from booking.core.contacts import ContactError, normalise_email
from booking.core.errors import BookingError, InvalidRequest
from booking.core.i18n import N_
from booking.domain import audit
from booking.domain.models import Site
from booking.domain.sites import get_site
from booking.domain.staff_models import SignInFailure, StaffMember, StaffSession, StaffSite
from booking.use_cases.context import Context

FAILURE_WINDOW = timedelta(minutes=15)
FAILURES_PER_ADDRESS = 20  # any accounts, from one address, in FAILURE_WINDOW
FREE_FAILURES = 5  # for one account from one address, before the waits begin
FIRST_WAIT = timedelta(seconds=30)  # then doubling with each failure, up to MAX_WAIT
MAX_WAIT = timedelta(hours=1)
FAILURE_MEMORY = timedelta(days=1)
MIN_PASSWORD = 12
MAX_PASSWORD = 200
MANAGED_BY_SITE_ADMINS = (Role.agent, Role.manager)
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
        # Checked for unknown and disabled accounts, so they take as long as real ones.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    # Accounts ---------------------------------------------------------------------------

    def add(self, email: str, password: str, role: str, sites: list[str]) -> StaffMember:
        try:
            email = normalise_email(email).lower()
        except ContactError:
            raise InvalidRequest.for_field(
                "email", N_("This email address is not valid.")
            ) from None
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
        """A site admin adds an agent or a manager to their site (admins add anyone)."""
        actor.require(Permission.run_site, site_id)
        if actor.role != Role.admin and role not in MANAGED_BY_SITE_ADMINS:
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
                self._journal(session, by, "staff.disable", member)
            member.active = False
            session.add(member)
            session.execute(delete(StaffSession).where(StaffSession.staff_id == member.id))
            return True

    def change_password(self, actor: Actor, current: str, new: str) -> None:
        """One's own password: every other session and token of the account ends."""
        check_password(new)
        with self._uow.writing() as session:
            member = session.get(StaffMember, actor.staff_id)
            if member is None or not self._verify(member.password_hash, current):
                raise InvalidRequest.for_field("current", N_("This is not your current password."))
            member.password_hash = self._hasher.hash(new)
            session.add(member)
            session.execute(
                delete(StaffSession).where(
                    StaffSession.staff_id == member.id, StaffSession.digest != actor.session
                )
            )
            self._journal(session, actor, "staff.password", member)

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
            self._journal(session, actor, "staff.reset_password", member)

    # Sessions ---------------------------------------------------------------------------

    def sign_in(self, email: str, password: str, *, address: str, kind: str) -> SignedIn:
        """A session for the right password. Failures are limited per account and address
        with growing waits (nobody can lock another's account from elsewhere), and per
        address; unknown and disabled accounts cost the same Argon2 check as real ones."""
        email = email.strip().lower()[:254]
        now = self._context.now()
        with self._uow.writing() as session:
            self._refuse_when_hammered(session, email, address, now)
            member = self._member(session, email)
            known = member is not None and member.active
            right = self._verify(member.password_hash if known else self._dummy, password)  # type: ignore[union-attr]
            if not (known and right):
                session.add(SignInFailure(email=email, address=address[:64], at=now))
                stranger = Actor(0, email, "", frozenset(), address)
                self._journal(session, stranger, "staff.sign_in_failed", member)
                failed = True
            else:
                failed = False
                if self._hasher.check_needs_rehash(member.password_hash):  # type: ignore[union-attr]
                    member.password_hash = self._hasher.hash(password)  # type: ignore[union-attr]
                    session.add(member)
                token = secrets.token_urlsafe(32)
                expires = now + self._lifetime()
                session.add(
                    StaffSession(
                        digest=digest(token),
                        staff_id=member.id,  # type: ignore[arg-type,union-attr]
                        kind=kind,
                        csrf=secrets.token_urlsafe(24) if kind == "cookie" else "",
                        created_at=now,
                        last_seen_at=now,
                        expires_at=expires,
                    )
                )
                actor = self._actor(session, member, address, "", digest(token))  # type: ignore[arg-type]
                self._journal(session, actor, "staff.sign_in", member, kind=kind)
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
            actor = self._actor(session, member, address, row.csrf, row.digest)
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
    def _actor(
        session: Session, member: StaffMember, address: str, csrf: str, session_digest: str
    ) -> Actor:
        if member.role == Role.admin:
            sites = session.execute(select(Site.id)).scalars()
        else:
            sites = session.execute(
                select(StaffSite.site_id).where(StaffSite.staff_id == member.id)
            ).scalars()
        return Actor(
            member.id,  # type: ignore[arg-type]
            member.email,
            member.role,
            frozenset(sites),
            address,
            csrf,
            session_digest,
        )

    @staticmethod
    def _sites_of(session: Session, member: StaffMember) -> set[str]:
        found = select(StaffSite.site_id).where(StaffSite.staff_id == member.id)
        return set(session.execute(found).scalars())

    def _require_admin_of(self, session: Session, actor: Actor, member: StaffMember) -> None:
        """Admins manage every account; a site admin, the agents and managers who share one
        of their sites (never a site admin, an admin, nor an account of no site)."""
        if actor.role == Role.admin:
            return
        shared = {s for s in self._sites_of(session, member) if actor.may(Permission.run_site, s)}
        if member.role not in MANAGED_BY_SITE_ADMINS or not shared:
            raise Forbidden(N_("Your account may not do this here."))

    def _journal(
        self,
        session: Session,
        actor: Actor,
        action: str,
        member: StaffMember | None,
        **details: object,
    ) -> None:
        """An account's event, in the journal of each of its sites (of none: admins see it
        in every site's journal)."""
        sites = sorted(self._sites_of(session, member)) if member is not None else []
        target = member.email if member is not None else actor.email
        for site_id in sites or [None]:
            audit.record(
                session,
                actor,
                action,
                now=self._context.now(),
                site_id=site_id,
                target=target,
                **details,
            )

    @staticmethod
    def _refuse_when_hammered(session: Session, email: str, address: str, now: datetime) -> None:
        """Too many failures from this address (any account), or this account's failures from
        this address not yet waited out: 429 with Retry-After."""
        count = select(func.count()).select_from(SignInFailure)
        recent = count.where(
            SignInFailure.address == address, SignInFailure.at > now - FAILURE_WINDOW
        )
        if session.execute(recent).scalar_one() >= FAILURES_PER_ADDRESS:
            raise TooManyAttempts(int(FAILURE_WINDOW.total_seconds()))
        failures, last = session.execute(
            select(func.count(), func.max(SignInFailure.at)).where(
                SignInFailure.email == email,
                SignInFailure.address == address,
                SignInFailure.at > now - FAILURE_MEMORY,
            )
        ).one()
        if failures < FREE_FAILURES:
            return
        wait = min(FIRST_WAIT * 2 ** (failures - FREE_FAILURES), MAX_WAIT)
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        if now < last + wait:
            raise TooManyAttempts(max(1, int((last + wait - now).total_seconds())))


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        message = N_("Choose a password of at least {length} characters.")
        raise InvalidRequest.for_field("password", message, length=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        message = N_("Choose a password of at most {length} characters.")
        raise InvalidRequest.for_field("password", message, length=MAX_PASSWORD)
    if is_common(password):
        message = N_("This password is among the most common ones: choose another.")
        raise InvalidRequest.for_field("password", message)


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common(password: str) -> bool:
    """In zxcvbn's list of the 30,000 most common passwords, once the digits and signs people
    add around them are set aside ("azertyuiop2024!" is "azertyuiop"), or digits only."""
    lowered = password.lower()
    core = lowered.strip("0123456789!?.*#@$_-+ ")
    return not core or lowered in _common_passwords() or core in _common_passwords()
