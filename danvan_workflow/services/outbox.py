"""The outbox dispatcher: claim due messages, send them, record every attempt.

Delivery is at least once, and a second copy only where a send was in flight when its
dispatcher stopped:

- A worker claims a batch with a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so several
  workers never claim the same row; SQLite: one writer at a time). While the batch works
  the lease is renewed, so a slow batch never loses its rows to another dispatcher.
- Each send is marked when it starts (`send_started_at`, only if the lease is still ours)
  and its result is recorded as soon as it completes, in small groups. A crash can
  therefore re-send only what was in flight (at most the channel's concurrency).
- A lease that ended without a result (expired, or held by a process of this host that
  no longer exists) is reconciled before anything is claimed: a message never started
  goes back to the queue as it was; a message in flight gets an attempt with result
  ``unknown``, is sent again and is flagged ``maybe_duplicate`` (shown by
  `danvan outbox list`). Every copy carries the same idempotency key (Message-ID,
  Idempotency-Key header, ZNS tracking_id) so the receiving side can drop it.
- Fresh work is claimed in due order; reconciled messages join at the end.

Sending runs in a thread pool with a concurrency limit and a rate limit per channel.

Dead letters alert the operators (reminders.yaml `operators`) with one digest per
operator and channel per dispatch run (`AlertDigest`); a dead alert alerts nobody.
Provider replies and errors are redacted (adapters/channels/redact.py `redact`) before
they are written.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine, Integer, bindparam, case, func, insert, literal, select, update
from sqlalchemy.orm import Session

from danvan_workflow.adapters.channels.base import (
    REPLY_LIMIT,
    OutgoingMessage,
    SendResult,
    send,
)
from danvan_workflow.adapters.channels.redact import redact, remember_channel_secrets
from danvan_workflow.adapters.channels.registry import (
    MissingCredential,
    expand_env,
    register_plugins,
    target_url,
)
from danvan_workflow.commands.outbox import DispatchNow, RetryMessages
from danvan_workflow.configuration.apply import ADDRESS_FOR_KIND
from danvan_workflow.core.backoff import retry_decision
from danvan_workflow.db import models as m
from danvan_workflow.db.session import get_engine, session_scope
from danvan_workflow.db.sql import insert_ignore
from danvan_workflow.db.types import sql_instant
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.fallback import linked_addresses, reroute
from danvan_workflow.services.rate_limit import SharedRateLimiter
from danvan_workflow.services.rendering import (
    DIGEST_LIMIT,
    dead_letters,
    load_items,
    render,
    render_dead_digest,
)
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import now

log = logging.getLogger("danvan_workflow.outbox")

DUE_STATUSES = ("pending", "retry")
STATUS_LABELS = {
    "pending": "Chờ gửi", "sending": "Đang gửi", "sent": "Đã gửi", "retry": "Chờ gửi lại",
    "dead": "Không gửi được", "unconfigured": "Chưa cấu hình kênh", "cancelled": "Đã hủy",
}


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"


@dataclass
class ChannelInfo:
    code: str
    kind: str
    url: str
    rate_per_second: float
    concurrency: int
    max_attempts: int
    engine: Engine | None = None  # where the channel's shared rate bucket lives


@dataclass
class Job:
    id: int
    key: str
    attempts: int
    channel: ChannelInfo | None
    url: str | None = None
    message: OutgoingMessage | None = None
    secrets: list[str] = field(default_factory=list)
    result: SendResult | None = None
    outcome: str = ""  # sent | retry | dead | unconfigured | cancelled


@dataclass
class DispatchStats:
    claimed: int = 0
    sent: int = 0
    retry: int = 0
    dead: int = 0
    unconfigured: int = 0
    cancelled: int = 0
    batches: int = 0

    def add(self, other: DispatchStats) -> None:
        for k in ("claimed", "sent", "retry", "dead", "unconfigured", "cancelled", "batches"):
            setattr(self, k, getattr(self, k) + getattr(other, k))


class RateLimiter:
    """A token bucket shared by the threads sending on one channel."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next_at = time.monotonic()
        self.lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            t = time.monotonic()
            at = max(self.next_at, t)
            self.next_at = at + self.interval
        if at > t:
            time.sleep(at - t)


_limiters: dict[tuple[str, float, str], RateLimiter | SharedRateLimiter] = {}
_sems: dict[tuple[str, int], threading.Semaphore] = {}


def _limits(ch: ChannelInfo) -> tuple[RateLimiter | SharedRateLimiter, threading.Semaphore]:
    # the channel's rate holds across all workers (a row in rate_buckets)
    key = (ch.code, ch.rate_per_second, str(ch.engine.url) if ch.engine else "")
    lim = _limiters.get(key)
    if lim is None:
        lim = _limiters.setdefault(key, SharedRateLimiter(ch.engine, ch.code, ch.rate_per_second)
                                   if ch.engine else RateLimiter(ch.rate_per_second))
    sem = _sems.setdefault((ch.code, ch.concurrency), threading.Semaphore(ch.concurrency))
    return lim, sem


@dataclass
class AlertDigest:
    """The dead letters of one dispatch run, told to the operators as one message per
    operator and channel (idempotency key ``alert.<run>.<contact id>.<channel>``).

    The run holds its digest rows with a lease (status ``sending``, `owner`) while it
    adds later batches' failures to them, and releases them when it ends; if the
    worker dies, the lease expires and another worker sends what was recorded.
    """

    run: str
    owner: str
    failures: list[tuple[int, int, str | None]] = field(default_factory=list)
    held: bool = False  # digest rows written and not yet released

    @classmethod
    def start(cls) -> AlertDigest:
        run = f"{now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        return cls(run=run, owner=f"alerts:{run}")

    def key(self, contact_id: int, channel: str) -> str:
        return f"alert.{self.run}.{contact_id}.{channel}"


# --- claiming ------------------------------------------------------------------------


def claim(session: Session, worker: str, limit: int, at: dt.datetime) -> list[int]:
    """Lease up to `limit` due messages to `worker`, oldest due first.

    Messages whose lease ended are not taken here: `reconcile` decides first whether
    they may have been sent.
    """
    MSG = m.tbl(m.OutboxMessage)
    dialect = session.get_bind().dialect.name
    t = sql_instant(at, dialect)
    lease = sql_instant(at + dt.timedelta(seconds=get_settings().engine.lease_seconds), dialect)
    due = MSG.c.status.in_(DUE_STATUSES) & (MSG.c.next_attempt_at <= t)
    pick = select(MSG.c.id).where(due).order_by(MSG.c.next_attempt_at, MSG.c.id).limit(limit)
    if dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (update(MSG).where(MSG.c.id.in_(pick.scalar_subquery()))
            .values(status="sending", lease_owner=worker, lease_until=lease,
                    send_started_at=None)
            .returning(MSG.c.id))
    return sorted(r[0] for r in session.execute(stmt))


IN_DOUBT_ERROR = ("không rõ kết quả: bộ gửi dừng khi thông báo đang được gửi; "
                  "đã gửi lại, người nhận có thể nhận hai lần")


@dataclass(frozen=True)
class Reconciled:
    requeued: int = 0  # leased, never started: back in the queue as they were
    in_doubt: int = 0  # in flight when the lease ended: sent again, flagged


def _process_gone(owner: str, host: str) -> bool:
    """True if `owner` ("host:pid:thread", see `worker_name`) is a process of this host
    that has ended. Other hosts' owners, and names of another form, are left to expire."""
    parts = owner.split(":")
    if len(parts) != 3 or parts[0] != host or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child its parent has not reaped yet is a zombie: gone all the same
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def reconcile(session: Session, at: dt.datetime) -> Reconciled:
    """Settle the leases that ended without a result (set-based).

    A lease ends when it expires or when the process of this host that held it is gone
    (no need to wait for the expiry then). Messages never started return to the queue;
    messages in flight get an ``unknown`` attempt (under the old owner's name) and are
    queued again with ``maybe_duplicate``.
    """
    MSG, A = m.tbl(m.OutboxMessage), m.tbl(m.DeliveryAttempt)
    dialect = session.get_bind().dialect.name
    t = sql_instant(at, dialect)
    owners = session.execute(select(MSG.c.lease_owner).where(MSG.c.status == "sending")
                             .distinct()).scalars().all()
    host = socket.gethostname()
    gone = [o for o in owners if o and _process_gone(o, host)]
    ended = (MSG.c.status == "sending") & ((MSG.c.lease_until < t) | MSG.c.lease_owner.in_(gone))
    started = MSG.c.send_started_at.is_not(None)
    session.execute(insert(A).from_select(
        ["message_id", "at", "worker", "result", "error", "channel_code"],
        select(MSG.c.id, literal(t),
               func.coalesce(MSG.c.lease_owner, ""), literal("unknown"),
               literal(IN_DOUBT_ERROR), MSG.c.channel_code).where(ended & started)))
    doubt = m.rowcount(session.execute(
        update(MSG).where(ended & started)
        .values(status="retry", maybe_duplicate=True, attempts=MSG.c.attempts + 1,
                next_attempt_at=t, last_error=IN_DOUBT_ERROR, send_started_at=None,
                lease_owner=None, lease_until=None)))
    requeued = m.rowcount(session.execute(
        update(MSG).where(ended & ~started)
        .values(status=case((MSG.c.attempts > 0, "retry"), else_="pending"),
                lease_owner=None, lease_until=None)))
    if doubt or requeued:
        log.warning("reconciled ended leases: %d requeued, %d in doubt (owners gone: %s)",
                    requeued, doubt, gone)
    return Reconciled(requeued=requeued, in_doubt=doubt)


def renew(session: Session, owners: list[str], at: dt.datetime) -> int:
    """Extend the leases still held by `owners` (a batch at work, a run's alert digest)."""
    MSG = m.tbl(m.OutboxMessage)
    dialect = session.get_bind().dialect.name
    lease = sql_instant(at + dt.timedelta(seconds=get_settings().engine.lease_seconds), dialect)
    return m.rowcount(session.execute(
        update(MSG).where(MSG.c.status == "sending", MSG.c.lease_owner.in_(owners))
        .values(lease_until=lease)))


def start_sends(session: Session, message_ids: list[int], worker: str, at: dt.datetime
                ) -> set[int]:
    """Mark these sends as begun where the lease is still `worker`'s; the others must not
    be sent (another dispatcher has them)."""
    MSG = m.tbl(m.OutboxMessage)
    dialect = session.get_bind().dialect.name
    lease = sql_instant(at + dt.timedelta(seconds=get_settings().engine.lease_seconds), dialect)
    return {r[0] for r in session.execute(
        update(MSG).where(MSG.c.id.in_(message_ids), MSG.c.lease_owner == worker,
                          MSG.c.status == "sending")
        .values(send_started_at=sql_instant(at, dialect), lease_until=lease)
        .returning(MSG.c.id))}


def reopen_unconfigured(session: Session) -> int:
    """Messages held for a channel that now has its credentials go back to the queue."""
    ready = [c.code for c in channels(session).values() if _configured(c)]
    if not ready:
        return 0
    MSG = m.tbl(m.OutboxMessage)
    return m.rowcount(session.execute(
        update(MSG).where(MSG.c.status == "unconfigured", MSG.c.channel_code.in_(ready))
        .values(status="pending", next_attempt_at=sql_instant(now(), session.get_bind()
                                                                  .dialect.name))
    ))


def channels(session: Session) -> dict[str, ChannelInfo]:
    bind = session.get_bind()
    rows = list(session.execute(select(m.Channel)).scalars())
    remember_channel_secrets(c.url for c in rows)  # masked in every stored reply/error
    return {c.code: ChannelInfo(c.code, c.kind, c.url, float(c.rate_per_second), c.concurrency,
                                c.max_attempts, bind if isinstance(bind, Engine) else None)
            for c in rows}


def _configured(ch: ChannelInfo) -> bool:
    try:
        expand_env(ch.url)
        return True
    except MissingCredential:
        return False


# --- preparing ---------------------------------------------------------------------------


#: Zalo's free consultation window after a person's last message to the OA (48 hours;
#: paid up to 7 days): inside it a consultation message reaches them (channels/zalo_oa.py)
OA_WINDOW = dt.timedelta(hours=48)


def recent_oa_interactions(session: Session, contact_ids: list[int]) -> set[int]:
    """The contacts among `contact_ids` who wrote to the OA within `OA_WINDOW` (one query)."""
    if not contact_ids:
        return set()
    E = m.InboundEvent
    since = sql_instant(now() - OA_WINDOW, session.get_bind().dialect.name)
    return {cid for cid in session.execute(
        select(E.contact_id).where(E.source == "zalo_oa", E.contact_id.in_(contact_ids),
                                   E.received_at >= since).distinct()).scalars()
        if cid is not None}


def _prepare(session: Session, ids: list[int], today: dt.date) -> list[Job]:
    MSG, C, U = m.OutboxMessage, m.Contact, m.Unit
    chans = channels(session)
    rows = session.execute(
        select(MSG, C, U.name).outerjoin(C, C.id == MSG.contact_id)
        .outerjoin(U, U.id == C.unit_id).where(MSG.id.in_(ids))
    ).all()
    cal = calendar_for(session)
    # a fallback message says what its first message says
    items = load_items(session, [r[0].fallback_of or r[0].id for r in rows
                                 if r[0].kind == "reminder"], cal, today)
    links = linked_addresses(session, [r[1].id for r in rows if r[1] is not None])
    recent = recent_oa_interactions(session, [r[1].id for r in rows if r[1] is not None])
    jobs = []
    for msg, contact, unit_name in rows:
        job = Job(id=msg.id, key=msg.idempotency_key, attempts=msg.attempts,
                  channel=chans.get(msg.channel_code))
        jobs.append(job)
        if msg.kind == "reminder":
            its = items.get(msg.fallback_of or msg.id, [])
            if not its:
                job.outcome = "cancelled"
                continue
            job.message = render(its, contact_name=contact.name if contact else "",
                                 unit_name=unit_name, today=today, idempotency_key=msg.
                                 idempotency_key)
        else:
            job.message = OutgoingMessage(idempotency_key=msg.idempotency_key,
                                          subject=msg.subject or "", text=msg.body or "",
                                          short_text=msg.body or "")
        if msg.chunks_sent:  # a retry sends only the parts not yet delivered
            job.message = replace(job.message, parts_done=msg.chunks_sent)
        if contact is not None and contact.id in recent:
            job.message = replace(job.message, recent_interaction=True)
        if job.channel is None:
            job.outcome = "dead"
            job.result = SendResult.fail(f"kênh '{msg.channel_code}' không còn trong cấu hình")
            continue
        try:
            base = expand_env(job.channel.url)
        except MissingCredential as exc:
            job.outcome = "unconfigured"
            job.result = SendResult.retry(str(exc))
            continue
        field_name = ADDRESS_FOR_KIND.get(job.channel.kind)
        address = getattr(contact, field_name) if (contact and field_name) else ""
        if contact and field_name and not address:  # linked by the person (webhook)
            address = links.get((contact.id, field_name), "")
        try:
            job.url = target_url(job.channel.kind, base, address or "")
        except ValueError:
            job.outcome = "dead"
            job.result = SendResult.fail("đầu mối không có địa chỉ cho kênh này")
            continue
        job.secrets = [v for v in _env_values(job.channel.url) if v]
    return jobs


def _env_values(url: str) -> list[str]:
    from danvan_workflow.adapters.channels.redact import url_secrets
    from danvan_workflow.adapters.channels.registry import env_names

    out: list[str] = []
    for name in env_names(url):
        value = os.environ.get(name, "")
        out.append(value)
        out += url_secrets(value)
    return out


# --- sending -----------------------------------------------------------------------------


def _send_one(job: Job, timeout: float, may_send: Callable[[], bool] = lambda: True,
              done: Callable[[Job], None] = lambda job: None) -> None:
    """Send `job` within its channel's concurrency and rate.

    `may_send` is asked once a slot is free (the send is marked started there; False
    leaves the job unsent) and `done` records the result before the slot is given back,
    so at most the channel's concurrency of sends is ever started and unrecorded.
    """
    assert job.channel and job.url and job.message
    lim, sem = _limits(job.channel)
    with sem:
        if not may_send():
            job.outcome = "lost"
            return
        lim.wait()  # last before the request: a slow database write must not bunch sends
        try:
            res = send(job.url, job.message, timeout=timeout)
        except Exception as exc:  # an adapter bug must not lose the message
            res = SendResult.retry(f"{type(exc).__name__}: {exc}")
        job.result = res.redacted(job.secrets)
        done(job)


def _decide(job: Job, rng: random.Random) -> tuple[str, float]:
    res = job.result
    assert res is not None and job.channel is not None
    if res.ok:
        return "sent", 0.0
    attempt = job.attempts + 1
    most = min(job.channel.max_attempts, res.attempt_cap or job.channel.max_attempts)
    d = retry_decision(attempt, most, res.retry_after, res.permanent, rng.random())
    return ("dead", 0.0) if d.dead else ("retry", d.delay_seconds)


def _record(session: Session, jobs: list[Job], worker: str, t: dt.datetime,
            digest: AlertDigest | None = None) -> DispatchStats:
    MSG, A = m.tbl(m.OutboxMessage), m.tbl(m.DeliveryAttempt)
    dialect = session.get_bind().dialect.name
    stats = DispatchStats(claimed=len(jobs))
    rng = random.Random()
    updates, attempts, dead = [], [], []
    for job in jobs:
        delay = 0.0
        if not job.outcome:
            job.outcome, delay = _decide(job, rng)
        setattr(stats, job.outcome, getattr(stats, job.outcome) + 1)
        if job.result is not None:  # nothing unredacted is written (or alerted) below
            job.result = job.result.redacted(job.secrets)
        res = job.result
        counted = job.outcome in ("sent", "retry", "dead") and job.url is not None
        updates.append(dict(
            mid=job.id, w=worker, status=job.outcome,
            attempts=job.attempts + (1 if counted else 0),
            nxt=sql_instant(t + dt.timedelta(seconds=delay), dialect),
            sent_at=sql_instant(t, dialect) if job.outcome == "sent" else None,
            err=redact(res.error, job.secrets) if res and not res.ok else None,
            subject=job.message.subject[:300] if job.message else None,
            chunks=res.parts_sent if res else None,
        ))
        if job.outcome != "cancelled":
            attempts.append(dict(message_id=job.id, at=t, worker=worker, result=job.outcome,
                                 provider_reply=redact(res.provider_reply, job.secrets,
                                                       limit=REPLY_LIMIT) if res else None,
                                 error=redact(res.error, job.secrets) if res else None,
                                 channel_code=job.channel.code if job.channel else None))
        if job.outcome == "dead":
            dead.append(job)
    # refused recipients move to the next channel of their chain: no dead-letter alert
    moved = reroute(session, [j.id for j in dead if j.result and j.result.recipient_refused])
    for job in dead:
        if job.id in moved and job.result:
            job.result = replace(job.result, error=f"{job.result.error} — chuyển sang kênh "
                                                    f"{moved[job.id]}")
            updates[[u["mid"] for u in updates].index(job.id)]["err"] = job.result.error
    dead = [j for j in dead if j.id not in moved]
    if updates:
        session.execute(
            update(MSG).where(MSG.c.id == bindparam("mid"), MSG.c.lease_owner == bindparam("w"))
            .values(status=bindparam("status"), attempts=bindparam("attempts"),
                    next_attempt_at=bindparam("nxt"), sent_at=bindparam("sent_at"),
                    last_error=bindparam("err"), subject=bindparam("subject"),
                    chunks_sent=func.coalesce(bindparam("chunks", type_=Integer),
                                              MSG.c.chunks_sent),
                    lease_owner=None, lease_until=None, send_started_at=None),
            updates,
        )
        late = [j.id for j in jobs if j.outcome == "sent"]
        if late:  # delivered after the lease ended, not yet sent again: no second copy
            session.execute(
                update(MSG).where(MSG.c.id.in_(late), MSG.c.status.in_(DUE_STATUSES),
                                  MSG.c.lease_owner.is_(None))
                .values(status="sent", sent_at=sql_instant(t, dialect), last_error=None,
                        maybe_duplicate=False))
    if attempts:
        session.execute(insert(A), attempts)
    if dead:
        own = digest is None  # a lone batch (not from dispatch): its own digest, released
        digest = digest or AlertDigest.start()
        _alert_operators(session, dead, digest, t)
        if own:
            _release_alerts(session, digest, t)
    return stats


def _alert_operators(session: Session, dead: list[Job], digest: AlertDigest,
                     t: dt.datetime) -> None:
    """Add `dead` to the run's digest for the operators named in reminders.yaml
    (`operators:` contact codes): one message per operator and channel, rewritten with
    every failure of the run so far. Dead alerts are not told (an alert about an alert
    would fail the same way, and so on without end).
    """
    from danvan_workflow.services.reminders import load_policy

    MSG = m.tbl(m.OutboxMessage)
    kinds = dict(session.execute(select(MSG.c.id, MSG.c.kind)
                                 .where(MSG.c.id.in_([j.id for j in dead]))).tuples().all())
    told = [j for j in dead if kinds.get(j.id) != "alert"]
    if not told:
        return
    digest.failures += [(j.id, j.attempts + (1 if j.url is not None else 0),
                         j.result.error if j.result else None) for j in told]
    ops = load_policy(session).operators
    if not ops:
        log.warning("dead letters without operators to alert: %s", [j.id for j in told])
        return
    C, CC = m.Contact, m.ContactChannel
    targets = session.execute(select(C.id, CC.channel_code).join(CC, CC.contact_id == C.id)
                              .where(C.code.in_(ops)).order_by(C.id, CC.channel_code)).all()
    if not targets:
        log.warning("operators %s have no channel: dead letters %s", list(ops),
                    [j.id for j in told])
        return
    listed = digest.failures[:DIGEST_LIMIT]
    letters = dead_letters(session, [mid for mid, _, _ in listed])  # contact, unit, deadlines
    failures = [(letters[mid], attempts, err) for mid, attempts, err in listed if mid in letters]
    if not failures:
        return
    subject, body = render_dead_digest(failures, total=len(digest.failures))
    dialect = session.get_bind().dialect.name
    lease = sql_instant(t + dt.timedelta(seconds=get_settings().engine.lease_seconds), dialect)
    stamp = sql_instant(t, dialect)
    rows = [dict(idempotency_key=digest.key(cid, chan), contact_id=cid, channel_code=chan,
                 kind="alert", planned_for=t.date(), subject=subject, body=body,
                 status="sending", attempts=0, next_attempt_at=stamp, created_at=now(),
                 lease_owner=digest.owner, lease_until=lease)
            for cid, chan in targets]
    stmt = insert_ignore(session)(MSG).values(rows)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["idempotency_key"],
        set_=dict(subject=stmt.excluded.subject, body=stmt.excluded.body,
                  lease_until=stmt.excluded.lease_until),
        where=(MSG.c.status == "sending") & (MSG.c.lease_owner == digest.owner)))
    digest.held = True


def _release_alerts(session: Session, digest: AlertDigest, t: dt.datetime) -> int:
    """The run is over: its digest messages join the queue."""
    if not digest.held:
        return 0
    MSG = m.tbl(m.OutboxMessage)
    digest.held = False
    return m.rowcount(session.execute(
        update(MSG).where(MSG.c.lease_owner == digest.owner, MSG.c.status == "sending")
        .values(status="pending", lease_owner=None, lease_until=None,
                next_attempt_at=sql_instant(t, session.get_bind().dialect.name))))


class Ledger:
    """The dispatcher's one database writer: it marks sends started and records results
    in groups, one transaction for whatever the sending threads handed in meanwhile.

    A sending thread waits for its own entry to be committed, so the guarantees are those
    of one transaction per message: a send begins only once it is marked started (and
    only if the lease is still ours), and its concurrency slot is given back only once
    its result is recorded; a crash re-sends at most what was in flight. Sixty-four
    threads each committing alone queued on SQLite's write lock (about 130 msg/s); in
    groups they do not.
    """

    GROUP = 512

    def __init__(self, engine: Engine, worker: str, clock: Callable[[], dt.datetime],
                 digest: Callable[[], AlertDigest], total: DispatchStats) -> None:
        self.engine, self.worker, self.clock = engine, worker, clock
        self.digest, self.total = digest, total
        self._queue: queue.SimpleQueue[tuple[str, Any, Future[Any]] | None] = \
            queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="dispatch-ledger", daemon=True)
        self._thread.start()

    def start(self, job: Job) -> bool:
        """True once the send is marked started; False: the lease is no longer ours."""
        return bool(self._submit("start", job))

    def record(self, jobs: list[Job]) -> None:
        if jobs:
            self._submit("record", jobs)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _submit(self, kind: str, payload: Any) -> Any:
        fut: Future[Any] = Future()
        self._queue.put((kind, payload, fut))
        return fut.result()

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            while len(group) < self.GROUP:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                group.append(item)
            self._commit(group)

    def _commit(self, group: list[tuple[str, Any, Future[Any]]]) -> None:
        starts = [job.id for kind, job, _ in group if kind == "start"]
        done = [j for kind, jobs, _ in group if kind == "record" for j in jobs]
        try:
            with session_scope(self.engine) as s:
                t = self.clock()
                ours = start_sends(s, starts, self.worker, t) if starts else set()
                stats = _record(s, done, self.worker, t, self.digest()) if done else None
        except BaseException as exc:  # the senders stop; their leases end, reconcile decides
            for _, _, fut in group:
                fut.set_exception(exc)
            return
        if stats:
            self.total.add(stats)
        for kind, payload, fut in group:
            fut.set_result(payload.id in ours if kind == "start" else None)


def dispatch(
    *, engine: Engine | None = None, worker: str | None = None, batch: int | None = None,
    max_batches: int | None = None, timeout: float = 10.0,
    progress: Callable[[DispatchStats], None] | None = None,
    after_claim: Callable[[list[int]], None] | None = None,
    at: dt.datetime | None = None,
) -> DispatchStats:
    """Send everything due now (or at `at`, for catch-up and tests), batch after batch.

    Pipelined: the next batch is claimed while the last one is still sending (when fewer
    sends than the pool has threads are left), so no batch waits for its slowest send.
    Starts and results go through the `Ledger`, in groups. Leases are renewed every third
    of the lease while anything claimed is unfinished.
    """
    register_plugins()
    engine = engine or get_engine()
    worker = worker or worker_name()
    batch = batch or get_settings().engine.dispatch_batch
    renew_every = get_settings().engine.lease_seconds / 3

    def clock() -> dt.datetime:
        return at or now()

    total = DispatchStats()
    with session_scope(engine) as s:
        reconcile(s, clock())
        reopen_unconfigured(s)
        chans = channels(s)
    threads = max(4, min(64, sum(c.concurrency for c in chans.values()) or 4))
    run = {"digest": AlertDigest.start()}  # this run's dead letters, told once per operator
    ledger = Ledger(engine, worker, clock, lambda: run["digest"], total)

    def send_job(job: Job) -> Job:
        _send_one(job, timeout, lambda: ledger.start(job), lambda j: ledger.record([j]))
        return job

    def claim_batch(pool: ThreadPoolExecutor) -> set[Future[Any]]:
        with session_scope(engine) as s:
            reconcile(s, clock())
            ids = claim(s, worker, batch, clock())
        if not ids:
            return set()
        if after_claim:
            after_claim(ids)
        with session_scope(engine) as s:
            jobs = _prepare(s, ids, clock().date())
        ledger.record([j for j in jobs if j.outcome])  # decided without a send
        total.batches += 1
        started: set[Future[Any]] = {pool.submit(send_job, j) for j in jobs if not j.outcome}
        if not started:  # all decided without a send: the batch is done, claim the next
            finished: Future[Any] = Future()
            finished.set_result(None)
            started.add(finished)
        return started

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dispatch")
    try:
        # completed sends arrive here: waiting on the set of a thousand futures again
        # after each completion cost more CPU than the sending itself
        finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()
        running = 0
        drained = False  # the last claim found nothing due
        renewed = told = time.monotonic()
        while True:
            may_claim = max_batches is None or total.batches < max_batches
            if may_claim and not drained and running <= threads:
                new = claim_batch(pool)
                if new:
                    running += len(new)
                    for f in new:
                        f.add_done_callback(finished.put)
                    continue
                drained = True
            if running:
                done = []
                try:
                    done.append(finished.get(timeout=min(renew_every, 1.0)))
                    while True:
                        done.append(finished.get_nowait())
                except queue.Empty:
                    pass
                running -= len(done)
                for f in done:
                    f.result()  # an error in recording stops the run (leases then end)
                if running and time.monotonic() - renewed >= renew_every:
                    with session_scope(engine) as s:
                        renew(s, [worker, run["digest"].owner], clock())
                    renewed = time.monotonic()
                if progress and (not running or time.monotonic() - told >= 1.0):
                    progress(total)
                    told = time.monotonic()
                if not running:
                    drained = False  # all sent: look once more before stopping
                continue
            if not may_claim or not run["digest"].held:
                break
            with session_scope(engine) as s:  # the run's alerts go out last
                _release_alerts(s, run["digest"], clock())
            run["digest"] = AlertDigest.start()  # for anything that dies after that
            drained = False
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)  # claimed, never started: reconciled
        raise
    finally:
        pool.shutdown(wait=True)
        ledger.close()
        if run["digest"].held:  # stopped by max_batches or an error: the next run sends them
            with session_scope(engine) as s:
                _release_alerts(s, run["digest"], clock())
    return total


def counts(session: Session) -> dict[str, int]:
    MSG = m.OutboxMessage
    q = select(MSG.status, func.count()).group_by(MSG.status)
    return dict(session.execute(q).tuples().all())


def retry_now(session: Session, ids: list[int] | None, *, dead_only: bool = True) -> int:
    MSG = m.tbl(m.OutboxMessage)
    stmt = update(MSG).values(status="pending", next_attempt_at=sql_instant(
        now(), session.get_bind().dialect.name), attempts=0)
    if ids:
        stmt = stmt.where(MSG.c.id.in_(ids))
    else:
        stmt = stmt.where(MSG.c.status.in_(["dead", "retry"] if not dead_only else ["dead"]))
    return m.rowcount(session.execute(stmt))


# --- use cases ---------------------------------------------------------------------------


def dispatch_now(cmd: DispatchNow) -> DispatchStats:
    """The command "send what is due now" (CLI `outbox dispatch`)."""
    return dispatch(batch=cmd.batch)


def retry_messages(cmd: RetryMessages) -> int:
    """The command "put back in the queue": the messages named, or every dead letter."""
    with unit_of_work() as s:
        return retry_now(s, cmd.message_ids or None)
