"""A realistic past for the managers' figures: `guichet demo --history MONTHS` and the
statistics benchmark. Visits fill each counter's grid; no-shows vary by weekday and lead time,
some files are incomplete (and some of those citizens come back with the same phone), waits
fall in every colour band, a few visits are left unrecorded, surveys get replies.

Rows are written in bulk (one INSERT of many rows at a time): a year of a large site takes
seconds, never the booking path's per-visit transaction.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlmodel import Session

from booking.core.contacts import phone_key
from booking.core.lifecycle import wait_seconds
from booking.core.slots import from_minute, grid_starts
from booking.domain.availability import load_site_plan
from booking.domain.models import Appointment, CounterProcedure, Site
from notifications.models import Notification

PREFIX = "H"  # history references: H + site number + a running number (never a real one)
HISTORY_REFERENCE_LENGTH = 12
CHANNELS = (("web", 0.84), ("phone", 0.08), ("desk", 0.06), ("intermediary", 0.02))
LEADS = ((0, 0, 0.05), (1, 2, 0.15), (3, 7, 0.30), (8, 14, 0.25), (15, 30, 0.20), (31, 60, 0.05))
WEEKDAY_NO_SHOW = (0.05, 0.0, 0.01, 0.0, 0.04, 0.02, 0.0)  # Mondays and Fridays are worse
BATCH = 5_000


@dataclass(frozen=True)
class Shape:
    """How full and how kept the past was (the demo's defaults)."""

    fill: float = 0.82
    base_no_show: float = 0.09
    cancelled: float = 0.07
    unrecorded: float = 0.01
    incomplete: float = 0.22
    comes_back: float = 0.35  # of incomplete files, the citizen books again within 60 days
    reply: float = 0.4  # survey replies, where the survey is on


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def _lead(rng: random.Random) -> int:
    low, high, _ = rng.choices(LEADS, [w[2] for w in LEADS])[0]
    return rng.randint(low, high)


def _wait(rng: random.Random) -> float:
    """Minutes from the later of arrival and appointment time to the call."""
    band = rng.random()
    if band < 0.70:
        return rng.uniform(0, 12)
    if band < 0.90:
        return rng.uniform(12, 30)
    if band < 0.97:
        return rng.uniform(30, 60)
    return rng.uniform(60, 100)


def visits_of_site(
    session: Session,
    site: Site,
    number: int,
    first: date,
    last: date,
    secret: str,
    rng: random.Random,
    shape: Shape = Shape(),
) -> Iterator[tuple[dict, list[dict]]]:
    """(visit row, its messages) for every visit of the site's past over local days."""
    zone = ZoneInfo(site.timezone)
    plan = load_site_plan(session, site, None, first, last)
    served: dict[int, list[str]] = {}
    for counter_id, procedure_id in session.execute(
        select(CounterProcedure.counter_id, CounterProcedure.procedure_id)
    ):
        served.setdefault(counter_id, []).append(procedure_id)
    come_back: list[tuple[date, str]] = []  # (from which day, phone key) of incomplete files
    running = 0
    day = first
    while day <= last:
        weekday = day.weekday()
        for counter in plan.counters:
            procedures = served.get(counter.counter_id)
            if not procedures or day in plan.calendar.closed_days:
                continue
            for start in grid_starts(counter, day, zone):
                for _ in range(counter.capacity):
                    if rng.random() > shape.fill:
                        continue
                    running += 1
                    yield _visit(
                        site, number, running, counter.counter_id, counter.slot_minutes,
                        rng.choice(procedures), from_minute(start), zone, weekday,
                        secret, rng, shape, come_back,
                    )  # fmt: skip
        day += timedelta(days=1)


def _visit(
    site: Site,
    number: int,
    running: int,
    counter_id: int,
    step: int,
    procedure_id: str,
    starts: datetime,
    zone: ZoneInfo,
    weekday: int,
    secret: str,
    rng: random.Random,
    shape: Shape,
    come_back: list[tuple[date, str]],
) -> tuple[dict, list[dict]]:
    local = starts.astimezone(zone)
    lead = _lead(rng)
    booked_at = starts - timedelta(days=lead, hours=rng.uniform(0, 8))
    key, repeat = None, False
    while come_back and (local.date() - come_back[0][0]).days > 60:
        come_back.pop(0)
    if come_back and rng.random() < 0.5 and (local.date() - come_back[0][0]).days >= 7:
        key, repeat = come_back.pop(0)[1], True
    key = key or phone_key(secret, f"+336{rng.randrange(10**8):08d}")
    row = _blank_row(site, number, running, counter_id, step, procedure_id, starts, local, lead)
    row |= {
        "channel": _pick(rng, CHANNELS),
        "language": "fr" if rng.random() < 0.9 else "en",
        "created_at": booked_at,
        "phone_key": key,
        "repeat_of_incomplete": repeat,
    }
    messages = _what_happened(row, site, weekday, lead, rng, shape, come_back)
    if site.reminder_hour is not None and lead >= 1 and rng.random() < 0.8:
        messages.append(_message(row, "reminder", starts - timedelta(hours=15)))
    return row, messages


def _what_happened(
    row: dict,
    site: Site,
    weekday: int,
    lead: int,
    rng: random.Random,
    shape: Shape,
    come_back: list[tuple[date, str]],
) -> list[dict]:
    """Cancelled, unrecorded, missed or seen (with its wait, file and survey): the row's
    outcome, and the survey message it caused."""
    starts, step, key = row["starts_at"], row["cell_minutes"], row["phone_key"]
    messages: list[dict] = []
    draw = rng.random()
    no_show = shape.base_no_show + WEEKDAY_NO_SHOW[weekday]
    no_show += 0.09 if lead > 14 else -0.05 if lead == 0 else 0.0
    if draw < shape.cancelled:
        before = timedelta(hours=rng.uniform(2, 24 * max(lead, 1)))
        row |= {"status": "cancelled_by_citizen", "cancelled_at": starts - before}
        row["cancelled_late"] = before < timedelta(hours=24)
    elif draw < shape.cancelled + shape.unrecorded:
        pass  # nobody said whether they came
    elif draw < shape.cancelled + shape.unrecorded + no_show:
        row |= {"status": "no_show", "no_show_at": starts + timedelta(minutes=30)}
    else:
        arrived = starts + timedelta(minutes=rng.uniform(-15, 10))
        called = max(arrived, starts) + timedelta(minutes=_wait(rng))
        complete = rng.random() > shape.incomplete
        called_at = called if rng.random() > 0.03 else None  # a few seen without the button
        row |= {
            "status": "seen",
            "checked_in_at": arrived,
            "called_at": called_at,
            "wait_seconds": None if called_at is None else wait_seconds(starts, arrived, called_at),
            "seen_at": called + timedelta(minutes=step),
            "file_checked_at": called + timedelta(minutes=5),
            "file_complete": complete,
        }
        if not complete and rng.random() < shape.comes_back:
            come_back.append((row["local_date"], key))
        if site.survey_enabled:
            asked = called + timedelta(minutes=step)
            row["survey_asked_at"] = asked
            messages.append(_message(row, "survey", asked))
            if rng.random() < shape.reply:
                score = rng.choices((1, 2, 3, 4, 5), (0.05, 0.07, 0.15, 0.38, 0.35))[0]
                row |= {"satisfaction": score, "satisfaction_at": called + timedelta(hours=2)}
    return messages


def _blank_row(
    site: Site,
    number: int,
    running: int,
    counter_id: int,
    step: int,
    procedure_id: str,
    starts: datetime,
    local: datetime,
    lead: int,
) -> dict:
    """A past visit's columns before anything happened to it."""
    return {
        "reference": f"{PREFIX}{number:02d}{running:09d}",
        "token_version": 1,
        "site_id": site.id,
        "counter_id": counter_id,
        "procedure_id": procedure_id,
        "starts_at": starts,
        "ends_at": starts + timedelta(minutes=step),
        "cell_minutes": step,
        "status": "booked",
        "notify_sms": True,
        "notify_email": False,
        "answers": {},
        "declared": [],
        "missing_declared": [],
        "updated_at": starts,
        "rescheduled_count": 0,
        "local_date": local.date(),
        "local_weekday": local.weekday(),
        "local_hour": local.hour,
        "lead_days": lead,
        "cancelled_late": False,
        "survey_asked_at": None,
        "anonymised_at": starts,  # a past without names: only what the figures keep
        "checked_in_at": None,
        "called_at": None,
        "wait_seconds": None,
        "seen_at": None,
        "no_show_at": None,
        "cancelled_at": None,
        "file_checked_at": None,
        "file_complete": None,
        "satisfaction": None,
        "satisfaction_at": None,
    }


def _message(row: dict, kind: str, at: datetime) -> dict:
    return {
        "idempotency_key": f"{row['reference']}-{kind}",
        "site_id": row["site_id"],
        "channel": "sms",
        "kind": kind,
        "language": row["language"],
        "recipient": "",
        "body": "",
        "due_at": at,
        "quiet_hours_apply": True,
        "timezone": "Europe/Paris",
        "status": "delivered",
        "attempts": 1,
        "created_at": at,
        "updated_at": at,
        "sent_at": at,
        "delivered_at": at,
    }


def write_history(
    session: Session,
    sites: list[Site],
    first: date,
    last: date,
    secret: str,
    seed: int = 2026,
    shape: Shape = Shape(),
) -> int:
    """Write the past of these sites over local days [first, last]; returns the visits."""
    rng = random.Random(seed)
    written = 0
    for number, site in enumerate(sites, start=1):
        visits: list[dict] = []
        messages: list[list[dict]] = []
        for row, site_messages in visits_of_site(
            session, site, number, first, last, secret, rng, shape
        ):
            visits.append(row)
            messages.append(site_messages)
            if len(visits) >= BATCH:
                written += _flush(session, visits, messages)
        written += _flush(session, visits, messages)
    return written


def _flush(session: Session, visits: list[dict], messages: list[list[dict]]) -> int:
    if not visits:
        return 0
    references = [row["reference"] for row in visits]
    ids = dict(
        session.execute(
            insert(Appointment).returning(Appointment.reference, Appointment.id), visits
        ).all()
    )
    rows = [
        message | {"appointment_id": ids[reference]}
        for reference, found in zip(references, messages, strict=True)
        for message in found
    ]
    if rows:
        session.execute(insert(Notification), rows)
    count = len(visits)
    visits.clear()
    messages.clear()
    return count


def has_history(session: Session) -> bool:
    found = session.execute(
        select(func.count()).where(
            Appointment.reference.like(f"{PREFIX}%"),
            func.length(Appointment.reference) == HISTORY_REFERENCE_LENGTH,  # real ones: 8
        )
    ).scalar_one()
    return bool(found)


def months_before(today: date, months: int) -> tuple[date, date]:
    """From `months` months ago up to yesterday."""
    return today - timedelta(days=round(months * 30.44)), today - timedelta(days=1)
