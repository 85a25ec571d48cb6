"""The outbox dispatcher: claim due messages, send them, record every attempt.

Delivery is at least once. A worker claims a batch with a lease (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so several workers never claim the same row; SQLite:
one writer at a time). If a worker dies, its lease expires and another worker
takes the rows over; a message in flight at the crash may then be sent twice,
always with the same idempotency key (Message-ID, Idempotency-Key header,
ZNS tracking_id) so the receiving side can drop the copy.

Sending runs in a thread pool with a concurrency limit and a rate limit per
channel; results are written back in one transaction per batch.

Dead letters alert the operators (reminders.yaml `operators`) with one digest per
operator and channel per dispatch run (`AlertDigest`); a dead alert alerts nobody.
Provider replies and errors are redacted (adapters/channels/redact.py `redact`) before
they are written.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine, Integer, bindparam, func, insert, or_, select, update
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
    """Lease up to `limit` due messages to `worker` (expired leases are taken over)."""
    MSG = m.tbl(m.OutboxMessage)
    dialect = session.get_bind().dialect.name
    t = sql_instant(at, dialect)
    lease = sql_instant(at + dt.timedelta(seconds=get_settings().engine.lease_seconds), dialect)
    due = or_(
        (MSG.c.status.in_(DUE_STATUSES)) & (MSG.c.next_attempt_at <= t),
        (MSG.c.status == "sending") & (MSG.c.lease_until < t),
    )
    pick = select(MSG.c.id).where(due).order_by(MSG.c.next_attempt_at, MSG.c.id).limit(limit)
    if dialect == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    stmt = (update(MSG).where(MSG.c.id.in_(pick.scalar_subquery()))
            .values(status="sending", lease_owner=worker, lease_until=lease)
            .returning(MSG.c.id))
    return sorted(r[0] for r in session.execute(stmt))


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


def _send_one(job: Job, timeout: float) -> None:
    assert job.channel and job.url and job.message
    lim, sem = _limits(job.channel)
    with sem:
        lim.wait()
        try:
            res = send(job.url, job.message, timeout=timeout)
        except Exception as exc:  # an adapter bug must not lose the message
            res = SendResult.retry(f"{type(exc).__name__}: {exc}")
    job.result = res.redacted(job.secrets)


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
                    lease_owner=None, lease_until=None),
            updates,
        )
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


def dispatch(
    *, engine: Engine | None = None, worker: str | None = None, batch: int | None = None,
    max_batches: int | None = None, timeout: float = 10.0,
    progress: Callable[[DispatchStats], None] | None = None,
    after_claim: Callable[[list[int]], None] | None = None,
    at: dt.datetime | None = None,
) -> DispatchStats:
    """Send everything due now (or at `at`, for catch-up and tests), batch after batch."""
    register_plugins()
    engine = engine or get_engine()
    worker = worker or worker_name()
    batch = batch or get_settings().engine.dispatch_batch
    total = DispatchStats()
    with session_scope(engine) as s:
        reopen_unconfigured(s)
        chans = channels(s)
    threads = max(4, min(64, sum(c.concurrency for c in chans.values()) or 4))
    digest = AlertDigest.start()  # this run's dead letters, told once per operator channel
    try:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="dispatch") as pool:
            while max_batches is None or total.batches < max_batches:
                with session_scope(engine) as s:
                    t = at or now()
                    ids = claim(s, worker, batch, t)
                if not ids:
                    if not digest.held:
                        break
                    with session_scope(engine) as s:  # the run's alerts go out last
                        _release_alerts(s, digest, at or now())
                    digest = AlertDigest.start()  # for anything that dies after that
                    continue
                if after_claim:
                    after_claim(ids)
                with session_scope(engine) as s:
                    jobs = _prepare(s, ids, t.date())
                sendable = [j for j in jobs if not j.outcome]
                list(pool.map(lambda j: _send_one(j, timeout), sendable))
                with session_scope(engine) as s:
                    stats = _record(s, jobs, worker, at or now(), digest)
                stats.batches = 1
                total.add(stats)
                if progress:
                    progress(total)
    finally:
        if digest.held:  # stopped by max_batches or an error: the next run sends them
            with session_scope(engine) as s:
                _release_alerts(s, digest, at or now())
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
