"""Load the demo prefecture from config/demo.toml, idempotently."""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from booking.core.holidays import valid_subdivision
from booking.domain.models import Counter, CounterProcedure, OpeningWindow, Site
from completeness.catalogue import Catalogue

WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


class DemoError(ValueError):
    pass


def load_demo(session: Session, path: Path, catalogue: Catalogue) -> dict[str, int]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    created = {"sites": 0, "counters": 0, "windows": 0}
    for site_data in data.get("sites", []):
        counters = site_data.pop("counters", [])
        if not valid_subdivision(site_data.get("holiday_subdivision")):
            raise DemoError(f"{path}: site {site_data['id']}: unknown holiday_subdivision")
        site = session.get(Site, site_data["id"])
        if site is None:
            site = Site(**site_data)
            created["sites"] += 1
        else:
            for key, value in site_data.items():
                setattr(site, key, value)
        session.add(site)
        session.flush()
        for counter_data in counters:
            _load_counter(session, site, counter_data, catalogue, created, path)
    return created


def _load_counter(
    session: Session,
    site: Site,
    data: dict[str, Any],
    catalogue: Catalogue,
    created: dict[str, int],
    path: Path,
) -> None:
    counter = session.execute(
        select(Counter).where(Counter.site_id == site.id, Counter.name == data["name"])
    ).scalar_one_or_none()
    if counter is None:
        counter = Counter(site_id=site.id, name=data["name"])
        created["counters"] += 1
    counter.capacity = data.get("capacity", 1)
    counter.slot_minutes = data.get("slot_minutes", 15)
    session.add(counter)
    session.flush()
    for procedure_id in data.get("procedures", []):
        if catalogue.get(procedure_id) is None:
            raise DemoError(f"{path}: counter {data['name']}: unknown procedure {procedure_id}")
        if session.get(CounterProcedure, (counter.id, procedure_id)) is None:
            session.add(CounterProcedure(counter_id=counter.id, procedure_id=procedure_id))
    has_windows = session.execute(
        select(OpeningWindow.id).where(OpeningWindow.counter_id == counter.id).limit(1)
    ).first()
    if has_windows:
        return
    for window in data.get("windows", []):
        for day in window["days"]:
            session.add(
                OpeningWindow(
                    counter_id=counter.id,  # type: ignore[arg-type]
                    weekday=WEEKDAYS[day],
                    starts=time.fromisoformat(window["starts"]),
                    ends=time.fromisoformat(window["ends"]),
                )
            )
            created["windows"] += 1
    session.flush()
