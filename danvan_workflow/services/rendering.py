"""Render outbox messages from their items with the Jinja2 templates (Vietnamese, NFC)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from danvan_workflow.adapters.channels.base import OutgoingMessage
from danvan_workflow.core.calendar import WorkingCalendar
from danvan_workflow.core.vietnamese import days_left_text, format_date, format_date_long
from danvan_workflow.db import models as m

KIND_TITLES = {
    "upcoming": "Nhắc hạn báo cáo",
    "due_today": "Hôm nay là hạn nộp báo cáo",
    "overdue": "Quá hạn báo cáo",
    "escalation": "Báo cáo cấp trên: chậm nộp báo cáo",
}
KIND_LABELS = {
    "upcoming": "Sắp đến hạn",
    "due_today": "Đến hạn hôm nay",
    "overdue": "Quá hạn",
    "escalation": "Báo cáo cấp trên",
}


@lru_cache(maxsize=1)
def env() -> Environment:
    return Environment(
        loader=PackageLoader("danvan_workflow", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined, keep_trailing_newline=False, trim_blocks=False,
    )


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def item_kind(step: int, escalation: bool) -> str:
    if escalation:
        return "escalation"
    if step < 0:
        return "upcoming"
    return "due_today" if step == 0 else "overdue"


@dataclass(frozen=True)
class Item:
    kind: str
    title: str
    plan_code: str
    period_label: str
    reporter_name: str
    recipient_name: str
    due_on: dt.date
    escalation: bool
    kind_title: str
    kind_label: str
    due_text: str
    left_text: str


def render(items: list[Item], *, contact_name: str, unit_name: str | None, today: dt.date,
           idempotency_key: str) -> OutgoingMessage:
    ctx: dict[str, Any] = dict(items=items, contact_name=contact_name, unit_name=unit_name,
                               today_text=format_date(today))
    e = env()
    subject = nfc(e.get_template("reminder_subject.txt.j2").render(**ctx).strip())
    ctx["subject"] = subject
    text = nfc(e.get_template("reminder_body.txt.j2").render(**ctx))
    html = nfc(e.get_template("reminder_body.html.j2").render(**ctx))
    short = nfc(e.get_template("reminder_short.txt.j2").render(**ctx).strip())
    first = items[0]
    return OutgoingMessage(
        idempotency_key=idempotency_key, subject=subject, text=text, html=html, short_text=short,
        template_data={"title": first.title, "plan": first.plan_code,
                       "period": first.period_label, "due": first.due_text,
                       "status": first.left_text, "count": str(len(items))},
    )


def load_items(session: Session, message_ids: list[int], cal: WorkingCalendar,
               today: dt.date) -> dict[int, list[Item]]:
    """Live items of each message: those whose deadline is still open with the same due date.

    A deadline submitted, waived or moved since planning drops out (its ladder stopped or
    moved), so a message whose items all dropped is not sent.
    """
    N, D, O, P = m.Notification, m.Deadline, m.Obligation, m.Plan
    reporter, recipient = aliased(m.Unit), aliased(m.Unit)
    q = (
        select(N.message_id, N.step, N.escalation, N.due_on, D.due_on, D.status, O.title,
               P.code, D.period_label, reporter.name, recipient.name)
        .join(D, D.id == N.deadline_id).join(O, O.id == D.obligation_id)
        .join(P, P.id == O.plan_id).join(reporter, reporter.id == D.unit_id)
        .join(recipient, recipient.id == O.recipient_id)
        .where(N.message_id.in_(message_ids))
        .order_by(N.message_id, D.due_on, O.title)
    )
    out: dict[int, list[Item]] = defaultdict(list)
    for (mid, step, esc, planned_due, due, status, title, plan, period, rep, rcp) in \
            session.execute(q).all():
        if status not in ("open", "extended") or due != planned_due:
            continue
        kind = item_kind(step, esc)
        if mid is None:
            continue
        out[mid].append(Item(
            kind=kind, title=title, plan_code=plan, period_label=period, reporter_name=rep,
            recipient_name=rcp, due_on=due, escalation=esc, kind_title=KIND_TITLES[kind],
            kind_label=KIND_LABELS[kind], due_text=format_date_long(due),
            left_text=days_left_text(due, today, cal),
        ))
    return out

