"""The clock the layers are given: a function returning an aware UTC time (the container gives
the system's; tests give one they move by hand)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], datetime]
