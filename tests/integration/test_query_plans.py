"""A booking's lookups of a person's visits go through an index of that person, so that a
booking does not cost more as a procedure's or a site's visits pile up (SQLite's plans: they
do not depend on statistics, as PostgreSQL's do on a small table)."""

from __future__ import annotations

import pytest

from booking.container import Container
from tests.support.scenarios import request, setup_site
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
