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

import msgspec

from booking.slots import Slot
from booking.web.presenters import local_iso

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True)
class RenderedSlots:
    starts: list[int]
    fragments: list[bytes]  # one JSON object a slot, in start order

    @classmethod
    def render(cls, slots: list[Slot], timezone: str) -> RenderedSlots:
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
        return cls([slot.start for slot in slots], fragments)

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
