"""The dispatcher: claims due messages, sends them, records what happened.

Run by an APScheduler job inside `guichet serve` or by `guichet worker` processes; the truth
is the outbox table, so any number of them can run. Each message is marked as handed to the
provider (committed) before it is sent; if the worker dies before recording the answer, the
next worker asks the provider whether it went out before sending it again.

A batch goes out in waves: the messages of a wave are marked handed in one statement, sent
side by side (`Policy.concurrency` threads, each keeping its connection to the provider), and
recorded sent in one statement. Waves start at one message and double up to the concurrency,
so a worker told to stop in its first wave has handed over a single message.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import String, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from notifications.models import Channel, Status
from notifications.opt_outs import opt_out, opted_out
from notifications.outbox import Claimed, Message, claim, enqueue, table
from notifications.rate import take_tokens
from notifications.schedule import end_of_quiet_hours, in_quiet_hours, retry_delay
from notifications.senders import Outgoing, Sender, SendError
from notifications.texts import fallback_subject
from storage.unit_of_work import UnitOfWork

log = logging.getLogger("guichet.dispatcher")


# The statuses of the SMS handed over to some numbers since a time, number by number, through
# the recipient's index only. The status is sorted out in Python: with it in the query, the
# planner took the status index whenever its statistics lagged a burst of sends (as they do
# while 100,000 reminders go out) and read every message sent so far, at every batch.
_HANDED = (table.c.channel == Channel.sms, table.c.handed_at >= bindparam("since"))
_statuses = func.aggregate_strings(table.c.status, ",")
HANDED_TO = (
    select(table.c.recipient, _statuses)
    .where(table.c.recipient.in_(bindparam("phones", expanding=True)), *_HANDED)
    .group_by(table.c.recipient)
)
# PostgreSQL: one probe of the index a number, whatever the statistics (a join or a list of
# numbers may be planned as a scan of the whole table).
_asked = (
    func.unnest(bindparam("phones", type_=ARRAY(String))).table_valued("recipient").render_derived()
)
HANDED_BY_NUMBER = select(
    _asked.c.recipient,
    select(_statuses).where(table.c.recipient == _asked.c.recipient, *_HANDED).scalar_subquery(),
)


@dataclass(frozen=True)
class Policy:
    batch: int = 50
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    rate_per_second: float | None = None  # across all workers; None: no limit
    sms_per_number_per_day: int = 5
    quiet_hours: bool = True
    concurrency: int = 1  # messages of a wave sent side by side
    lapsed_every: timedelta = timedelta(seconds=30)  # how often to look for dead workers' leases


@dataclass(frozen=True)
class Ready:
    """A message checked and about to be handed to its provider."""

    message: Claimed
    sender: Sender
    outgoing: Outgoing


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def utc_now() -> datetime:
    return datetime.now(UTC)


# What fills the secrets a stored message only marks (a visit's link, its code): by message's
# appointment id, marker -> value, read when the message is sent.
SecretValues = Callable[[Connection, Collection[int]], Mapping[int, Mapping[str, str]]]


class Dispatcher:
    def __init__(
        self,
        uow: UnitOfWork,
        senders: Mapping[str, Sender],
        *,
        secrets: SecretValues | None = None,
        entry_secrets: SecretValues | None = None,
        policy: Policy | None = None,
        worker: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.uow = uow
        self.senders = senders
        self.secrets = secrets
        self.entry_secrets = entry_secrets  # the same, by message's waiting-list entry id
        self._secret_values: Mapping[int, Mapping[str, str]] = {}
        self._entry_values: Mapping[int, Mapping[str, str]] = {}
        self.policy = policy or Policy()
        self.worker = worker or worker_name()
        self.clock = clock
        self.stopping = threading.Event()  # set on SIGTERM: the batch stops between messages
        self.sleep = sleep
        self._tokens = 0
        self._opted: set[str] = set()
        self._today: dict[str, int] = {}
        self._outcomes: Counter[str] = Counter()  # of the batch in hand, for its log line
        self._pool: ThreadPoolExecutor | None = None
        self._lapsed_at: datetime | None = None  # when lapsed leases were last looked for

    def tick(self) -> int:
        """Claim one batch and process it; returns how many messages were claimed."""
        now = self.clock()
        lapsed = self._lapsed_at is None or now - self._lapsed_at >= self.policy.lapsed_every
        if lapsed:
            self._lapsed_at = now
        with self.uow.write_connection() as connection:
            claimed = claim(
                connection, self.worker, now, self.policy.batch, self.policy.lease, lapsed=lapsed
            )
        phones = {m.recipient for m in claimed if m.channel == Channel.sms}
        self._secret_values = self._secrets_of(claimed)
        self._entry_values = self._entry_secrets_of(claimed)
        self._opted = self._opted_out(phones)
        self._today = self._sent_today(phones, self.clock())
        self._outcomes.clear()
        waiting, wave = list(claimed), 1
        while waiting and not self.stopping.is_set():  # SIGTERM: what is not handed goes back
            self._send_wave(waiting[:wave])
            waiting, wave = waiting[wave:], min(wave * 2, self._widest_wave())
        if claimed:
            summary = ", ".join(f"{n} {outcome}" for outcome, n in sorted(self._outcomes.items()))
            log.info("batch of %d messages: %s", len(claimed), summary)
        return len(claimed)

    def give_back(self) -> int:
        """The messages this worker claimed but has not handed to a provider go back to the
        queue at once (stopping: another worker need not wait for the lease to end); those
        handed over keep their lease, to be looked up before any second sending."""
        with self.uow.write_connection() as connection:
            result = connection.execute(
                update(table)
                .where(
                    table.c.claimed_by == self.worker,
                    table.c.status == Status.sending,
                    table.c.handed_at.is_(None),
                )
                .values(
                    status=Status.pending,
                    claimed_by=None,
                    lease_until=None,
                    attempts=table.c.attempts - 1,
                    updated_at=self.clock(),
                )
            )
        return result.rowcount or 0

    def run_until_idle(self, max_ticks: int = 1000) -> int:
        total = 0
        for _ in range(max_ticks):
            claimed = self.tick()
            total += claimed
            if claimed == 0:
                break
        return total

    # One message ----------------------------------------------------------------------

    def _send_wave(self, messages: list[Claimed]) -> None:
        ready: list[Ready] = []
        for message in messages:
            try:
                checked = self._check(message)
            except Exception as exc:  # one bad message must not stop the others
                log.exception("message %s could not be processed", message.id)
                self._retry_or_fail(message, f"internal error: {exc!r}")
                continue
            if checked is not None:
                ready.append(checked)
        for channel in sorted({r.message.channel for r in ready}):
            self._wait_for_rate(channel, sum(1 for r in ready if r.message.channel == channel))
        handed = self.clock()
        ours = self._mark_handed([r.message for r in ready], handed)
        ready = [r for r in ready if r.message.id in ours]  # others: our lease ran out
        outgoing = [replace(r.outgoing, handed_at=handed) for r in ready]
        if len(ready) > 1:
            answers = list(self._threads().map(_send, [r.sender for r in ready], outgoing))
        else:
            answers = [_send(r.sender, o) for r, o in zip(ready, outgoing, strict=True)]
        sent = []
        for item, answer in zip(ready, answers, strict=True):
            if isinstance(answer, str):
                sent.append((item.message, answer))
            else:
                self._refused(item.message, answer)
        self._record_sent(sent)

    def _check(self, message: Claimed) -> Ready | None:
        """The message ready to send, or None when it was settled here (dropped, postponed,
        failed, or found already sent by the provider)."""
        now = self.clock()
        sms = message.channel == Channel.sms
        if message.latest_at is not None and now > message.latest_at:
            self._finish(message, Status.dropped, "too late: it could no longer arrive in time")
            return None
        if sms and message.recipient in self._opted:
            self._finish(message, Status.dropped, "the number has opted out (STOP)")
            self._fall_back_to_email(message, now)
            return None
        if (
            sms
            and message.quiet_hours_apply
            and self.policy.quiet_hours
            and in_quiet_hours(now, message.timezone)
        ):
            resume = end_of_quiet_hours(now, message.timezone)
            if message.latest_at is not None and resume > message.latest_at:
                self._finish(message, Status.dropped, "quiet hours until it would be too late")
            else:
                self._postpone(message, resume, None)
            return None
        if (
            sms
            and not message.urgent
            and self._today.get(message.recipient, 0) >= self.policy.sms_per_number_per_day
        ):
            self._finish(message, Status.dropped, "fuse: too many SMS to this number today")
            return None
        sender = self.senders.get(message.channel)
        if sender is None:
            self._finish(message, Status.failed, f"no sender for channel {message.channel}")
            return None
        secrets = {
            **self._secret_values.get(message.appointment_id or 0, {}),
            **self._entry_values.get(message.entry_id or 0, {}),
        }
        outgoing = _outgoing(message, secrets)
        if message.handed_at is not None and message.provider_id is None:
            try:
                already = sender.find_sent(outgoing)
            except SendError as exc:
                self._retry_or_fail(message, exc.reason)
                return None
            if already:
                self._record_sent([(message, already)])
                return None
        if sms:  # counted when handed: a later message of the wave sees it
            self._today[message.recipient] = self._today.get(message.recipient, 0) + 1
        return Ready(message, sender, outgoing)

    def _refused(self, message: Claimed, error: Exception) -> None:
        if message.channel == Channel.sms:
            self._today[message.recipient] = self._today.get(message.recipient, 1) - 1
        if not isinstance(error, SendError):
            log.error("message %s: %r", message.id, error)  # it may have gone: asked first
            self._retry_or_fail(message, f"internal error: {error!r}")
        elif error.opted_out:
            self._opted.add(message.recipient)
            self._record_opt_out(message.recipient, self.clock())
            self._finish(message, Status.failed, error.reason)
            self._fall_back_to_email(message, self.clock())
        elif error.permanent:
            self._finish(message, Status.failed, error.reason)
        else:
            self._retry_or_fail(message, error.reason, handed_back=True)

    def _widest_wave(self) -> int:
        """The concurrency; under a rate, no more than the shared bucket holds, so that no
        token is lost while a wave is recorded."""
        widest = max(1, self.policy.concurrency)
        if self.policy.rate_per_second:
            widest = min(widest, max(1, int(self.policy.rate_per_second / 20)))
        return widest

    def _threads(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.policy.concurrency, thread_name_prefix="send")
        return self._pool

    # Checks -----------------------------------------------------------------------------

    def _secrets_of(self, claimed: list[Claimed]) -> Mapping[int, Mapping[str, str]]:
        ids = {m.appointment_id for m in claimed if m.appointment_id is not None}
        if self.secrets is None or not ids:
            return {}
        with self.uow.read_connection() as connection:
            return self.secrets(connection, ids)

    def _entry_secrets_of(self, claimed: list[Claimed]) -> Mapping[int, Mapping[str, str]]:
        ids = {m.entry_id for m in claimed if m.entry_id is not None}
        if self.entry_secrets is None or not ids:
            return {}
        with self.uow.read_connection() as connection:
            return self.entry_secrets(connection, ids)

    def _opted_out(self, phones: set[str]) -> set[str]:
        if not phones:
            return set()
        with self.uow.read_connection() as connection:
            return opted_out(connection, phones)

    def _sent_today(self, phones: set[str], now: datetime) -> dict[str, int]:
        """SMS handed over to each number in the last 24 hours (the fuse), one query a batch."""
        if not phones:
            return {}
        values = {"phones": sorted(phones), "since": now - timedelta(days=1)}
        with self.uow.read_connection() as connection:
            postgres = connection.dialect.name == "postgresql"
            rows = connection.execute(HANDED_BY_NUMBER if postgres else HANDED_TO, values)
            handed_over = (Status.sent, Status.delivered)
            return {
                recipient: sum(status in handed_over for status in statuses.split(","))
                for recipient, statuses in rows
                if statuses
            }

    def _wait_for_rate(self, channel: str, wanted: int) -> None:
        """Take `wanted` sending tokens from the bucket every worker shares."""
        rate = self.policy.rate_per_second
        if rate is None:
            return
        while wanted > 0:
            if self._tokens == 0:
                granted, wait = take_tokens(self.uow, channel, rate, 5, self.clock())
                self._tokens = granted
                if not granted:
                    self.sleep(min(wait, 1.0))
                    continue
            taken = min(self._tokens, wanted)
            self._tokens -= taken
            wanted -= taken

    # Writes, each guarded by our claim --------------------------------------------------

    def _ours(self, message: Claimed):  # type: ignore[no-untyped-def]
        return update(table).where(
            table.c.id == message.id,
            table.c.claimed_by == self.worker,
            table.c.status == Status.sending,
        )

    def _mark_handed(self, messages: list[Claimed], now: datetime) -> set[int]:
        """Mark the wave handed to its providers (committed before any is sent): the ids
        still ours."""
        if not messages:
            return set()
        with self.uow.write_connection() as connection:
            rows = connection.execute(
                update(table)
                .where(
                    table.c.id.in_([m.id for m in messages]),
                    table.c.claimed_by == self.worker,
                    table.c.status == Status.sending,
                )
                .values(handed_at=now, lease_until=now + self.policy.lease, updated_at=now)
                .returning(table.c.id)
            )
            return {row.id for row in rows}

    def _record_sent(self, sent: list[tuple[Claimed, str]]) -> None:
        """(message, provider id) of the messages that went out, in one statement."""
        if not sent:
            return
        self._outcomes["sent"] += len(sent)
        now = self.clock()
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("message_id"),
                table.c.claimed_by == self.worker,
                table.c.status == Status.sending,
            )
            .values(
                status=Status.sent,
                provider_id=bindparam("sid"),
                sent_at=now,
                error=None,
                lease_until=None,
                updated_at=now,
            )
        )
        rows = [{"message_id": message.id, "sid": sid} for message, sid in sent]
        with self.uow.write_connection() as connection:
            connection.execute(statement, rows)

    def _finish(self, message: Claimed, status: Status, reason: str) -> None:
        self._outcomes[str(status)] += 1
        now = self.clock()
        log.info("message %s %s: %s", message.id, status, reason)
        with self.uow.write_connection() as connection:
            connection.execute(
                self._ours(message).values(
                    status=status, error=reason[:300], lease_until=None, updated_at=now
                )
            )

    def _postpone(self, message: Claimed, due: datetime, reason: str | None) -> None:
        self._outcomes["postponed"] += 1
        now = self.clock()
        with self.uow.write_connection() as connection:
            connection.execute(
                self._ours(message).values(
                    status=Status.pending,
                    due_at=due,
                    claimed_by=None,
                    lease_until=None,
                    error=reason,
                    updated_at=now,
                )
            )

    def _retry_or_fail(self, message: Claimed, reason: str, handed_back: bool = False) -> None:
        if message.attempts >= self.policy.max_attempts:
            self._finish(
                message, Status.failed, f"gave up after {message.attempts} attempts: {reason}"
            )
            return
        self._outcomes["to retry"] += 1
        now = self.clock()
        values: dict[str, object] = {
            "status": Status.pending,
            "due_at": now + retry_delay(message.attempts),
            "claimed_by": None,
            "lease_until": None,
            "error": reason[:300],
            "updated_at": now,
        }
        if handed_back:
            values["handed_at"] = None  # the provider refused: it did not go out
        with self.uow.write_connection() as connection:
            connection.execute(self._ours(message).values(**values))

    def _record_opt_out(self, phone: str, now: datetime) -> None:
        with self.uow.write_connection() as connection:
            opt_out(connection, phone, now, "the number has opted out (STOP)")

    def _fall_back_to_email(self, message: Claimed, now: datetime) -> None:
        if not message.fallback_email:
            return
        fallback = Message(
            idempotency_key=f"{message.idempotency_key}:email-fallback",
            channel=Channel.email,
            kind=message.kind,
            recipient=message.fallback_email,
            body=message.body,
            subject=fallback_subject(message.language),
            due_at=now,
            appointment_id=message.appointment_id,
            site_id=message.site_id,
            language=message.language,
            latest_at=message.latest_at,
            quiet_hours_apply=False,
            timezone=message.timezone,
        )
        with self.uow.write_connection() as connection:
            enqueue(connection, [fallback], now)


def _send(sender: Sender, outgoing: Outgoing) -> str | Exception:
    """The provider's id of the message, or why it did not go out (run in the wave's threads)."""
    try:
        return sender.send(outgoing)
    except Exception as exc:  # told back to the wave, message by message
        return exc


def _outgoing(message: Claimed, secrets: Mapping[str, str]) -> Outgoing:
    """The message as it leaves: its markers filled with the secrets as they are now."""
    return Outgoing(
        id=message.id,  # type: ignore[arg-type]
        channel=message.channel,
        recipient=message.recipient,
        body=_filled(message.body, secrets),
        subject=message.subject,
        attachment=_filled(message.attachment, secrets),
        attachment_method=message.attachment_method,
        handed_at=message.handed_at,
    )


def _filled(text: str | None, secrets: Mapping[str, str]) -> str | None:
    if text is None:
        return None
    for marker, value in secrets.items():
        text = text.replace(marker, value)
    return text
