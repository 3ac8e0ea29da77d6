"""What fair access refused or held back: one row an event, masked from the start.

Managers count them over a period (the dashboard); site admins read the day's refusals by
masked address and masked phone. The masks are emptied after a day (retention); the counts
stay.
"""

from __future__ import annotations

import enum
import ipaddress
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import func, select, update
from sqlmodel import Session

from booking.domain.models import AccessEvent

_table = AccessEvent.__table__  # type: ignore[attr-defined]


class AccessKind(enum.StrEnum):
    limit = "limit"  # an attempt refused by a limit (detail: which)
    second_visit = "second_visit"  # a second live visit for one procedure refused
    seat_held_back = "seat_held_back"  # a seat freed by a citizen, back after a delay


def mask_address(address: str | None) -> str | None:
    """203.0.113.• for IPv4, the first three groups for IPv6 (2001:db8:1::•), else •."""
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "•"
    if parsed.version == 4:
        return ".".join(address.split(".")[:3]) + ".•"
    groups = parsed.exploded.split(":")[:3]
    return ":".join(group.lstrip("0") or "0" for group in groups) + "::•"


def mask_phone(phone: str | None) -> str | None:
    """06 •• •• •• 78 for a French number, +44 •• •• 56 elsewhere."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, "FR")
    except phonenumbers.NumberParseException:
        return "•"
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if e164.startswith("+33") and len(e164) == 12:
        return f"0{e164[3]} •• •• •• {e164[-2:]}"
    return f"{e164[:3]} •• •• {e164[-2:]}"


def record(
    session: Session,
    kind: AccessKind,
    at: datetime,
    *,
    site_id: str | None = None,
    detail: str | None = None,
    address: str | None = None,
    phone: str | None = None,
) -> None:
    session.add(
        AccessEvent(
            at=at,
            site_id=site_id,
            kind=kind,
            detail=detail,
            address=mask_address(address),
            phone=mask_phone(phone),
        )
    )


def counts(session: Session, site_id: str, begins: datetime, ends: datetime) -> dict[str, int]:
    """kind -> events at the site in [begins, ends)."""
    rows = session.execute(
        select(_table.c.kind, func.count())
        .where(_table.c.site_id == site_id, _table.c.at >= begins, _table.c.at < ends)
        .group_by(_table.c.kind)
    ).all()
    return {kind: number for kind, number in rows}


def refusals_of_day(
    session: Session, site_id: str, day: date, timezone: str
) -> list[tuple[str, str | None, str | None, str | None, int]]:
    """(kind, detail, masked address, masked phone, how many) refused at a site on a local
    day, the most frequent first."""
    zone = ZoneInfo(timezone)
    begins = datetime.combine(day, time(0), tzinfo=zone)
    ends = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    columns = (_table.c.kind, _table.c.detail, _table.c.address, _table.c.phone)
    rows = session.execute(
        select(*columns, func.count().label("n"))
        .where(
            _table.c.site_id == site_id,
            _table.c.at >= begins,
            _table.c.at < ends,
            _table.c.kind != AccessKind.seat_held_back,
        )
        .group_by(*columns)
        .order_by(func.count().desc(), *columns)
    ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def forget_details(session: Session, before: datetime) -> int:
    """Masked addresses and phones older than `before` go; the counts stay."""
    statement = (
        update(_table)
        .where(_table.c.at < before, (_table.c.address.isnot(None)) | (_table.c.phone.isnot(None)))
        .values(address=None, phone=None)
    )
    return session.execute(statement).rowcount or 0
