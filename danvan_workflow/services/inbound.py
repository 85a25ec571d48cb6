"""Inbound Zalo events: stored once, audited; link codes and "đã nộp" claims.

The HTTP receiver (adapters/webhooks_app.py) verifies an event, then calls
:func:`handle_event` in one transaction. An event id seen before changes nothing.

- Linking: an operator issues a one-time code for a contact (``danvan contacts
  link-code``); it is stored hashed (SHA-256) with an expiry. When the person sends the
  code to the OA or the bot, the sender's Zalo id is linked to the contact
  (``zalo_links``, kept across configuration loads) and the code is spent.
- Claims: a linked person who writes "đã nộp" (with or without diacritics) creates a
  submission claim; an operator confirms it later (``danvan claims confirm``), which
  records the submission through services/reports.submit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.core.deadline_status import OPEN_STATES
from danvan_workflow.db import models as m
from danvan_workflow.db.sql import insert_ignore
from danvan_workflow.errors import UserError
from danvan_workflow.services.audit import record
from danvan_workflow.timeutil import now

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
CODE_LIFETIME = dt.timedelta(hours=72)
FIELD_FOR_SOURCE = {"zalo_oa": "zalo_user_id", "zalo_bot": "zalo_chat_id"}
KIND_FOR_FIELD = {"zalo_user_id": "zalo_oa", "zalo_chat_id": "zalo_bot"}
_CANDIDATE = re.compile(rf"[A-Z0-9]{{{CODE_LENGTH}}}")


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _fold(text: str) -> str:
    """Lower case without diacritics (đ -> d), spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    plain = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(plain.split())


def is_submitted_reply(text: str) -> bool:
    """"đã nộp", "Da nop", "em đã nộp báo cáo rồi ạ"... (not "chưa nộp")."""
    folded = _fold(text)
    return bool(re.search(r"\bda nop\b", folded)) and "chua nop" not in folded


# --- link codes ------------------------------------------------------------------------


def issue_link_code(session: Session, contact_code: str, *, actor: str,
                    lifetime: dt.timedelta = CODE_LIFETIME) -> tuple[str, dt.datetime]:
    contact = session.execute(select(m.Contact).where(m.Contact.code == contact_code)
                              ).scalar_one_or_none()
    if contact is None:
        raise UserError(f"không có đầu mối mã '{contact_code}'", field="contact")
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    expires = now() + lifetime
    session.add(m.LinkCode(contact_id=contact.id, code_hash=_hash(code), created_by=actor,
                           created_at=now(), expires_at=expires))
    record(session, actor=actor, action="link_code_issued", entity="contacts",
           entity_id=contact.code, after={"expires_at": expires.isoformat()})
    return code, expires


def _spend_code(session: Session, text: str) -> m.LinkCode | None:
    for candidate in _CANDIDATE.findall(text.upper()):
        q = select(m.LinkCode).where(m.LinkCode.code_hash == _hash(candidate),
                                     m.LinkCode.used_at.is_(None))
        if session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update()
        link = session.execute(q).scalar_one_or_none()
        if link is not None and link.expires_at > now():
            link.used_at = now()
            return link
    return None


def _link(session: Session, contact_id: int, field: str, address: str) -> None:
    L = m.ZaloLink
    row = session.get(L, (contact_id, field))
    if row is None:
        session.add(L(contact_id=contact_id, field=field, address=address, linked_at=now()))
    else:
        row.address, row.linked_at = address, now()
    # the contact can be reached on that kind of channel from now on (config loads keep it)
    contact = session.get(m.Contact, contact_id)
    kind = KIND_FOR_FIELD[field]
    codes = [c for c, k in session.execute(select(m.Channel.code, m.Channel.kind)).tuples()
             if k == kind and (not contact or not contact.channels or c in contact.channels)]
    for code in codes:
        session.execute(insert_ignore(session)(m.tbl(m.ContactChannel))
                        .values(contact_id=contact_id, channel_code=code)
                        .on_conflict_do_nothing(index_elements=["contact_id", "channel_code"]))


def contact_for_sender(session: Session, field: str, sender: str) -> int | None:
    C, L = m.Contact, m.ZaloLink
    linked = session.execute(select(L.contact_id).where(L.field == field, L.address == sender)
                             .limit(1)).scalar_one_or_none()
    if linked is not None:
        return int(linked)
    column = C.zalo_user_id if field == "zalo_user_id" else C.zalo_chat_id
    found = session.execute(select(C.id).where(column == sender, C.archived_at.is_(None))
                            .limit(1)).scalar_one_or_none()
    return None if found is None else int(found)


# --- events ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    source: str  # zalo_oa | zalo_bot
    event_id: str
    event_name: str
    sender: str | None  # OA: sender.id; Bot: the chat id
    text: str | None
    payload: dict[str, Any]


def handle_event(session: Session, event: Event) -> str:
    """Store ``event`` once and act on it; returns the outcome (``duplicate`` if seen)."""
    E = m.InboundEvent
    inserted = session.execute(insert_ignore(session)(m.tbl(E)).values(
        source=event.source, event_id=event.event_id[:128], event_name=event.event_name[:64],
        sender_id=(event.sender or "")[:64] or None, received_at=now(), payload=event.payload,
    ).on_conflict_do_nothing(index_elements=["source", "event_id"]))
    if not m.rowcount(inserted):
        return "duplicate"
    row = session.execute(select(E).where(E.source == event.source,
                                          E.event_id == event.event_id[:128])).scalar_one()
    field = FIELD_FOR_SOURCE[event.source]
    outcome = "stored"
    contact_id: int | None = None
    if event.sender and event.text:
        link = _spend_code(session, event.text)
        if link is not None:
            contact_id, outcome = link.contact_id, "linked"
            _link(session, link.contact_id, field, event.sender)
        else:
            contact_id = contact_for_sender(session, field, event.sender)
            if contact_id is not None and is_submitted_reply(event.text):
                session.add(m.SubmissionClaim(
                    contact_id=contact_id, event_id=row.id, text=event.text[:2000],
                    deadline_id=_likely_deadline(session, contact_id), status="pending",
                    created_at=now()))
                outcome = "claim"
    row.contact_id, row.outcome = contact_id, outcome
    record(session, actor=f"zalo:{event.source}", action=f"inbound_{outcome}",
           entity="inbound_events", entity_id=row.id,
           after={"event_name": event.event_name, "contact_id": contact_id})
    return outcome


def _likely_deadline(session: Session, contact_id: int) -> int | None:
    """The open deadline this person was reminded of most recently (the operator checks)."""
    N, D = m.Notification, m.Deadline
    found = session.execute(
        select(N.deadline_id).join(D, D.id == N.deadline_id)
        .where(N.contact_id == contact_id, D.status.in_(OPEN_STATES))
        .order_by(N.planned_for.desc(), N.id.desc()).limit(1)
    ).scalar_one_or_none()
    return None if found is None else int(found)


# --- claims ----------------------------------------------------------------------------


def list_claims(session: Session, *, pending_only: bool = True) -> list[m.SubmissionClaim]:
    q = select(m.SubmissionClaim).order_by(m.SubmissionClaim.id)
    if pending_only:
        q = q.where(m.SubmissionClaim.status == "pending")
    return list(session.execute(q).scalars())


def confirm_claim(session: Session, claim_id: int, *, actor: str,
                  deadline_id: int | None = None, received_on: dt.date | None = None,
                  document_number: str | None = None) -> Any:
    """Record the submission the claim stands for (services/reports.submit)."""
    from danvan_workflow.services.reports import submit

    claim = session.get(m.SubmissionClaim, claim_id)
    if claim is None:
        raise UserError(f"không có báo nộp số {claim_id}", field="claim_id")
    if claim.status != "pending":
        raise UserError(f"báo nộp số {claim_id} đã được xử lý", field="claim_id")
    target = deadline_id or claim.deadline_id
    if target is None:
        raise UserError("báo nộp chưa gắn với hạn báo cáo nào: hãy chỉ rõ số hạn (--deadline)",
                        field="deadline")
    day = received_on or claim.created_at.date()
    result = submit(session, deadline_id=target, received_on=day,
                    document_number=document_number, recorded_by=actor)
    claim.status, claim.deadline_id = "confirmed", target
    claim.decided_at, claim.decided_by = now(), actor
    record(session, actor=actor, action="claim_confirmed", entity="submission_claims",
           entity_id=claim.id, after={"deadline_id": target})
    return result


def reject_claim(session: Session, claim_id: int, *, actor: str) -> None:
    claim = session.get(m.SubmissionClaim, claim_id)
    if claim is None or claim.status != "pending":
        raise UserError(f"không có báo nộp đang chờ số {claim_id}", field="claim_id")
    claim.status, claim.decided_at, claim.decided_by = "rejected", now(), actor
    record(session, actor=actor, action="claim_rejected", entity="submission_claims",
           entity_id=claim.id)

