"""The moves made at the counter, as the web names them: one registry for the staff API's
paths, the agenda's buttons and their notices (the rules are `booking.core.lifecycle`'s)."""

from __future__ import annotations

from dataclasses import dataclass

from booking.core.i18n import N_
from booking.core.lifecycle import RULES, Move


@dataclass(frozen=True)
class CounterMove:
    path: str  # in URLs: /appointments/{reference}/{path}
    move: Move
    label: str  # the agenda's button
    done: str  # the notice once made


COUNTER_MOVES = {
    move.path: move
    for move in (
        CounterMove("check-in", Move.check_in, N_("Check in"), N_("Checked in.")),
        CounterMove("call", Move.call, N_("Call"), N_("Called to the counter.")),
        CounterMove("seen", Move.seen, N_("Seen"), N_("Marked as seen.")),
        CounterMove("no-show", Move.no_show, N_("Missed"), N_("Marked as missed.")),
    )
}


def allowed_moves(status: str) -> list[CounterMove]:
    """The counter's moves that the visit's rules allow from this status, in their order."""
    return [move for move in COUNTER_MOVES.values() if status in RULES[move.move][0]]
