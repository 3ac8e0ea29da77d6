"""A booking's lookups of a person's visits go through an index of that person, so that a
booking does not cost more as a procedure's or a site's visits pile up (SQLite's plans: they
do not depend on statistics, as PostgreSQL's do on a small table)."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from booking.container import Container
from booking.core.slots import to_minute
from tests.support.scenarios import TUESDAY_9, request, setup_site
from tests.support.statements import statements_run


def plans_of_one_booking(container: Container) -> list[str]:
    with statements_run(container.engine) as statements:
        container.visits.book(request(email="Amina.Diallo@example.fr"), address="10.0.0.1")
    with container.engine.connect() as connection:
        return [
            detail
            for statement, parameters in statements
            if statement.startswith(("SELECT", "INSERT"))
            for *_, detail in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )
        ]


def test_a_booking_looks_up_the_persons_visits_by_their_own_indexes(container, engine_name):
    if engine_name != "sqlite":
        pytest.skip("PostgreSQL's plans on a small table depend on its statistics")
    setup_site(container)
    steps = plans_of_one_booking(container)
    searches = [step for step in steps if step.startswith("SEARCH appointment")]
    # one live visit per person: by phone and by email; a repeat: by the phone's key
    assert any("ix_appointment_phone_procedure (phone=? AND procedure_id=?)" in s for s in searches)
    assert any("ix_appointment_email_procedure" in s for s in searches)
    assert any(
        "ix_appointment_phone_key_site_date (phone_key=? AND site_id=?" in s for s in searches
    )
    assert not any("ix_appointment_procedure_id" in s or "site_local_date" in s for s in searches)


def test_a_booking_reads_the_load_of_its_own_cells_not_its_days(container):
    """The freest counter is chosen at the visit's start: a full day costs no more to book."""
    setup_site(container, counters=2)
    ranges = []

    def remember(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        named = (getattr(context, "compiled_parameters", None) or [{}])[0]
        if "counter_load" in statement and "first" in named:
            ranges.append((named["first"], named["last"]))

    event.listen(container.engine, "before_cursor_execute", remember)
    try:
        container.visits.book(request(), address="10.0.0.1")
    finally:
        event.remove(container.engine, "before_cursor_execute", remember)
    start = to_minute(TUESDAY_9)
    assert ranges == [(start, start + 15)]  # a 15-minute visit on a 15-minute grid


def test_a_bookings_insert_stays_within_the_drivers_statement_cache(container):
    """psycopg parses a statement of more than 50 parameters again at every execution: the
    visit's insert leaves out what a visit's life sets later (NULL when it is booked)."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH, MAX_CACHED_STATEMENT_PARAMS

    from booking.domain.appointments import SET_LATER
    from booking.domain.models import Appointment

    setup_site(container)
    with statements_run(container.engine) as statements:
        booked = container.visits.book(request(), address="10.0.0.1")
    inserts = [(s, p) for s, p in statements if s.startswith("INSERT INTO appointment")]
    assert len(inserts) == 1
    statement, parameters = inserts[0]
    assert len(parameters) <= MAX_CACHED_STATEMENT_PARAMS  # type: ignore[arg-type]
    assert len(statement) <= MAX_CACHED_STATEMENT_LENGTH
    columns = Appointment.__table__.columns  # type: ignore[attr-defined]
    assert all(
        columns[name].nullable and columns[name].server_default is None for name in SET_LATER
    )
    with container.uow.reading() as session:
        stored = session.get(Appointment, booked.appointment.id)
        assert stored is not None and all(getattr(stored, name) is None for name in SET_LATER)
