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


LIVE_STATUSES = (AppointmentStatus.booked, AppointmentStatus.checked_in, AppointmentStatus.called)


class Channel(enum.StrEnum):
    web = "web"
    phone = "phone"
    desk = "desk"
    intermediary = "intermediary"
