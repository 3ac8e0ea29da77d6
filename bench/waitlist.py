"""Benchmark: a simulated month of the waiting list (issue 17), through the use cases on a
moved clock (`python -m bench.waitlist`; PostgreSQL with GUICHET_BENCH_POSTGRES_URL or
GUICHET_TEST_POSTGRES_URL, else SQLite).

A site whose pickup seats are all booked for the month; 500 people join the list over its
first week (each wanting a few days, some only mornings); 150 of the booked visits are
cancelled at random times. The worker's job runs every 10 minutes; each person offered a seat
accepts it (60 %) after a random wait within the offer's time, declines it (15 %) or lets it
lapse (25 %). Printed: seats freed, taken from the list, gone to the public, offers sent, the
most offers one person got, median hours from a seat's freeing to its acceptance and from
joining to a booking, the wall time. `--smoke`: 50 entries, 15 seats, a week.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench.slots_and_booking import drop_postgres, fresh_postgres
from booking.config.settings import Settings
from booking.container import build_container
from booking.core.booking_request import BookingRequest
from booking.core.errors import InvalidRequest
from booking.core.statuses import Channel
from booking.demo.builders import add_counter, add_site
from booking.domain.models import Appointment, WaitlistEntry, WaitlistOffer
from booking.migrate import migrate
from booking.use_cases.waitlist import JoinRequest
from notifications.models import Notification

PARIS = ZoneInfo("Europe/Paris")
PICKUP = "residence-permit-pickup"
FILE = ("pickup-notification", "passport", "tax-stamp")
STEP = timedelta(minutes=10)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def phone(index: int) -> str:
    digits = f"{20_000_000 + index:08d}"
    return "06 " + " ".join(digits[i : i + 2] for i in range(0, 8, 2))


def simulate(url: str, entries: int, seats: int, days: int, label: str) -> None:
    migrate(url)
    start = datetime(2027, 3, 1, 8, 0, tzinfo=PARIS).astimezone(UTC)  # a Monday
    clock = Clock(start)
    settings = Settings(
        database_url=url,
        secret_key="bench-secret-0123456789",
        environment="development",
        live_visits_per_person=1000,
        booking_attempts_per_hour=100_000,
    )
    container = build_container(settings, clock=clock)
    first_day = start.astimezone(PARIS).date() + timedelta(days=1)
    with container.uow.writing() as session:
        add_counter(
            session,
            add_site(session),
            capacity=1,
            procedures=(PICKUP,),
            windows=(("09:00", "12:00"),),
        )
    rng = random.Random(17)
    booked = _fill(container, first_day, days)
    began = time.perf_counter()
    joined: list[tuple[int, str]] = []
    for index in range(entries):  # over the first week, by day
        clock.moment = start + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        wish_first = first_day + timedelta(days=rng.randrange(0, days - 3))
        wanted = JoinRequest(
            procedure_id=PICKUP,
            site_ids=("paris",),
            first_day=max(wish_first, clock.moment.astimezone(PARIS).date()),
            last_day=min(
                wish_first + timedelta(days=rng.randrange(3, 15)),
                first_day + timedelta(days=days - 1),
            ),
            name=f"Attente {index}",
            phone=phone(index),
            half_days=("am",) if rng.random() < 0.3 else (),
            declared=FILE,
            channel=Channel.web,
        )
        if wanted.last_day < wanted.first_day:
            continue
        view = container.waitlist.join(wanted)
        joined.append((view.entry.id, view.token or ""))  # type: ignore[arg-type]
    later = [visit for visit in booked if visit[2] > start + timedelta(days=7, hours=4)]
    week = start + timedelta(days=7)
    cancels = sorted(  # each at a random moment between the second week and its start
        (week + (visit[2] - timedelta(hours=1) - week) * rng.random(), visit)
        for visit in rng.sample(later, min(seats, len(later)))
    )
    tokens = dict(joined)
    answers: list[tuple[datetime, str, str, str]] = []  # when, offer id, token, what
    freed_at: dict[datetime, datetime] = {}
    clock.moment = start + timedelta(days=7)
    end = start + timedelta(days=days)
    handled: set[str] = set()
    while clock.moment < end:
        while cancels and cancels[0][0] <= clock.moment:
            _, (reference, token, starts_at) = cancels.pop(0)
            if starts_at > clock.moment:
                container.visits.cancel(reference, token)
                freed_at[starts_at] = clock.moment
        container.waitlist.expire_due()
        for offer_id, entry_id, expires_at in _open_offers(container):
            if offer_id in handled:
                continue
            handled.add(offer_id)
            roll = rng.random()
            what = "accept" if roll < 0.6 else "decline" if roll < 0.75 else "lapse"
            if what != "lapse":
                wait = timedelta(
                    seconds=rng.randrange(
                        60, int((expires_at - clock.moment).total_seconds()) or 61
                    )
                )
                answers.append((clock.moment + wait, offer_id, tokens[entry_id], what))
        answers.sort()
        while answers and answers[0][0] <= clock.moment + STEP:
            moment, offer_id, token, what = answers.pop(0)
            clock.moment = max(clock.moment, moment)
            try:
                if what == "accept":
                    container.waitlist.accept(offer_id, token, address="bench")
                else:
                    container.waitlist.decline(offer_id, token, address="bench")
            except Exception:
                pass
        clock.moment += STEP
    wall = time.perf_counter() - began
    _report(container, label, entries, len(freed_at), freed_at, wall)
    container.engine.dispose()


def _fill(container, first_day: date, days: int) -> list[tuple[str, str, datetime]]:  # type: ignore[no-untyped-def]
    """Every seat of the month booked (by staff: no notice, no public rules)."""
    from booking.core.access import Actor, Role

    actor = Actor(staff_id=0, email="bench", role=Role.admin, sites=frozenset({"paris"}))
    visits = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for quarter in range(12):
            starts = datetime.combine(day, dt_time(9), tzinfo=PARIS) + timedelta(
                minutes=15 * quarter
            )
            request = BookingRequest(
                site_id="paris",
                procedure_id=PICKUP,
                start=starts,
                name="Inscrit",
                phone=phone(900_000 + offset * 100 + quarter),
                declared=FILE,
                channel=Channel.phone,
            )
            try:
                view = container.visits.book(request, actor=actor)
            except InvalidRequest:  # a public holiday: the site is closed
                break
            visits.append((view.appointment.reference, view.token, starts.astimezone(UTC)))
    return visits


def _open_offers(container) -> list[tuple[str, int, datetime]]:  # type: ignore[no-untyped-def]
    with container.uow.reading() as session:
        rows = session.execute(
            select(WaitlistOffer.public_id, WaitlistOffer.entry_id, WaitlistOffer.expires_at).where(
                WaitlistOffer.state == "open"
            )
        ).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def _report(container, label: str, entries: int, freed: int, freed_at, wall: float) -> None:  # type: ignore[no-untyped-def]
    with container.uow.reading() as session:
        offers = session.execute(
            select(WaitlistOffer.state, WaitlistOffer.appointment_id, WaitlistOffer.answered_at,
                   WaitlistEntry.created_at, Appointment.starts_at)
            .join(WaitlistEntry, WaitlistEntry.id == WaitlistOffer.entry_id)
            .join(Appointment, Appointment.id == WaitlistOffer.appointment_id)
        ).all()  # fmt: skip
        most = session.execute(select(func.max(WaitlistEntry.offers_sent))).scalar_one()
        sms = session.execute(
            select(func.count()).where(Notification.kind == "offer", Notification.channel == "sms")
        ).scalar_one()
    by_state: dict[str, int] = {}
    seats: dict[datetime, str] = {}
    for state, _, _, _, starts_at in offers:
        by_state[state] = by_state.get(state, 0) + 1
        if seats.get(starts_at) not in ("accepted", "open"):
            seats[starts_at] = state
    taken = [row for row in offers if row.state == "accepted"]
    public = sum(1 for state in seats.values() if state not in ("accepted", "open"))
    to_accept = [
        (row.answered_at - freed_at[row.starts_at]).total_seconds() / 3600
        for row in taken
        if row.starts_at in freed_at
    ]
    waits = [(row.answered_at - row.created_at).total_seconds() / 3600 for row in taken]
    never = freed - len(seats)
    print(f"waiting list [{label}] a simulated month: {entries} entries, {freed} seats freed")
    print(f"    offers: {dict(sorted(by_state.items()))}; offer SMS {sms}")
    print(f"    most offers to one person: {most}")
    print(f"    seats taken from the list: {len(taken)} of {freed} freed")
    print(f"    offered, then gone to the public: {public}")
    print(f"    never offered (too close to their start, or nobody fitting): {never}")
    if to_accept:
        freeing = statistics.median(to_accept)
        joining = statistics.median(waits) / 24
        print(f"    from freeing to acceptance: median {freeing:.1f} h")
        print(f"    from joining to booking: median {joining:.1f} days")
    print(f"    wall {wall:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=500)
    parser.add_argument("--seats", type=int, default=150)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--smoke", action="store_true", help="a small size, for CI")
    args = parser.parse_args()
    if args.smoke:
        args.entries, args.seats, args.days = 50, 15, 14
    admin = os.environ.get("GUICHET_BENCH_POSTGRES_URL") or os.environ.get(
        "GUICHET_TEST_POSTGRES_URL"
    )
    if admin:
        url = fresh_postgres(admin)
        try:
            simulate(url, args.entries, args.seats, args.days, "PostgreSQL")
        finally:
            drop_postgres(url)
        return
    with tempfile.TemporaryDirectory() as folder:
        simulate(
            f"sqlite:///{Path(folder) / 'waitlist.db'}",
            args.entries,
            args.seats,
            args.days,
            "SQLite",
        )


if __name__ == "__main__":
    main()
