"""A national catalogue (issue 19): with more sites serving a procedure than one list can show,
the site step shows the sites of the citizen's department only, each with its next free day,
read from the same shared day-by-day slot lists as the API (and fresh after a booking)."""

from __future__ import annotations

import re
from dataclasses import replace

from booking.demo.builders import add_counter, add_site
from booking.use_cases.directory import LOCAL_CATALOGUE
from tests.support.scenarios import request

PICKUP = "residence-permit-pickup"
SITE_STEP = "/rendez-vous/lieu?procedure=" + PICKUP
DEPARTMENTS = ("75", "13", "69", "33", "59", "974")


def national(container, per_department: int = 3) -> list[str]:
    """More sites than a list shows, `per_department` in each department; the 75's first
    site has one counter open one quarter-hour a day (the rest are wide open)."""
    ids = []
    with container.uow.writing() as session:
        for department in DEPARTMENTS:
            for index in range(per_department):
                site = add_site(session, f"s{department}-{index}")
                site.department = department
                site.name = f"Préfecture {department} n°{index}"
                windows = (("09:00", "09:15"),) if (department, index) == ("75", 0) else None
                add_counter(
                    session, site, procedures=(PICKUP,), **({"windows": windows} if windows else {})
                )
                ids.append(site.id)
    assert len(ids) > LOCAL_CATALOGUE
    return ids


def site_names(html: str) -> list[str]:
    return re.findall(r'name="site" value="([^"]+)"', html)


def test_without_a_postcode_the_step_asks_for_one(client, container):
    national(container)
    page = client.get(SITE_STEP, headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert site_names(page.text) == []
    assert (
        "Indiquez votre code postal ci-dessus pour voir les sites de votre département" in page.text
    )


def test_a_postcode_shows_its_departments_sites_only_each_with_its_next_free_day(
    client, container, clock
):
    national(container)
    page = client.get(SITE_STEP + "&postcode=75004", headers={"Accept-Language": "fr"})
    assert sorted(site_names(page.text)) == ["s75-0", "s75-1", "s75-2"]
    assert page.text.count("Prochain jour libre") == 3
    reunion = client.get(SITE_STEP + "&postcode=97400", headers={"Accept-Language": "fr"})
    assert sorted(site_names(reunion.text)) == ["s974-0", "s974-1", "s974-2"]
    nowhere = client.get(SITE_STEP + "&postcode=01000", headers={"Accept-Language": "fr"})
    assert site_names(nowhere.text) == []
    assert "Aucun site de ce département ne traite cette démarche" in nowhere.text


def test_the_next_free_day_moves_when_the_only_seat_of_the_day_is_booked(client, container, clock):
    """One quarter-hour a day at s75-0: once its next free one is booked, the site step
    shows a later day there, and the other sites' days stay as they were."""
    national(container)
    directory = container.directory
    before = {o.site.id: o for o in directory.sites_for(PICKUP, "75004").offers}
    first = before["s75-0"].next_free
    assert first is not None
    container.visits.book(replace(request(start=first), site_id="s75-0"))
    after = {o.site.id: o for o in directory.sites_for(PICKUP, "75004").offers}
    assert after["s75-0"].next_free is not None
    assert after["s75-0"].next_free.date() > first.date()
    assert after["s75-1"].next_free == before["s75-1"].next_free


def test_a_small_catalogue_lists_every_site_department_first(client, container):
    with container.uow.writing() as session:
        for department in ("13", "75"):
            site = add_site(session, f"s{department}")
            site.department = department
            add_counter(session, site, procedures=(PICKUP,))
    page = client.get(SITE_STEP + "&postcode=75004", headers={"Accept-Language": "fr"})
    assert site_names(page.text) == ["s75", "s13"]
    assert page.text.count("Prochain jour libre") == 2
