"""Use cases for reports: submit, waive, extend a deadline; request an ad-hoc report.

Every function takes the caller's `Session` (the caller owns the transaction),
validates its input (a `UserError` naming the field, in Vietnamese), calls the
pure core (`core.deadline_status`), writes, and records an audit entry. A refused
call writes nothing.

Decisions:

* Lateness is measured against the effective due date `Deadline.due_on` (the
  extended date after an extension); `original_due_on` keeps the computed one.
* A received date before the period began (`Deadline.period_start`) or after
  today is refused.
* `request_report` needs an obligation with `rule: {kind: on_request}` in the
  plan (``obligation_code``, or the plan's only on-request obligation). It never
  creates obligations: obligations belong to the configuration files, and a
  config load would delete an obligation that is not in them, with its
  deadlines. The request's own title goes to `period_label` and `note`; its
  deadlines get ``period_key = "request:<n>"`` (n counts the requests of the
  obligation) and ``period_start`` = the request date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.commands.reports import (
    ChangeDeadline,
    RecordSubmission,
    RequestReport,
    WithdrawSubmission,
)
from danvan_workflow.core import deadline_status as ds
from danvan_workflow.core.vietnamese import format_date, nfc
from danvan_workflow.db.models import (
    Deadline,
    Obligation,
    Plan,
    Submission,
    Unit,
    WithdrawnSubmission,
)
from danvan_workflow.errors import UserError
from danvan_workflow.services import audit
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.queries import resolve_plan, resolve_unit
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.timeutil import now
from danvan_workflow.timeutil import today as _today


def state_label(status: str) -> str:
    """'Đã nộp đúng hạn' for 'submitted_on_time': what users read instead of the code."""
    try:
        return ds.DeadlineState(status).label
    except ValueError:
        return status


@dataclass(frozen=True)
class SubmitResult:
    deadline_id: int
    submission_id: int
    unit_code: str
    obligation_code: str
    period_label: str
    due_on: dt.date
    received_on: dt.date
    on_time: bool
    late_working_days: int
    status: str

    @property
    def status_label(self) -> str:
        return state_label(self.status)

    @property
    def message(self) -> str:
        if self.on_time:
            return nfc(f"Đã ghi nhận báo cáo của {self.unit_code} ({self.period_label}): "
                       f"nộp đúng hạn ngày {format_date(self.received_on)}.")
        return nfc(f"Đã ghi nhận báo cáo của {self.unit_code} ({self.period_label}): nộp trễ "
                   f"{self.late_working_days} ngày làm việc so với hạn {format_date(self.due_on)}.")


@dataclass(frozen=True)
class DeadlineChange:
    """A waive or an extension."""

    deadline_id: int
    unit_code: str
    obligation_code: str
    period_label: str
    before_status: str
    status: str
    due_on: dt.date | None
    original_due_on: dt.date | None
    reason: str

    @property
    def status_text(self) -> str:
        """'Chưa nộp → Đã gia hạn'."""
        return f"{state_label(self.before_status)} → {state_label(self.status)}"


@dataclass(frozen=True)
class RequestResult:
    obligation_code: str
    period_key: str
    title: str
    due_on: dt.date
    deadline_ids: list[int] = field(default_factory=list)
    unit_codes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- lookups


def find_deadline(session: Session, plan_code: str, obligation_code: str, unit_code: str,
                  period_key: str) -> Deadline:
    """The deadline of (plan, obligation, unit, period); UserError naming the bad field."""
    plan = resolve_plan(session, plan_code, field="plan")
    obligation = _obligation(session, plan, obligation_code)
    unit = resolve_unit(session, unit_code, field="unit")
    d = session.execute(select(Deadline).where(
        Deadline.obligation_id == obligation.id, Deadline.unit_id == unit.id,
        Deadline.period_key == period_key)).scalar_one_or_none()
    if d is None:
        keys = session.execute(select(Deadline.period_key).where(
            Deadline.obligation_id == obligation.id, Deadline.unit_id == unit.id)
            .order_by(Deadline.due_on)).scalars().all()
        hint = f" (có: {', '.join(keys[:12])})" if keys else ""
        raise UserError(nfc(f"đơn vị '{unit_code}' không có hạn kỳ '{period_key}' của nghĩa vụ "
                            f"'{obligation_code}'{hint}"), field="period")
    return d


def get_deadline(session: Session, deadline_id: int) -> Deadline:
    d = session.get(Deadline, deadline_id)
    if d is None:
        raise UserError(f"không có hạn báo cáo số {deadline_id}", field="deadline_id")
    return d


def _obligation(session: Session, plan: Plan, code: str) -> Obligation:
    ob = session.execute(select(Obligation).where(
        Obligation.plan_id == plan.id, Obligation.code == code)).scalar_one_or_none()
    if ob is None:
        known = ", ".join(session.execute(select(Obligation.code).where(
            Obligation.plan_id == plan.id).order_by(Obligation.code)).scalars())
        raise UserError(nfc(f"kế hoạch '{plan.code}' không có nghĩa vụ báo cáo mã '{code}' "
                            f"(có: {known})"), field="obligation")
    return ob


def _core(d: Deadline) -> ds.Deadline:
    if d.due_on is None:
        raise UserError(nfc(f"hạn báo cáo số {d.id} ({d.period_label}) là nhiệm vụ thường xuyên, "
                            "không có hạn nộp cụ thể"), field="deadline_id")
    try:
        state = ds.DeadlineState(d.status)
    except ValueError:
        raise UserError(nfc(f"hạn báo cáo số {d.id} đang ở trạng thái '{d.status}', "
                            "không thể thay đổi"), field="deadline_id") from None
    original = d.original_due_on or d.due_on
    extended = d.due_on if state is ds.DeadlineState.EXTENDED or d.due_on != original else None
    return ds.Deadline(due=original, state=state, extended_to=extended)


def _codes(session: Session, d: Deadline) -> tuple[str, str]:
    unit = session.get(Unit, d.unit_id)
    ob = session.get(Obligation, d.obligation_id)
    assert unit is not None and ob is not None
    return unit.code, ob.code


def _snapshot(d: Deadline) -> dict[str, str | None]:
    return {"status": d.status, "due_on": d.due_on.isoformat() if d.due_on else None,
            "original_due_on": d.original_due_on.isoformat() if d.original_due_on else None}


def _text(value: str | None, field: str, what: str, *, required: bool = True) -> str | None:
    if value is None or not value.strip():
        if required:
            raise UserError(f"cần nhập {what}", field=field)
        return None
    return nfc(value.strip())


# --------------------------------------------------------------------------- use cases


def submit(
    session: Session, *, deadline_id: int | None = None, plan_code: str | None = None,
    obligation_code: str | None = None, unit_code: str | None = None,
    period_key: str | None = None, received_on: dt.date, document_number: str | None,
    recorded_by: str, attachment: str | None = None, today: dt.date | None = None,
) -> SubmitResult:
    """Record a received report: the deadline becomes submitted_on_time or submitted_late."""
    if deadline_id is not None:
        d = get_deadline(session, deadline_id)
    else:
        for value, name in ((plan_code, "plan"), (obligation_code, "obligation"),
                            (unit_code, "unit"), (period_key, "period")):
            if not value:
                raise UserError("cần số hạn báo cáo, hoặc đủ kế hoạch, nghĩa vụ, đơn vị và kỳ",
                                field=name)
        assert plan_code and obligation_code and unit_code and period_key
        d = find_deadline(session, plan_code, obligation_code, unit_code, period_key)
    if not isinstance(received_on, dt.date) or isinstance(received_on, dt.datetime):
        raise UserError("ngày nhận báo cáo không hợp lệ", field="received_on")
    day = today or _today()
    if received_on > day:
        raise UserError(nfc(f"ngày nhận {format_date(received_on)} ở tương lai "
                            f"(hôm nay {format_date(day)})"), field="received_on")
    if d.period_start is not None and received_on < d.period_start:
        raise UserError(nfc(f"ngày nhận {format_date(received_on)} trước khi kỳ báo cáo bắt đầu "
                            f"({format_date(d.period_start)})"), field="received_on")
    existing = session.execute(select(Submission.id).where(
        Submission.deadline_id == d.id)).scalar_one_or_none()
    if existing is not None or d.status in ds.SUBMITTED_STATES:
        raise UserError(nfc(f"hạn báo cáo số {d.id} ({d.period_label}) đã được ghi nhận nộp; "
                            "không ghi nhận hai lần"), field="deadline_id")
    doc = _text(document_number, "document_number", "số văn bản", required=False)
    by = _text(recorded_by, "recorded_by", "người ghi nhận")
    assert by is not None
    cal = calendar_for(session)
    core = ds.submit(_core(d), received_on, cal)
    before = _snapshot(d)
    d.status = core.state.value
    d.updated_at = now()
    sub = Submission(deadline_id=d.id, received_on=received_on, document_number=doc,
                     attachment=_text(attachment, "attachment", "tệp", required=False),
                     recorded_by=by, recorded_at=now(),
                     on_time=core.state is ds.DeadlineState.SUBMITTED_ON_TIME,
                     late_working_days=core.late_working_days)
    session.add(sub)
    session.flush()
    unit_code_, ob_code = _codes(session, d)
    assert d.due_on is not None
    audit.record(session, actor=by, action="deadline.submitted", entity="deadline",
                 entity_id=d.id, before=before,
                 after={**_snapshot(d), "received_on": received_on.isoformat(),
                        "document_number": doc, "late_working_days": core.late_working_days},
                 note=doc)
    return SubmitResult(d.id, sub.id, unit_code_, ob_code, d.period_label, d.due_on,
                        received_on, sub.on_time, sub.late_working_days, d.status)


def waive(session: Session, deadline_id: int, reason: str, actor: str) -> DeadlineChange:
    """Exempt the unit from this deadline (reason required)."""
    d = get_deadline(session, deadline_id)
    if reason is None or not reason.strip():
        raise UserError("cần ghi rõ lý do miễn nộp", field="reason")
    core = ds.waive(_core(d), reason)
    before = _snapshot(d)
    return _apply_change(session, d, core, before, "deadline.waived", actor)


def extend(session: Session, deadline_id: int, new_due: dt.date, reason: str,
           actor: str) -> DeadlineChange:
    """Move the due date later; `original_due_on` keeps the computed date."""
    d = get_deadline(session, deadline_id)
    if reason is None or not reason.strip():
        raise UserError("cần ghi rõ lý do gia hạn", field="reason")
    current = _core(d)
    if new_due <= current.effective_due:
        raise UserError(nfc(f"hạn mới {format_date(new_due)} phải sau hạn hiện tại "
                            f"{format_date(current.effective_due)}"), field="new_due")
    core = ds.extend(current, new_due, reason)
    before = _snapshot(d)
    if d.original_due_on is None:
        d.original_due_on = d.due_on
    d.due_on = core.extended_to
    return _apply_change(session, d, core, before, "deadline.extended", actor)


def revoke_change(session: Session, deadline_id: int, reason: str,
                  actor: str) -> DeadlineChange:
    """Undo the last waiver or extension recorded by mistake (core `revoke`); the audit
    trail keeps both the change and its undoing, and the reminders follow the state."""
    d = get_deadline(session, deadline_id)
    core = ds.revoke(_core(d), reason)
    before = _snapshot(d)
    if core.extended_to is None and d.original_due_on is not None:
        d.due_on, d.original_due_on = d.original_due_on, None  # back to the computed date
    return _apply_change(session, d, core, before, "deadline.change_revoked", actor)


def _apply_change(session: Session, d: Deadline, core: ds.Deadline,
                  before: dict[str, str | None],
                  action: str, actor: str) -> DeadlineChange:
    """Write the core's new state for a waive or an extension, and audit it."""
    d.status = core.state.value
    d.note = core.reason
    d.updated_at = now()
    session.flush()
    audit.record(session, actor=actor, action=action, entity="deadline", entity_id=d.id,
                 before=before, after=_snapshot(d), note=core.reason)
    unit_code, ob_code = _codes(session, d)
    return DeadlineChange(d.id, unit_code, ob_code, d.period_label, before["status"] or "",
                          d.status, d.due_on, d.original_due_on, core.reason or "")


_REQ = re.compile(r"^request:(\d+)$")


def request_report(
    session: Session, *, plan_code: str, obligation_code: str | None = None,
    unit_codes: list[str], due_on: dt.date, title: str, actor: str,
    requested_on: dt.date | None = None,
) -> RequestResult:
    """Ask units for a report ("khi có yêu cầu"): one open deadline per unit."""
    plan = resolve_plan(session, plan_code, field="plan")
    if obligation_code:
        ob = _obligation(session, plan, obligation_code)
        if ob.rule_kind != "on_request":
            raise UserError(nfc(f"nghĩa vụ '{ob.code}' không phải loại báo cáo khi có yêu cầu "
                                "(rule: {kind: on_request})"), field="obligation")
    else:
        obs = session.execute(select(Obligation).where(
            Obligation.plan_id == plan.id, Obligation.rule_kind == "on_request")
            .order_by(Obligation.code)).scalars().all()
        if len(obs) != 1:
            what = ("không có nghĩa vụ nào loại 'on_request'; hãy thêm vào tệp kế hoạch một "
                    "nghĩa vụ với rule: {kind: on_request}") if not obs else (
                "có nhiều nghĩa vụ loại 'on_request' ("
                + ", ".join(o.code for o in obs) + "); hãy chọn một")
            raise UserError(nfc(f"kế hoạch '{plan.code}' {what}"), field="obligation")
        ob = obs[0]
    text = _text(title, "title", "nội dung yêu cầu báo cáo")
    assert text is not None
    if not unit_codes:
        raise UserError("cần ít nhất một đơn vị báo cáo", field="unit")
    units: list[Unit] = []
    for code in dict.fromkeys(unit_codes):
        units.append(resolve_unit(session, code, field="unit"))
    start = requested_on or _today()
    if due_on < start:
        raise UserError(nfc(f"hạn {format_date(due_on)} trước ngày yêu cầu {format_date(start)}"),
                        field="due_on")
    keys = session.execute(select(Deadline.period_key).where(
        Deadline.obligation_id == ob.id, Deadline.period_key.like("request:%"))).scalars()
    n = 1 + max((int(m.group(1)) for k in keys if (m := _REQ.match(k))), default=0)
    key = f"request:{n}"
    stamp = now()
    rows = [Deadline(obligation_id=ob.id, unit_id=u.id, period_key=key,
                     period_label=nfc(f"Theo yêu cầu: {text}")[:200], period_start=start,
                     period_end=due_on, due_on=due_on, original_due_on=due_on,
                     status=ds.DeadlineState.OPEN, note=text, created_at=stamp,
                     updated_at=stamp) for u in units]
    session.add_all(rows)
    session.flush()
    audit.record(session, actor=actor, action="deadline.requested", entity="obligation",
                 entity_id=ob.id, after={"period_key": key, "due_on": due_on.isoformat(),
                                         "units": [u.code for u in units], "title": text},
                 note=text)
    return RequestResult(ob.code, key, text, due_on, [r.id for r in rows],
                         [u.code for u in units])


# --------------------------------------------------------------------------- commands


def record_submission(cmd: RecordSubmission) -> SubmitResult:
    """The command "record a received report", in its own transaction."""
    with unit_of_work() as s:
        return submit(s, deadline_id=cmd.deadline_id, plan_code=cmd.plan,
                      obligation_code=cmd.obligation, unit_code=cmd.unit,
                      period_key=cmd.period, received_on=cmd.received_on,
                      document_number=cmd.document_number, recorded_by=cmd.operator,
                      attachment=cmd.attachment)


def _chosen(deadline_id: int | None) -> int:
    if deadline_id is None:
        raise UserError("cần chọn hạn báo cáo (hoặc nhập số hạn)", field="deadline_id")
    return deadline_id


def change_deadline(cmd: ChangeDeadline) -> DeadlineChange:
    """The command "extend, waive, or undo an extension or waiver", in its own transaction."""
    deadline_id = _chosen(cmd.deadline_id)
    if cmd.action == "gia_han" and cmd.new_due is None:
        raise UserError("cần nhập hạn mới khi gia hạn", field="new_due")
    with unit_of_work() as s:
        if cmd.action == "gia_han":
            assert cmd.new_due is not None
            return extend(s, deadline_id, cmd.new_due, cmd.reason, cmd.operator)
        if cmd.action == "huy":
            return revoke_change(s, deadline_id, cmd.reason, cmd.operator)
        return waive(s, deadline_id, cmd.reason, cmd.operator)


def request_ad_hoc_report(cmd: RequestReport) -> RequestResult:
    """The command "ask units for a report", in its own transaction."""
    with unit_of_work() as s:
        return request_report(s, plan_code=cmd.plan, obligation_code=cmd.obligation,
                              unit_codes=list(cmd.units), due_on=cmd.due_on, title=cmd.title,
                              actor=cmd.operator)


@dataclass(frozen=True)
class WithdrawResult:
    deadline_id: int
    unit_code: str
    period_label: str
    received_on: dt.date
    status: str
    status_label: str
    reason: str


def withdraw(session: Session, deadline_id: int, reason: str, actor: str) -> WithdrawResult:
    """Withdraw the submission recorded for `deadline_id`: the row moves to
    `withdrawn_submissions` (kept, with who, when and why), the deadline awaits its report
    again (its reminders resume at the next sweep), and the audit trail says so."""
    d = get_deadline(session, deadline_id)
    core = ds.withdraw(_core(d), reason)
    sub = session.execute(select(Submission).where(Submission.deadline_id == d.id)
                          ).scalar_one_or_none()
    if sub is None:
        raise UserError(nfc(f"hạn báo cáo số {d.id} không có báo cáo đã ghi nhận"),
                        field="deadline_id")
    by = _text(actor, "operator", "người thực hiện")
    assert by is not None and core.reason is not None
    before = {**_snapshot(d), "received_on": sub.received_on.isoformat(),
              "document_number": sub.document_number, "recorded_by": sub.recorded_by}
    session.add(WithdrawnSubmission(
        submission_id=sub.id, deadline_id=d.id, received_on=sub.received_on,
        document_number=sub.document_number, attachment=sub.attachment,
        recorded_by=sub.recorded_by, recorded_at=sub.recorded_at, on_time=sub.on_time,
        late_working_days=sub.late_working_days, withdrawn_by=by, withdrawn_at=now(),
        reason=core.reason))
    received = sub.received_on
    session.delete(sub)
    d.status = core.state.value
    d.updated_at = now()
    session.flush()
    audit.record(session, actor=by, action="deadline.submission_withdrawn", entity="deadline",
                 entity_id=d.id, before=before, after=_snapshot(d), note=core.reason)
    unit_code, _ = _codes(session, d)
    return WithdrawResult(d.id, unit_code, d.period_label, received, d.status,
                          state_label(d.status), core.reason)


def withdraw_submission(cmd: WithdrawSubmission) -> WithdrawResult:
    """The command "withdraw a submission recorded by mistake", in its own transaction."""
    deadline_id = _chosen(cmd.deadline_id)
    with unit_of_work() as s:
        return withdraw(s, deadline_id, cmd.reason, cmd.operator)
