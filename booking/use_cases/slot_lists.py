"""Rendered slot lists, shared between requests while the site's revision is unchanged.

Many citizens search the same site, procedure and days; the list only changes when a booking,
a cancellation or the configuration bumps the site's revision, which every search reads. A
list is computed once per revision and local day with the notice cut back to the start of the
day, then each request drops the starts its own notice excludes (a bisection).
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import anyio
import msgspec
from sqlalchemy import bindparam, select

from booking.config.metrics import SLOT_LIST_CACHE
from booking.core.errors import NotFound
from booking.core.slots import BookingRules, Slot, local_iso
from booking.domain.availability import rules_for, search_slots, whole_days
from booking.domain.freed_seats import next_release
from booking.domain.models import Site, SiteRevision
from booking.domain.release import Public, public_rules
from booking.domain.sites import UNKNOWN_SITE
from completeness.catalogue import Procedure
from storage.unit_of_work import UnitOfWork

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True)
class RenderedSlots:
    starts: list[int]
    fragments: list[bytes]  # one JSON object a slot, in start order
    # The next timed change the list does not know yet (a freed seat's return to the public):
    # from then on it is computed again, even though the site's revision has not moved.
    stale_at: datetime | None = None

    @classmethod
    def render(
        cls, slots: list[Slot], timezone: str, stale_at: datetime | None = None
    ) -> RenderedSlots:
        fragments = [
            _encode(
                {
                    "start": local_iso(slot.start, timezone),
                    "end": local_iso(slot.end, timezone),
                    "available": slot.available,
                }
            )
            for slot in slots
        ]
        return cls([slot.start for slot in slots], fragments, stale_at)

    def body_from(self, earliest: int) -> bytes:
        """The JSON answer `{"slots": [...]}` without the starts before `earliest`."""
        first = bisect_left(self.starts, earliest)
        return b'{"slots":[' + b",".join(self.fragments[first:]) + b"]}"


class SlotListCache:
    """A small LRU of rendered lists; keys carry the site revision, so entries never go stale."""

    def __init__(self, size: int = 256) -> None:
        self._entries: OrderedDict[Hashable, RenderedSlots] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> RenderedSlots | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: Hashable, value: RenderedSlots) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


_sites = Site.__table__  # type: ignore[attr-defined]
_revisions = SiteRevision.__table__  # type: ignore[attr-defined]
SITE_WITH_REVISION = (
    select(_sites, _revisions.c.revision)
    .select_from(_sites.outerjoin(_revisions, _revisions.c.site_id == _sites.c.id))
    .where(_sites.c.id == bindparam("site_id"))
)


def site_and_revision(uow: UnitOfWork, site_id: str) -> tuple[dict[str, Any], int]:
    """The site's columns and its revision: one primary-key read."""
    with uow.read_connection() as connection:
        row = connection.execute(SITE_WITH_REVISION, {"site_id": site_id}).first()
    if row is None:
        raise NotFound(UNKNOWN_SITE)
    values = row._asdict()
    return values, values.pop("revision") or 0


def compute_slot_list(
    uow: UnitOfWork,
    site_values: dict[str, Any],
    procedure: Procedure,
    first_day: date,
    last_day: date,
    rules: BookingRules,
    public: Public,
) -> RenderedSlots:
    with uow.reading() as session:
        site = Site(**site_values)
        slots = search_slots(session, site, procedure, first_day, last_day, rules, public=public)
        stale_at = next_release(session, site.id, public.now)
    return RenderedSlots.render(slots, site.timezone, stale_at)


async def slot_list_body(
    uow: UnitOfWork,
    cache: SlotListCache,
    site_id: str,
    procedure: Procedure,
    first_day: date,
    last_day: date,
    public: Public,
) -> bytes:
    """The JSON slot list the public sees, computed once per site revision and shared.

    When the site has not changed, this is one primary-key read and a slice: cheaper than a
    hop to a worker thread, so it runs on the event loop. Computing a list runs in a thread.
    The revision is read before the load, so a list is never older than its key.
    """
    site_values, revision = site_and_revision(uow, site_id)
    site = Site(**site_values)
    tz = ZoneInfo(site.timezone)
    now = public.now
    rules = public_rules_of(uow, site, rules_for(procedure, tz, now), public)
    key = (site_id, procedure.id, first_day, last_day, rules.last_day, revision)
    rendered = cache.get(key)
    fresh = rendered is not None and (rendered.stale_at is None or now < rendered.stale_at)
    SLOT_LIST_CACHE.labels("hit" if fresh else "miss").inc()
    if not fresh:
        day_rules = whole_days(rules, tz, now)
        rendered = await anyio.to_thread.run_sync(
            compute_slot_list, uow, site_values, procedure, first_day, last_day, day_rules, public
        )
        cache.put(key, rendered)
    return rendered.body_from(rules.earliest)


def public_rules_of(
    uow: UnitOfWork, site: Site, rules: BookingRules, public: Public
) -> BookingRules:
    """`public_rules`, reading the day's drawn release moment only when there is a jitter."""
    if public.release.jitter_minutes <= 0:
        return public_rules(None, site, rules, public)
    with uow.read_connection() as connection:
        return public_rules(connection, site, rules, public)
