"""Pick lists for the operator forms: the deadlines an action can apply to (read side).

An operator who does not know a deadline's number names the unit (and, to narrow it,
the plan); the form then offers that unit's matching deadlines as choices. Which
deadlines match depends on the action: open ones to record a report, extend or waive;
submitted ones to withdraw a report; extended or waived ones to undo that change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from danvan_workflow.commands.reports import ChangeDeadline, RecordSubmission, WithdrawSubmission
from danvan_workflow.commands.zalo import ConfirmClaim, RejectClaim
from danvan_workflow.core.deadline_status import OPEN_STATES, SUBMITTED_STATES, DeadlineState
from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.db import models as m
from danvan_workflow.errors import UserError
from danvan_workflow.services.queries import STATUS_LABELS, resolve_plan, resolve_unit
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.timeutil import today

MAX_CHOICES = 40
AHEAD_DAYS = 60  # deadlines due further ahead are not offered for a submission


@dataclass(frozen=True)
class Choice:
    """A question with a list: the command's `field` takes the value of the label picked."""

    field: str
    title: str
    options: dict[str, Any]  # label shown -> value


def _d(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "thường xuyên"


def deadline_options(unit: str, plan: str | None, states: tuple[str, ...], empty: str,
                     *, ahead_days: int | None = None) -> dict[str, int]:
    """Labels of the unit's deadlines in `states` (newest due date first) -> their number."""
    D, O, P, S = m.Deadline, m.Obligation, m.Plan, m.Submission
    recipient = aliased(m.Unit)
    with unit_of_work() as s:
        u = resolve_unit(s, unit)
        q = (select(D.id, O.title, D.period_label, D.due_on, D.status, S.received_on,
                    recipient.name, P.code)
             .join(O, O.id == D.obligation_id).join(P, P.id == O.plan_id)
             .join(recipient, recipient.id == O.recipient_id)
             .outerjoin(S, S.deadline_id == D.id)
             .where(D.unit_id == u.id, D.status.in_(states), D.due_on.is_not(None),
                    P.archived_at.is_(None))
             .order_by(D.due_on.desc(), D.id.desc()).limit(MAX_CHOICES))
        if plan:
            q = q.where(P.id == resolve_plan(s, plan).id)
        if ahead_days is not None:
            q = q.where(D.due_on <= today() + dt.timedelta(days=ahead_days))
        rows = s.execute(q).tuples().all()
        name = u.name
    if not rows:
        raise UserError(nfc(f"{name} ({unit}) {empty}"
                            + (f" trong kế hoạch {plan}" if plan else "")), field="unit")
    out = {}
    for did, title, period, due, status, received, to, plan_code in rows:
        got = f", nhận {_d(received)}" if received else ""
        out[nfc(f"Số {did} — hạn {_d(due)} — {period} ({STATUS_LABELS.get(status, status)}"
                f"{got}): {title} — gửi {to}, kế hoạch {plan_code}")] = did
    return out


def _needs_unit(unit: str | None) -> str:
    if not unit:
        raise UserError("điền mã đơn vị để chọn hạn báo cáo (hoặc nhập số hạn)", field="unit")
    return unit


def submission_choice(cmd: RecordSubmission) -> Choice | None:
    """The unit's open deadlines, when the form names neither a number nor a period."""
    if cmd.deadline_id is not None or (cmd.plan and cmd.obligation and cmd.period):
        return None
    options = deadline_options(_needs_unit(cmd.unit), cmd.plan, tuple(OPEN_STATES),
                               "không có hạn báo cáo nào đang chờ nộp", ahead_days=AHEAD_DAYS)
    return Choice("deadline_id", "Chọn hạn báo cáo đã nộp", options)


def withdrawal_choice(cmd: WithdrawSubmission) -> Choice | None:
    if cmd.deadline_id is not None:
        return None
    options = deadline_options(_needs_unit(cmd.unit), None, tuple(SUBMITTED_STATES),
                               "chưa có báo cáo nào được ghi nhận")
    return Choice("deadline_id", "Chọn báo cáo cần rút lại", options)


def change_choice(cmd: ChangeDeadline) -> Choice | None:
    if cmd.deadline_id is not None:
        return None
    states: tuple[str, ...] = (
        (DeadlineState.EXTENDED, DeadlineState.WAIVED) if cmd.action == "huy" else OPEN_STATES)
    empty = ("không có hạn nào đã gia hạn hoặc miễn nộp" if cmd.action == "huy"
             else "không có hạn báo cáo nào đang chờ nộp")
    options = deadline_options(_needs_unit(cmd.unit), None, tuple(states), empty)
    title = {"gia_han": "Chọn hạn cần gia hạn", "mien": "Chọn hạn được miễn nộp",
             "huy": "Chọn hạn cần hủy gia hạn / miễn nộp"}[cmd.action]
    return Choice("deadline_id", title, options)


def claim_choice(cmd: ConfirmClaim | RejectClaim) -> Choice | None:
    """The "đã nộp" replies still waiting for an operator, oldest first."""
    if cmd.claim_id is not None:
        return None
    SC, C = m.SubmissionClaim, m.Contact
    with unit_of_work() as s:
        rows = s.execute(select(SC.id, C.code, C.name, SC.text, SC.created_at, SC.deadline_id)
                         .join(C, C.id == SC.contact_id).where(SC.status == "pending")
                         .order_by(SC.id).limit(MAX_CHOICES)).tuples().all()
    if not rows:
        raise UserError("không có báo nộp nào đang chờ xử lý", field="claim_id")
    options = {}
    for cid, code, name, text, at, deadline in rows:
        short = " ".join(text.split())[:60]
        due = f" — hạn số {deadline}" if deadline else " — chưa gắn hạn"
        options[nfc(f"Số {cid} — {name} ({code}): “{short}” — {at:%d/%m/%Y %H:%M}{due}")] = cid
    return Choice("claim_id", "Chọn báo nộp", options)
