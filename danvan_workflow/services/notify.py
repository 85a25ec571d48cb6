"""Test sends: to a configured contact (through the outbox) or to an Apprise URL (direct)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.adapters.channels.base import OutgoingMessage, SendResult, send
from danvan_workflow.adapters.channels.redact import redact_url, url_secrets
from danvan_workflow.adapters.channels.registry import expand_env, register_plugins
from danvan_workflow.commands.notify import SendTestNotification
from danvan_workflow.db import models as m
from danvan_workflow.errors import UserError
from danvan_workflow.services import audit
from danvan_workflow.services.outbox import DispatchStats, dispatch
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.timeutil import now

TEST_SUBJECT = "Thông báo thử từ danvan-workflow"
TEST_BODY = ("Đây là thông báo thử của hệ thống nhắc hạn báo cáo (danvan-workflow). "
             "Nếu anh/chị nhận được, kênh này đã hoạt động.")


@dataclass
class TestSend:
    messages: list[int]
    direct: SendResult | None = None
    target: str = ""


def queue_test(session: Session, contact_code: str, actor: str,
               channel: str | None = None) -> TestSend:
    """Queue a test message to every channel of a contact; the dispatcher sends it."""
    contact = session.execute(select(m.Contact).where(m.Contact.code == contact_code)
                              ).scalar_one_or_none()
    if contact is None:
        raise UserError(f"không có đầu mối mã '{contact_code}'", field="contact")
    chans = list(session.execute(select(m.ContactChannel.channel_code)
                                 .where(m.ContactChannel.contact_id == contact.id)).scalars())
    if channel:
        if channel not in chans:
            raise UserError(f"đầu mối '{contact_code}' không nhận qua kênh '{channel}' "
                            f"(có: {', '.join(chans) or 'không có kênh nào'})", field="channel")
        chans = [channel]
    if not chans:
        raise UserError(f"đầu mối '{contact_code}' chưa có kênh nhận nào (email, Zalo...)",
                        field="contact")
    ids = []
    for code in chans:
        msg = m.OutboxMessage(
            idempotency_key=f"test.{uuid.uuid4().hex}", contact_id=contact.id, channel_code=code,
            kind="test", planned_for=now().date(), subject=TEST_SUBJECT, body=TEST_BODY,
            status="pending", attempts=0, next_attempt_at=now(),
        )
        session.add(msg)
        session.flush()
        ids.append(msg.id)
    audit.record(session, actor=actor, action="notify.test", entity="contact",
                 entity_id=contact_code, after={"messages": ids})
    return TestSend(messages=ids, target=contact_code)


def send_direct(url: str) -> TestSend:
    """Send a test to an Apprise URL (it may name ${ENV} variables); nothing is stored."""
    register_plugins()
    real = expand_env(url)
    res = send(real, OutgoingMessage(idempotency_key=f"test.{uuid.uuid4().hex}",
                                     subject=TEST_SUBJECT, text=TEST_BODY, short_text=TEST_BODY))
    return TestSend(messages=[], direct=res.redacted(url_secrets(real)), target=redact_url(url))



@dataclass(frozen=True)
class TestNotificationSent:
    target: str
    messages: list[int]
    stats: DispatchStats


def send_test_notification(cmd: SendTestNotification) -> TestNotificationSent:
    """The command "send a test to a contact": queue it (one transaction), then dispatch."""
    with unit_of_work() as s:
        queued = queue_test(s, cmd.contact, cmd.operator, channel=cmd.channel)
    stats = dispatch()
    return TestNotificationSent(queued.target, queued.messages, stats)
