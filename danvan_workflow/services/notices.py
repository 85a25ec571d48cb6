"""Notices written set-based to the outbox: one rendered text per group of units.

A :class:`NoticeGroup` is a subject and body rendered once (in Python, a few rows) for
several units; :func:`queue_notices` puts the groups and their units in temporary
tables and one ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` joins them to the
units' contacts (with the group's role) and channels. The idempotency key is
``kind:key:contact:channel``, so every notice goes out at most once.

Used by reporting cycles and cut-offs (``cycles.py``) and inspection rounds
(``inspections.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    cast,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import Session

from danvan_workflow.db import models as m
from danvan_workflow.db.sql import insert_ignore, temp_tables
from danvan_workflow.db.types import sql_instant
from danvan_workflow.timeutil import now

_meta = MetaData()
TMP_GROUPS = Table(
    "tmp_notice_groups", _meta,
    Column("group_id", Integer, primary_key=True),
    Column("key", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("role", String(16), nullable=False),
    prefixes=["TEMPORARY"],
)
TMP_TARGETS = Table(
    "tmp_notice_targets", _meta,
    Column("group_id", Integer, nullable=False),
    Column("unit_id", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


@dataclass
class NoticeGroup:
    """One rendered text for several units (the units' contacts with `role` receive it)."""

    key: str  # unique per group, part of every idempotency key (<= 40 chars)
    kind: str
    subject: str
    body: str
    unit_ids: list[int]
    role: str = "focal_point"


@contextmanager
def _groups_in_temp(session: Session, groups: list[NoticeGroup]) -> Iterator[None]:
    """The notice groups and their target units in temporary tables, for one statement."""
    with temp_tables(session, TMP_GROUPS, TMP_TARGETS) as conn:
        conn.execute(insert(TMP_GROUPS), [
            dict(group_id=i, key=g.key, kind=g.kind, subject=g.subject, body=g.body,
                 role=g.role)
            for i, g in enumerate(groups)])
        targets = [dict(group_id=i, unit_id=u) for i, g in enumerate(groups)
                   for u in dict.fromkeys(g.unit_ids)]
        if targets:
            conn.execute(insert(TMP_TARGETS), targets)
        yield


def _select(day: dt.date, dialect: str) -> Any:
    """SELECT of the outbox rows for the groups in the temporary tables."""
    C, CC, MSG = m.tbl(m.Contact), m.tbl(m.ContactChannel), m.tbl(m.OutboxMessage)
    key = (TMP_GROUPS.c.kind + literal(":") + TMP_GROUPS.c.key + literal(":")
           + cast(C.c.id, String) + literal(":") + CC.c.channel_code)
    stamp = literal(sql_instant(now(), dialect))
    sel = (
        select(key.label("k"), C.c.id, CC.c.channel_code, TMP_GROUPS.c.kind, literal(day),
               TMP_GROUPS.c.subject, TMP_GROUPS.c.body, literal("pending"), literal(0), stamp,
               stamp)
        .select_from(TMP_GROUPS.join(TMP_TARGETS, TMP_TARGETS.c.group_id ==
                                     TMP_GROUPS.c.group_id)
                     .join(C, and_(C.c.unit_id == TMP_TARGETS.c.unit_id,
                               C.c.role == TMP_GROUPS.c.role))
                     .join(CC, CC.c.contact_id == C.c.id))
    )
    existing = select(MSG.c.id).where(MSG.c.idempotency_key == key).exists()
    return sel, existing


_COLS = ["idempotency_key", "contact_id", "channel_code", "kind", "planned_for", "subject",
         "body", "status", "attempts", "next_attempt_at", "created_at"]


def count_new_notices(session: Session, groups: list[NoticeGroup], day: dt.date) -> int:
    """How many outbox messages `queue_notices` would write (existing keys excluded)."""
    if not groups:
        return 0
    with _groups_in_temp(session, groups):
        sel, existing = _select(day, session.get_bind().dialect.name)
        q = select(func.count()).select_from(sel.where(~existing).subquery())
        return int(session.execute(q).scalar_one())


def queue_notices(session: Session, groups: list[NoticeGroup], day: dt.date) -> int:
    """Write one outbox message per (group, contact, channel); idempotent."""
    if not groups:
        return 0
    with _groups_in_temp(session, groups):
        sel, _ = _select(day, session.get_bind().dialect.name)
        stmt = insert_ignore(session)(m.tbl(m.OutboxMessage)).from_select(_COLS, sel)
        return m.rowcount(session.execute(
            stmt.on_conflict_do_nothing(index_elements=["idempotency_key"])))
