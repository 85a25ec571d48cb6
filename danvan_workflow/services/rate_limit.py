"""A channel's rate limit shared by every worker process, kept in the database.

Each channel has one ``rate_buckets`` row holding the next free sending slot (epoch
seconds): a virtual-scheduling token bucket without burst. A worker reserves a small
block of consecutive slots in one short transaction (the next block while the current
one is still in use), under a lock on the row
(PostgreSQL ``SELECT ... FOR UPDATE``; SQLite takes the database write lock with
``BEGIN IMMEDIATE``), then each sending thread waits for its slot. Slots are spaced
exactly ``1 / rate`` apart across all workers, so the channel's rate holds whatever the
number of dispatchers; a slot left unused (a worker with nothing more to send) is lost,
which only ever slows the channel down. Workers on several hosts need synchronised
clocks (NTP).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from sqlalchemy import Engine, select

from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.db.sql import insert_ignore

# Slots reserved per database round trip, as a fraction of a second of traffic.
BLOCK_SECONDS = 0.1


class SharedRateLimiter:
    """``wait()`` returns when this caller may send one message on the channel."""

    def __init__(self, engine: Engine, channel_code: str, per_second: float) -> None:
        self.engine = engine
        self.code = channel_code
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.block = max(1, int(per_second * BLOCK_SECONDS))
        self.slots: deque[float] = deque()
        self.lock = threading.Lock()  # the local slots
        self.reserving = threading.Lock()  # one reservation at a time
        # how late a slot may still be used: a quarter interval, at least 5 ms (at
        # thousands per second a thread always wakes a few slots late)
        self.late_ok = max(self.interval / 4, 0.005)

    def wait(self) -> None:
        if not self.interval:
            return
        while True:
            with self.lock:
                # a slot already past would send next to the following one (a late
                # thread bunches sends in one second): only a slot at most a little late
                floor = time.time() - self.late_ok
                while self.slots and self.slots[0] < floor:
                    self.slots.popleft()
                at = self.slots.popleft() if self.slots else None
                # the next block is fetched while this one is still in use: a
                # reservation is a database write, and threads waiting on it do not send
                ahead = bool(self.slots) and self.slots[-1] - time.time() < BLOCK_SECONDS / 2
            if at is None or ahead:
                self._refill(wait=at is None)
            if at is None:
                continue
            delay = at - time.time()
            if delay > 0:
                time.sleep(delay)  # pacing the channel, not test timing
            # woken late (a busy machine): sending now would land next to the following
            # slot's message; the slot is lost and this thread takes the next one
            if time.time() - at <= self.late_ok:
                return

    def _refill(self, *, wait: bool) -> None:
        if not self.reserving.acquire(blocking=wait):
            return  # another thread is fetching the next block
        try:
            with self.lock:
                if not wait and self.slots and self.slots[-1] - time.time() >= BLOCK_SECONDS / 2:
                    return
                if wait and self.slots:
                    return  # filled while we queued for the reservation
            slots = self._reserve()
            with self.lock:
                self.slots.extend(slots)
        finally:
            self.reserving.release()

    def _reserve(self) -> list[float]:
        B = m.RateBucket
        with session_scope(self.engine) as s:
            q = select(B).where(B.channel_code == self.code)
            if s.get_bind().dialect.name == "postgresql":
                q = q.with_for_update()
            row = s.execute(q).scalar_one_or_none()
            if row is None:
                s.execute(insert_ignore(s)(m.tbl(B)).values(channel_code=self.code,
                                                           next_at=time.time())
                          .on_conflict_do_nothing(index_elements=["channel_code"]))
                row = s.execute(q.execution_options(populate_existing=True)).scalar_one()
            start = max(float(row.next_at), time.time())
            row.next_at = start + self.block * self.interval
        return [start + i * self.interval for i in range(self.block)]
