"""A visit's statuses and booking channels: plain values the rules and the tables share."""

from __future__ import annotations

import enum


class AppointmentStatus(enum.StrEnum):
    booked = "booked"
    checked_in = "checked_in"
    called = "called"
    seen = "seen"
    no_show = "no_show"
    cancelled_by_citizen = "cancelled_by_citizen"
    cancelled_by_office = "cancelled_by_office"
    # A seat held while a code sent to the citizen's mobile is awaited: it counts against
    # capacity like a booking, and ends by itself (confirmed: booked; or released).
    held = "held"
    released = "released"
    # A freed seat held for the first person of the waiting list until they answer (it does
    # not count as their live visit); accepted: booked (or their visit moved there).
    offered = "offered"
    withdrawn = "withdrawn"  # an offer declined or over: the seat went on


LIVE_STATUSES = (AppointmentStatus.booked, AppointmentStatus.checked_in, AppointmentStatus.called)
# Seats taken but no visit yet, or never one: outside the agenda and the figures.
HOLD_STATUSES = (
    AppointmentStatus.held,
    AppointmentStatus.released,
    AppointmentStatus.offered,
    AppointmentStatus.withdrawn,
)


class Channel(enum.StrEnum):
    web = "web"
    phone = "phone"
    desk = "desk"
    intermediary = "intermediary"
