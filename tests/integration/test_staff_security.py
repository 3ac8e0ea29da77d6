"""Staff accounts that cannot be taken over, locked out or told apart (issue 15, items 4-7),
on both engines: who manages whom, the journal of account events, sign-in limits per account
and address with growing waits, the same Argon2 cost for unknown emails, passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from booking.core.access import Forbidden, NotSignedIn, Role
from booking.core.errors import InvalidRequest
from booking.use_cases.staff_accounts import TooManyAttempts, is_common
from tests.support.settings import make_settings
from tests.support.staff import PASSWORD, add_everyone, add_staff

pytestmark = pytest.mark.usefixtures("two_sites")
NEW = "a brand new password"


def sign_in(container, email: str, password: str = PASSWORD, address: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return container.staff.sign_in(email, password, address=address, kind="bearer")


def journal(container, site: str | None, action: str) -> list[str]:  # type: ignore[no-untyped-def]
    where = "site_id IS NULL" if site is None else "site_id = :site"
    with container.engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT target FROM audit_event WHERE {where} AND action = :action"),
            {"site": site, "action": action},
        )
        return sorted(row.target for row in rows)


def test_a_site_admin_manages_only_the_agents_and_managers_of_their_sites(container):
    emails = add_everyone(container)
    paris_admin = sign_in(container, emails["site_admin"]).actor
    both = add_staff(container, "both@example.org", Role.manager, ("paris", "lyon")).email
    nowhere = add_staff(container, "nowhere@example.org", Role.agent, ()).email
    other_admin = add_staff(container, "admin2@example.org", Role.site_admin, ("paris",)).email
    container.staff.reset_password(paris_admin, emails["agent"], NEW)
    container.staff.reset_password(paris_admin, both, NEW)  # shares Paris
    for refused in (emails["admin"], other_admin, nowhere, emails["stranger"]):
        with pytest.raises(Forbidden):
            container.staff.reset_password(paris_admin, refused, NEW)
        with pytest.raises(Forbidden):
            container.staff.disable(refused, by=paris_admin)
    for role in (Role.admin, Role.site_admin):  # nor create one, through the use case itself
        with pytest.raises(Forbidden):
            container.staff.add_to_site(paris_admin, "paris", f"{role}@x.example.org", NEW, role)
    admin = sign_in(container, emails["admin"]).actor
    container.staff.reset_password(admin, nowhere, NEW)  # accounts of no site: admins only


def test_account_events_are_in_the_journal_of_each_of_the_members_sites(container):
    add_everyone(container)
    admin = sign_in(container, "admin@paris.example.org").actor
    both = add_staff(container, "both@example.org", Role.manager, ("paris", "lyon")).email
    nowhere = add_staff(container, "nowhere@example.org", Role.agent, ()).email
    container.staff.reset_password(admin, both, NEW)
    container.staff.reset_password(admin, nowhere, NEW)
    container.staff.disable(both, by=admin)
    for site in ("paris", "lyon"):
        assert journal(container, site, "staff.reset_password") == [both]
        assert journal(container, site, "staff.disable") == [both]
    assert journal(container, None, "staff.reset_password") == [nowhere]
    paris = container.records.audit(admin, "paris")[1]  # admins see site-less events too
    assert nowhere in {event.target for event in paris}
    site_admin = sign_in(container, "site_admin@paris.example.org").actor
    assert nowhere not in {
        event.target for event in container.records.audit(site_admin, "paris")[1]
    }


def test_failures_from_one_address_never_lock_the_account_elsewhere(container, clock):
    emails = add_everyone(container)
    for _ in range(5):
        with pytest.raises(NotSignedIn):
            sign_in(container, emails["agent"], "wrong password!", address="10.6.6.6")
    with pytest.raises(TooManyAttempts) as waiting:  # the right one too, from there, for now
        sign_in(container, emails["agent"], address="10.6.6.6")
    assert int(waiting.value.headers["Retry-After"]) <= 30
    assert sign_in(container, emails["agent"], address="10.0.0.2")  # the agent, elsewhere
    clock.set(clock.moment + timedelta(seconds=31))
    with pytest.raises(NotSignedIn):  # a 6th failure: the wait doubles
        sign_in(container, emails["agent"], "wrong password!", address="10.6.6.6")
    with pytest.raises(TooManyAttempts) as longer:
        sign_in(container, emails["agent"], address="10.6.6.6")
    assert 30 < int(longer.value.headers["Retry-After"]) <= 60
    assert journal(container, "paris", "staff.sign_in_failed") == [emails["agent"]] * 6


def test_one_address_trying_many_accounts_is_held_back(container):
    add_everyone(container)
    for index in range(20):
        with pytest.raises(NotSignedIn):
            sign_in(container, f"guess{index}@example.org", "whatever it is", address="10.6.6.6")
    with pytest.raises(TooManyAttempts):
        sign_in(container, "agent@paris.example.org", address="10.6.6.6")


class CountingHasher(PasswordHasher):
    def __init__(self, hasher: PasswordHasher) -> None:
        super().__init__(time_cost=hasher.time_cost, memory_cost=hasher.memory_cost)
        self.verified = 0

    def verify(self, hash, password):  # type: ignore[no-untyped-def, override]
        self.verified += 1
        return super().verify(hash, password)


def test_unknown_and_disabled_accounts_cost_the_same_argon2_check(container):
    emails = add_everyone(container)
    accounts = container.staff
    accounts._hasher = counting = CountingHasher(accounts._hasher)
    container.staff.disable(emails["manager"])
    for email in ("nobody@example.org", emails["manager"], emails["agent"]):
        with pytest.raises(NotSignedIn):
            sign_in(container, email, "not the password", address=f"10.1.1.{counting.verified}")
    assert counting.verified == 3


def test_passwords_long_enough_not_too_long_and_not_common(container):
    for common in ("azertyuiop2024", "Motdepasse123!", "123456789012", "password1234"):
        assert is_common(common)
        with pytest.raises(InvalidRequest, match="most common"):
            add_staff_with(container, common)
    with pytest.raises(InvalidRequest) as too_long:
        add_staff_with(container, "x" * 201)
    assert too_long.value.params == {"length": 200}
    assert not is_common(PASSWORD)
    with pytest.raises(InvalidRequest, match="email"):
        container.staff.add("not an email", PASSWORD, Role.agent, ["paris"])


def add_staff_with(container, password: str):  # type: ignore[no-untyped-def]
    return container.staff.add("someone@example.org", password, Role.agent, ["paris"])


def test_a_password_change_ends_every_other_session(container):
    emails = add_everyone(container)
    here = sign_in(container, emails["agent"])
    elsewhere = sign_in(container, emails["agent"])
    container.staff.change_password(here.actor, PASSWORD, NEW)
    with pytest.raises(NotSignedIn):
        container.staff.authenticate(elsewhere.token, kind="bearer", address="x")
    assert container.staff.authenticate(here.token, kind="bearer", address="x").email


def test_hashes_are_upgraded_at_sign_in_when_the_cost_changes(container, database_url, clock):
    from booking.container import build_container

    emails = add_everyone(container)
    stronger = build_container(
        make_settings(database_url, argon2_time_cost=2, argon2_memory_kib=2048), clock=clock
    )
    sign_in(stronger, emails["agent"])
    with container.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM staff_member WHERE email = :e"), {"e": emails["agent"]}
        ).scalar_one()
    assert "t=2" in stored and "m=2048" in stored
    stronger.engine.dispose()


def test_sessions_end_with_the_account_and_after_twelve_hours(container, clock):
    emails = add_everyone(container)
    disabled = sign_in(container, emails["agent"])
    container.staff.disable(emails["agent"])
    with pytest.raises(NotSignedIn):
        container.staff.authenticate(disabled.token, kind="bearer", address="x")
    inactive = sign_in(container, emails["manager"])
    with container.engine.begin() as conn:  # inactive, its session rows left in place
        conn.execute(
            text("UPDATE staff_member SET active = false WHERE email = :e"),
            {"e": emails["manager"]},
        )
    with pytest.raises(NotSignedIn):
        container.staff.authenticate(inactive.token, kind="bearer", address="x")
    started = clock.moment
    busy = sign_in(container, emails["site_admin"])
    assert busy.expires_at - started == timedelta(hours=12)
    while clock.moment + timedelta(minutes=29) < started + timedelta(hours=12):
        clock.set(clock.moment + timedelta(minutes=29))  # used often: never idle
        container.staff.authenticate(busy.token, kind="bearer", address="x")
    clock.set(started + timedelta(hours=12))
    with pytest.raises(NotSignedIn):  # yet over after 12 hours
        container.staff.authenticate(busy.token, kind="bearer", address="x")
