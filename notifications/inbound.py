"""What the SMS provider tells us: delivery statuses and the citizens' replies (STOP, START)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Connection

from notifications.models import Notification, Status
from notifications.opt_outs import opt_in, opt_out

table = Notification.__table__  # type: ignore[attr-defined]

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "ARRET", "ARRÊT"}
START_WORDS = {"START", "UNSTOP", "YES", "DEMARRER", "DÉMARRER"}
FINAL = {"delivered": Status.delivered, "failed": Status.failed, "undelivered": Status.failed}


def record_status(
    connection: Connection, provider_id: str, status: str, error_code: str | None, now: datetime
) -> int:
    """Apply a status callback; repeated or out-of-order callbacks change nothing more."""
    target = FINAL.get(status)
    if target is None:
        return 0  # queued, sending, sent: nothing new for us
    values: dict[str, object] = {"status": target, "updated_at": now}
    if target == Status.delivered:
        values["delivered_at"] = now
    else:
        values["error"] = f"provider: {status} ({error_code or 'no code'})"
    result = connection.execute(
        update(table)
        .where(
            table.c.provider_id == provider_id,
            table.c.status.in_((Status.sent, Status.sending)),
        )
        .values(**values)
    )
    return result.rowcount or 0


def keyword(body: str) -> str:
    return body.strip().split()[0].upper() if body.strip() else ""


def record_reply(connection: Connection, phone: str, body: str, now: datetime) -> str | None:
    """STOP (or ARRET) opts the number out and cancels its pending SMS; START undoes it."""
    word = keyword(body)
    if word in STOP_WORDS:
        opt_out(connection, phone, now, "the number has opted out (STOP)")
        return "stop"
    if word in START_WORDS:
        opt_in(connection, phone)
        return "start"
    return None
