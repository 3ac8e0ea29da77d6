"""A visit's link and code: issued with a random salt, verified under every accepted secret,
renewed on demand (the new link waits beside the old one, which stops working once the new one
is first used), and filled into messages only when they are sent."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import select
from sqlalchemy.engine import Connection

from booking.core.references import (
    code_matches,
    hold_code,
    manage_token,
    management_code,
    new_salt,
    token_matches,
    waitlist_code,
    waitlist_token,
)
from booking.domain.models import Appointment, Hold, WaitlistEntry, WaitlistOffer

_appointments = Appointment.__table__  # type: ignore[attr-defined]
_holds = Hold.__table__  # type: ignore[attr-defined]
_offers = WaitlistOffer.__table__  # type: ignore[attr-defined]
_entries = WaitlistEntry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Keys:
    """The secret that issues, then those that still verify (being rolled out)."""

    current: str
    previous: tuple[str, ...] = ()

    @property
    def all(self) -> Sequence[str]:
        return (self.current, *self.previous)


class Match(Enum):
    current = "current"
    renewed = "renewed"  # the new link's first use: it replaces the old one


def issue(appointment: Appointment) -> None:
    """A new visit's salt."""
    appointment.token_salt = new_salt()
    appointment.next_token_salt = None


def renew(appointment: Appointment) -> None:
    """A new link and code, beside the old ones until first used."""
    appointment.next_token_salt = new_salt()


def promote(appointment: Appointment) -> None:
    """The new link was used: the old link, code and cookies stop working."""
    if appointment.next_token_salt:
        appointment.token_salt = appointment.next_token_salt
        appointment.next_token_salt = None


def _issuing_salt(appointment: Appointment) -> str | None:
    return appointment.next_token_salt or appointment.token_salt


def token(keys: Keys, appointment: Appointment) -> str:
    """The link's token as it is issued now (the renewed one, when one waits)."""
    return manage_token(
        keys.current,
        appointment.id,
        appointment.token_version,
        _issuing_salt(appointment),  # type: ignore[arg-type]
    )


def code(keys: Keys, appointment: Appointment) -> str:
    return management_code(
        keys.current,
        appointment.id,
        appointment.token_version,
        _issuing_salt(appointment),  # type: ignore[arg-type]
    )


def _match(keys: Keys, appointment: Appointment, given: str | None, matches) -> Match | None:  # type: ignore[no-untyped-def]
    version = appointment.token_version
    if matches(keys.all, appointment.id, version, appointment.token_salt, given):
        return Match.current
    if appointment.next_token_salt and matches(
        keys.all, appointment.id, version, appointment.next_token_salt, given
    ):
        return Match.renewed
    return None


def token_match(keys: Keys, appointment: Appointment, given: str | None) -> Match | None:
    return _match(keys, appointment, given, token_matches)


def code_match(keys: Keys, appointment: Appointment, given: str | None) -> Match | None:
    return _match(keys, appointment, given, code_matches)


# In stored messages: markers, filled in only when the message is sent.
TOKEN_MARKER = "[[token]]"
CODE_MARKER = "[[code]]"
OTP_MARKER = "[[otp]]"  # a held seat's one-time code
ENTRY_MARKER = "[[entry]]"  # the token of the waiting-list entry a seat is offered to


def message_secrets(
    connection: Connection, keys: Keys, appointment_ids: Collection[int]
) -> Mapping[int, Mapping[str, str]]:
    """What fills the markers of the messages of these visits, as they stand now."""
    if not appointment_ids:
        return {}
    rows = connection.execute(
        select(
            _appointments.c.id,
            _appointments.c.token_version,
            _appointments.c.token_salt,
            _appointments.c.next_token_salt,
        ).where(_appointments.c.id.in_(sorted(appointment_ids)))
    )
    values: dict[int, dict[str, str]] = {}
    for row in rows:
        salt = row.next_token_salt or row.token_salt
        values[row.id] = {
            TOKEN_MARKER: manage_token(keys.current, row.id, row.token_version, salt),
            CODE_MARKER: management_code(keys.current, row.id, row.token_version, salt),
        }
    holds = connection.execute(
        select(_holds.c.id, _holds.c.appointment_id, _holds.c.resends).where(
            _holds.c.appointment_id.in_(sorted(appointment_ids)), _holds.c.state == "open"
        )
    )
    for hold in holds:
        code = hold_code(keys.current, hold.id, hold.resends)
        values.setdefault(hold.appointment_id, {})[OTP_MARKER] = code
    offers = connection.execute(
        select(_offers.c.appointment_id, _entries.c.id, _entries.c.token_salt)
        .select_from(_offers.join(_entries, _entries.c.id == _offers.c.entry_id))
        .where(_offers.c.appointment_id.in_(sorted(appointment_ids)))
    )
    for offer in offers:
        token = waitlist_token(keys.current, offer.id, offer.token_salt)
        values.setdefault(offer.appointment_id, {})[ENTRY_MARKER] = token
    return values


def entry_secrets(
    connection: Connection, keys: Keys, entry_ids: Collection[int]
) -> Mapping[int, Mapping[str, str]]:
    """What fills the code marker of a waiting-list entry's check message."""
    rows = connection.execute(
        select(_entries.c.id).where(
            _entries.c.id.in_(sorted(entry_ids)), _entries.c.state == "checking"
        )
    )
    return {row.id: {OTP_MARKER: waitlist_code(keys.current, row.id)} for row in rows}
