"""Fallback chains: when a channel refuses a recipient for good, try the next channel.

A contact's chain is its ``channels`` list in config/contacts/*.yaml, in order (e.g.
``[zalo_oa, zalo_zns, email]``). With ``fallback: true`` only the first reachable channel
is planned; otherwise every listed channel is, and the chain only fills a gap. When a
message dies because the provider refuses this recipient on this channel (Zalo -230
outside the interaction window, -213 not a follower, -244 blocked...), the next channel
of the chain that the contact has an address for gets the same message -- unless the
contact already has that message (same day, same kind) on that channel. The new row
points to the first one (``fallback_of``), so a reminder is rendered from the same
items, and ``delivery_attempts.channel_code`` tells which channel delivered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.configuration.apply import ADDRESS_FOR_KIND
from danvan_workflow.db import models as m
from danvan_workflow.db.sql import insert_ignore
from danvan_workflow.timeutil import now

KEY_LIMIT = 80  # outbox_messages.idempotency_key


def fallback_key(root_key: str, channel_code: str) -> str:
    key = f"{root_key}>{channel_code}"
    if len(key) <= KEY_LIMIT:
        return key
    return f"fb.{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}>{channel_code}"[:KEY_LIMIT]


def next_channels(session: Session, msg: m.OutboxMessage) -> list[str]:
    """The channels after ``msg``'s in its contact's chain that can reach the contact."""
    contact = session.get(m.Contact, msg.contact_id) if msg.contact_id else None
    if contact is None or not contact.channels or msg.channel_code not in contact.channels:
        return []
    kinds = dict(session.execute(select(m.Channel.code, m.Channel.kind)).tuples().all())
    links = dict(session.execute(select(m.ZaloLink.field, m.ZaloLink.address)
                                 .where(m.ZaloLink.contact_id == contact.id)).tuples().all())
    out = []
    for code in contact.channels[contact.channels.index(msg.channel_code) + 1:]:
        kind = kinds.get(code)
        if kind is None:
            continue
        field = ADDRESS_FOR_KIND.get(kind)
        if field is None or getattr(contact, field) or links.get(field):
            out.append(code)
    return out


def reroute(session: Session, message_ids: Iterable[int]) -> dict[int, str]:
    """Move each refused message to the next channel of its chain.

    Returns {message id: channel now carrying it}; messages without a next channel
    are left out (they stay dead letters).
    """
    MSG = m.OutboxMessage
    done: dict[int, str] = {}
    for mid in message_ids:
        msg = session.get(MSG, mid)
        if msg is None:
            continue
        root = session.get(MSG, msg.fallback_of) if msg.fallback_of else msg
        assert root is not None
        for code in next_channels(session, msg):
            carried = session.execute(select(MSG.id).where(
                MSG.contact_id == msg.contact_id, MSG.channel_code == code,
                MSG.kind == msg.kind, MSG.planned_for == msg.planned_for,
                MSG.status.not_in(("dead", "cancelled")),
            ).limit(1)).scalar_one_or_none()
            if carried is not None:  # the contact already gets it there
                done[mid] = code
                break
            t = now()
            session.execute(insert_ignore(session)(m.tbl(MSG)).values(
                idempotency_key=fallback_key(root.idempotency_key, code),
                contact_id=msg.contact_id, channel_code=code, kind=msg.kind,
                planned_for=msg.planned_for, sweep_id=msg.sweep_id, subject=msg.subject,
                body=msg.body, status="pending", attempts=0, next_attempt_at=t,
                created_at=t, fallback_of=root.id, chunks_sent=0,
            ).on_conflict_do_nothing(index_elements=["idempotency_key"]))
            done[mid] = code
            break
    return done


def linked_addresses(session: Session, contact_ids: list[int]) -> dict[tuple[int, str], str]:
    """Zalo addresses learnt by linking (webhook), for contacts whose config has none."""
    if not contact_ids:
        return {}
    L = m.ZaloLink
    rows = session.execute(select(L.contact_id, L.field, L.address)
                           .where(L.contact_id.in_(set(contact_ids)))).all()
    return {(cid, f): a for cid, f, a in rows}
