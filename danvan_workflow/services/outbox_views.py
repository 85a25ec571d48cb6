"""The outbox as operators and administrators read it: lists, one message, totals.

Set-based and limited in SQL. Errors and provider replies are redacted again on the
way out (rows written before a secret was known are masked too).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan_workflow.adapters.channels.redact import redact
from danvan_workflow.db import models as m
from danvan_workflow.errors import UserError
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.outbox import STATUS_LABELS, channels
from danvan_workflow.services.queries import resolve_unit
from danvan_workflow.services.rendering import MESSAGE_KINDS, channel_label, load_items, render
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.timeutil import today

__all__ = ["ATTEMPT_LABELS", "DUPLICATE_NOTE", "MessageDetail", "OutboxList", "OutboxRow",
           "message_detail", "message_states", "outbox_list"]

ATTEMPT_LABELS = {**STATUS_LABELS, "unknown": "Không rõ kết quả"}
DUPLICATE_NOTE = "Có thể đã gửi hai lần"


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: str
    recipient: str
    channel: str
    status: str
    attempts: int
    subject: str
    last_error: str
    maybe_duplicate: bool

    @property
    def note(self) -> str:
        return DUPLICATE_NOTE if self.maybe_duplicate else ""


@dataclass(frozen=True)
class OutboxList:
    rows: list[OutboxRow]
    totals: dict[str, int]  # status label -> messages
    maybe_duplicates: int  # messages a recipient may have received twice


def _row(msg: m.OutboxMessage, name: str | None) -> OutboxRow:
    return OutboxRow(msg.id, MESSAGE_KINDS.get(msg.kind, msg.kind), name or "",
                     channel_label(msg.channel_code), STATUS_LABELS.get(msg.status, msg.status),
                     msg.attempts, msg.subject or "", redact(msg.last_error) or "",
                     bool(msg.maybe_duplicate))


def outbox_list(status: str | None = None, limit: int = 50, *,
                maybe_duplicate: bool = False, unit: str | None = None) -> OutboxList:
    """The newest `limit` messages (of a status, to the contacts of a unit, or only possible
    duplicates) and totals."""
    if status and status not in STATUS_LABELS:
        raise UserError("trạng thái không hợp lệ; chọn: " + ", ".join(STATUS_LABELS),
                        field="--status")
    if not 1 <= limit <= 10_000:
        raise UserError("số dòng phải từ 1 đến 10000", field="--limit")
    MSG, C = m.OutboxMessage, m.Contact
    with unit_of_work() as s:
        channels(s)  # their ${ENV} secrets are masked in the errors below
        q = select(MSG, C.name).outerjoin(C, C.id == MSG.contact_id).order_by(MSG.id.desc())
        if status:
            q = q.where(MSG.status == status)
        if maybe_duplicate:
            q = q.where(MSG.maybe_duplicate.is_(True))
        if unit:
            q = q.where(C.unit_id == resolve_unit(s, unit).id)
        rows = [_row(msg, name) for msg, name in s.execute(q.limit(limit)).all()]
        totals = {STATUS_LABELS.get(k, k): v for k, v in sorted(
            s.execute(select(MSG.status, func.count()).group_by(MSG.status)).tuples().all())}
        dup = s.execute(select(func.count()).select_from(MSG)
                        .where(MSG.maybe_duplicate.is_(True))).scalar_one()
    return OutboxList(rows, totals, dup)


def message_states(ids: list[int]) -> list[OutboxRow]:
    """The messages `ids` as they stand now (after a test send, say)."""
    MSG, C = m.OutboxMessage, m.Contact
    with unit_of_work() as s:
        channels(s)
        q = (select(MSG, C.name).outerjoin(C, C.id == MSG.contact_id)
             .where(MSG.id.in_(ids)).order_by(MSG.id))
        return [_row(msg, name) for msg, name in s.execute(q).all()]


@dataclass(frozen=True)
class AttemptRow:
    at: dt.datetime
    worker: str
    result: str
    reply: str
    error: str


@dataclass(frozen=True)
class MessageDetail:
    row: OutboxRow
    idempotency_key: str
    subject: str | None
    preview: str | None
    attempts: list[AttemptRow]


def message_detail(message_id: int) -> MessageDetail:
    if not 1 <= message_id <= 2**63 - 1:
        raise UserError(f"không có thông báo số {message_id}", field="message_id")
    with unit_of_work() as s:
        channels(s)  # their ${ENV} secrets are masked below, even in old rows
        msg = s.get(m.OutboxMessage, message_id)
        if msg is None:
            raise UserError(f"không có thông báo số {message_id}", field="message_id")
        contact = s.get(m.Contact, msg.contact_id) if msg.contact_id else None
        A = m.DeliveryAttempt
        attempts = [AttemptRow(a.at, a.worker, ATTEMPT_LABELS.get(a.result, a.result),
                               redact(a.provider_reply) or "", redact(a.error) or "")
                    for a in s.execute(select(A).where(A.message_id == msg.id)
                                       .order_by(A.id)).scalars()]
        return MessageDetail(_row(msg, contact.name if contact else None), msg.idempotency_key,
                             msg.subject, _preview(s, msg), attempts)


def _preview(session: Session, msg: m.OutboxMessage) -> str | None:
    """The text as it would be sent now (reminders are rendered when they are sent)."""
    if msg.kind != "reminder":
        return msg.body
    # worded for the day it was (or will be) sent, as the recipient reads it
    if msg.sent_at is not None:
        day = msg.sent_at.date()
    else:
        day = max(today(), msg.next_attempt_at.date(), msg.planned_for)
    items = load_items(session, [msg.id], calendar_for(session), day).get(msg.id)
    if not items:
        return "(không còn mục nào cần nhắc: các hạn đã được nộp, miễn hoặc dời)"
    contact = session.get(m.Contact, msg.contact_id) if msg.contact_id else None
    unit = session.get(m.Unit, contact.unit_id) if contact else None
    return render(items, contact_name=contact.name if contact else "",
                  unit_name=unit.name if unit else None, today=day,
                  idempotency_key=msg.idempotency_key).text
