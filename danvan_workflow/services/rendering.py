"""Render outbox messages from their items with the Jinja2 templates (Vietnamese, NFC).

A reminder message holds one item (a deadline) or several (the daily digest of one
contact). What each item says is decided when the message is rendered, from the
day it is sent: a message planned before the due date but sent after it says
"đã quá hạn", never "còn ... ngày" under an overdue heading.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from danvan_workflow.adapters.channels.base import OutgoingMessage
from danvan_workflow.core.calendar import WorkingCalendar
from danvan_workflow.core.deadline_status import OPEN_STATES
from danvan_workflow.core.reminders import reminder_kind
from danvan_workflow.core.vietnamese import (
    days_left_text,
    format_date,
    format_date_long,
    nfc,
    title_with_period,
)
from danvan_workflow.db import models as m

#: The kinds of reminder item, as the subject line names them.
KIND_TITLES = {
    "upcoming": "Nhắc hạn",
    "due_today": "Hạn hôm nay",
    "overdue": "Quá hạn",
    "escalation": "Chậm nộp",
}

#: How a message names the channel it went (or failed to go) through.
CHANNEL_LABELS = {
    "email": "thư điện tử",
    "zalo_oa": "Zalo (tài khoản chính thức)",
    "zalo_bot": "Zalo",
    "zalo_zns": "tin nhắn Zalo ZNS",
    "webhook": "kết nối tự động (webhook)",
}

#: What kind of message an outbox row is, in words (`danvan outbox list/show`).
MESSAGE_KINDS = {
    "reminder": "Nhắc hạn",
    "alert": "Cảnh báo cho người vận hành",
    "test": "Thông báo thử",
    "cycle_open": "Mở kỳ báo cáo",
    "cycle_close": "Tổng hợp kỳ báo cáo",
    "cycle_overdue": "Quá hạn kỳ báo cáo",
    "inspection": "Kiểm tra",
}

# Contacts named after their function ("Đầu mối Ban Dân vận Thị ủy Đức Phổ").
_FUNCTION_WORDS = ("Đầu mối", "Lãnh đạo", "Chuyên viên", "Cán bộ", "Văn thư", "Thường trực")


@lru_cache(maxsize=1)
def env() -> Environment:
    return Environment(
        loader=PackageLoader("danvan_workflow", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined, keep_trailing_newline=False, trim_blocks=True,
        lstrip_blocks=True,
    )


def contact_ref(name: str, unit_name: str | None) -> str:
    """How a message names a contact: 'Nguyễn Văn A (Ban Dân vận Thị ủy Đức Phổ)'.

    A contact named after its function keeps that name in lower case and without
    repeating its unit: 'đầu mối Ban Dân vận Thị ủy Đức Phổ'.
    """
    name = nfc(name or "").strip()
    if not name:
        return f"đầu mối {unit_name}" if unit_name else "đầu mối"
    if any(name.startswith(w + " ") for w in _FUNCTION_WORDS):
        name = name[0].lower() + name[1:]
    if unit_name and nfc(unit_name) not in name:
        return f"{name} ({nfc(unit_name)})"
    return name


def salutation(name: str, unit_name: str | None, role: str | None) -> str:
    """'Đồng chí lãnh đạo Ban Dân vận Thị ủy Đức Phổ' (a leader), 'Đồng chí Nguyễn Văn A (…)'."""
    if role == "leader" and unit_name:
        return f"Đồng chí lãnh đạo {nfc(unit_name)}"
    return f"Đồng chí {contact_ref(name, unit_name)}"


def plan_reference(code: str, title: str) -> str:
    """'Kế hoạch số 19-KH/BCĐ'; a plan without an official number is named by its title."""
    if "/" in code:
        return f"Kế hoạch số {code}"
    title = nfc(title).strip()
    return f"Kế hoạch {title[:1].lower()}{title[1:]}" if title else "Kế hoạch"


def channel_label(code: str) -> str:
    return CHANNEL_LABELS.get(code, code)


@dataclass(frozen=True)
class Item:
    """One deadline in a reminder message, worded for the day the message is sent.

    `audience` is who the message is for, relative to this deadline: ``reporter``
    (the reporting unit's focal point), ``leader`` (the reporting unit's leader, on
    escalation) or ``recipient`` (the receiving body's focal point, on escalation).
    """

    kind: str
    title: str  # the obligation's title as the plan writes it
    period_label: str
    name: str  # title and period as one name (core.vietnamese.title_with_period)
    plan_code: str
    basis: str  # "Kế hoạch số 19-KH/BCĐ"
    reporter_name: str
    recipient_name: str
    due_on: dt.date
    escalation: bool
    audience: str
    contact_role: str | None
    due_text: str  # "Thứ Tư, 16/06/2027"
    left_text: str  # "còn 5 ngày làm việc", "hạn hôm nay", "đã quá hạn 3 ngày làm việc"
    calendar_confirmed: bool = True  # the due date's year has an announced holiday calendar
    kind_title: str = field(default="")

    def __post_init__(self) -> None:
        if not self.kind_title:
            object.__setattr__(self, "kind_title", KIND_TITLES[self.kind])


def render(items: list[Item], *, contact_name: str, unit_name: str | None, today: dt.date,
           idempotency_key: str) -> OutgoingMessage:
    """Subject, plain text, HTML and chat text of one reminder message (NFC)."""
    first = items[0]
    unconfirmed = sorted({it.due_on.year for it in items if not it.calendar_confirmed})
    ctx: dict[str, Any] = dict(
        items=items, salutation=salutation(contact_name, unit_name, first.contact_role),
        today_text=format_date(today), unconfirmed_years=unconfirmed,
        late_count=sum(1 for it in items if it.kind in ("overdue", "escalation")),
        for_reporter=any(it.audience == "reporter" for it in items),
    )
    e = env()
    subject = nfc(e.get_template("reminder_subject.txt.j2").render(**ctx).strip())
    ctx["subject"] = subject
    text = nfc(e.get_template("reminder_body.txt.j2").render(**ctx).strip() + "\n")
    html = nfc(e.get_template("reminder_body.html.j2").render(**ctx))
    short = nfc(e.get_template("reminder_short.txt.j2").render(**ctx).strip())
    return OutgoingMessage(
        idempotency_key=idempotency_key, subject=subject, text=text, html=html, short_text=short,
        template_data={"title": first.name, "plan": first.plan_code,
                       "period": first.period_label, "due": first.due_text,
                       "status": first.left_text, "count": str(len(items))},
    )


def load_items(session: Session, message_ids: list[int], cal: WorkingCalendar,
               today: dt.date) -> dict[int, list[Item]]:
    """Live items of each message: those whose deadline is still open with the same due date.

    A deadline submitted, waived or moved since planning drops out (its ladder stopped or
    moved), so a message whose items all dropped is not sent.
    """
    N, D, O, P, C = m.Notification, m.Deadline, m.Obligation, m.Plan, m.Contact
    reporter, recipient = aliased(m.Unit), aliased(m.Unit)
    q = (
        select(N.message_id, N.escalation, N.due_on, D.id, D.due_on, D.status, O.title, P.code,
               P.title, D.period_label, D.unit_id, reporter.name, recipient.name, C.unit_id,
               C.role)
        .join(D, D.id == N.deadline_id).join(O, O.id == D.obligation_id)
        .join(P, P.id == O.plan_id).join(reporter, reporter.id == D.unit_id)
        .join(recipient, recipient.id == O.recipient_id)
        .join(C, C.id == N.contact_id)
        .where(N.message_id.in_(message_ids),  # archived plans/units/contacts: no work
               P.archived_at.is_(None), reporter.archived_at.is_(None),
               C.archived_at.is_(None))
        .order_by(N.message_id, D.due_on, O.title, reporter.name, N.escalation.desc())
    )
    out: dict[int, list[Item]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for (mid, esc, planned_due, did, due, status, title, plan, plan_title, period, rep_id, rep,
         rcp, contact_unit, role) in session.execute(q).all():
        if mid is None or status not in OPEN_STATES or due != planned_due:
            continue
        # the same deadline planned at two steps (a catch-up) is said once
        key = (mid, did)
        if key in seen:
            continue
        seen.add(key)
        audience = "reporter" if not esc else ("leader" if contact_unit == rep_id
                                               else "recipient")
        out[mid].append(Item(
            # as of `today` (the sending day); the notification knows if it escalates
            kind=reminder_kind((today - due).days, escalation=esc).value,
            title=title, period_label=period,
            name=title_with_period(title, period), plan_code=plan,
            basis=plan_reference(plan, plan_title), reporter_name=rep, recipient_name=rcp,
            due_on=due, escalation=esc, audience=audience, contact_role=role,
            due_text=format_date_long(due), left_text=days_left_text(due, today, cal),
            calendar_confirmed=cal.is_confirmed(due.year),
        ))
    return out


# --- dead letters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DeadLetterItem:
    name: str  # "Báo cáo kết quả thực hiện dân chủ ở cơ sở năm 2026"
    reporter_name: str
    due_text: str  # "Thứ Hai, 21/12/2026"


@dataclass(frozen=True)
class DeadLetter:
    """What the operators need to know about a message that could not be sent."""

    message_id: int
    contact_name: str
    unit_name: str | None
    channel_code: str
    subject: str  # the message's own subject (test and cycle messages)
    items: list[DeadLetterItem] = field(default_factory=list)  # reminders: their deadlines

    @property
    def recipient(self) -> str:
        return contact_ref(self.contact_name, self.unit_name) if (
            self.contact_name or self.unit_name) else "(không rõ người nhận)"


def dead_letters(session: Session, message_ids: list[int]) -> dict[int, DeadLetter]:
    """The contact, channel and deadlines of each message, in two queries."""
    if not message_ids:
        return {}
    MSG, C, U = m.OutboxMessage, m.Contact, m.Unit
    rows = session.execute(
        select(MSG.id, MSG.channel_code, MSG.subject, C.name, U.name)
        .outerjoin(C, C.id == MSG.contact_id).outerjoin(U, U.id == C.unit_id)
        .where(MSG.id.in_(message_ids))).all()
    N, D, O = m.Notification, m.Deadline, m.Obligation
    reporter = aliased(m.Unit)
    items: dict[int, list[DeadLetterItem]] = defaultdict(list)
    for mid, title, period, rep, due in session.execute(
            select(N.message_id, O.title, D.period_label, reporter.name, D.due_on)
            .join(D, D.id == N.deadline_id).join(O, O.id == D.obligation_id)
            .join(reporter, reporter.id == D.unit_id)
            .where(N.message_id.in_(message_ids))
            .order_by(N.message_id, D.due_on, O.title)).all():
        it = DeadLetterItem(title_with_period(title, period), rep,
                            format_date_long(due) if due else "không ghi hạn")
        if it not in items[mid]:
            items[mid].append(it)
    return {mid: DeadLetter(mid, name or "", unit, chan, subject or "", items.get(mid, []))
            for mid, chan, subject, name, unit in rows}


#: Dead letters listed one by one in an operators' alert (the rest are counted).
DIGEST_LIMIT = 50


def _failure(dead: DeadLetter, attempts: int, last_error: str | None) -> dict[str, Any]:
    return dict(message_id=dead.message_id, recipient=dead.recipient,
                channel=channel_label(dead.channel_code), attempts=attempts,
                last_error=(last_error or "").strip(), items=dead.items,
                message_subject=dead.subject)


def render_dead_digest(failures: list[tuple[DeadLetter, int, str | None]], *,
                       total: int | None = None) -> tuple[str, str]:
    """(subject, body) of the operators' alert for the dead letters of one dispatch run.

    `failures` are (dead letter, attempts, last error), at most DIGEST_LIMIT of them are
    listed; `total` counts them all (default: len(failures)). One failure reads exactly
    as `render_dead_alert`.
    """
    listed = [_failure(d, a, e) for d, a, e in failures[:DIGEST_LIMIT]]
    count = max(total or 0, len(failures))
    ctx: dict[str, Any] = dict(listed[0], failures=listed, total=count,
                               more=count - len(listed))
    e = env()
    subject = nfc(e.get_template("alert_dead_subject.txt.j2").render(**ctx).strip())
    body = nfc(e.get_template("alert_dead.txt.j2").render(**ctx).strip() + "\n")
    return subject[:300], body


def render_dead_alert(dead: DeadLetter, *, attempts: int, last_error: str | None
                      ) -> tuple[str, str]:
    """(subject, body) of the operators' alert for one dead letter (alert_dead*.txt.j2)."""
    return render_dead_digest([(dead, attempts, last_error)])
