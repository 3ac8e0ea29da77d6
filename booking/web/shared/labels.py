"""Labels the citizen's pages and the back office share: a visit's status, its file, the
channels staff book through."""

from __future__ import annotations

from booking.core.i18n import N_

STATUS_LABELS = {
    "booked": N_("Booked"),
    "checked_in": N_("Arrived"),
    "called": N_("At the counter"),
    "seen": N_("Seen"),
    "no_show": N_("Missed"),
    "cancelled_by_citizen": N_("Cancelled"),
    "cancelled_by_office": N_("Cancelled by the prefecture"),
}

FILE_LABELS = {
    "complete": N_("Complete"),
    "incomplete": N_("Incomplete"),
    "declared_complete": N_("Declared complete"),
    "declared_incomplete": N_("Declared incomplete"),
}

STAFF_CHANNEL_LABELS = {
    "phone": N_("By phone"),
    "desk": N_("At the desk"),
    "intermediary": N_("Through an intermediary"),
}
