"""Staff accounts and their tokens, for the tests of the staff side (JSON and pages)."""

from __future__ import annotations

from booking.container import Container
from booking.core.access import Role

PASSWORD = "correct horse battery staple"
ROLES = (Role.agent, Role.site_admin, Role.manager, Role.admin)


def add_staff(container: Container, email: str, role: str, sites: tuple[str, ...] = ("paris",)):
    return container.staff.add(email, PASSWORD, role, list(sites))


def add_everyone(container: Container) -> dict[str, str]:
    """One account per role at Paris, and an agent of another site; name -> email."""
    emails = {role.value: f"{role.value}@paris.example.org" for role in ROLES}
    for role in ROLES:
        add_staff(container, emails[role.value], role, () if role == Role.admin else ("paris",))
    emails["stranger"] = "agent@lyon.example.org"
    add_staff(container, emails["stranger"], Role.agent, ("lyon",))
    return emails


def bearer(client, email: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    answer = client.post("/api/v1/staff/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['token']}"}
