"""Use cases for "Dân vận khéo" models: register, move through the lifecycle, quotas.

The state machine is the pure core's (`core.lifecycle`); this module validates,
writes the model and a `ModelTransition` row, and audits every change.

Decisions:

* A model belongs to a plan when `plan_code` is given at registration; its year is
  the plan's year (else the start date's year).
* On `start` (approved -> implementing) the self-review deadlines are created as
  `Deadline` rows with `model_id` set, under the plan's obligation whose
  `rule_kind` is `every_n_months` (its `months`, default 3 and 6), with
  ``period_key = f"model:{id}:{n}m"``. A plan without such an obligation gets no
  deadlines (the result says so): a deadline needs an obligation, and
  obligations come only from the configuration files.
* The schema has no column for a rejection reason or the date an event happened:
  they are kept in `ModelTransition.note` (and the audit entry).
* Quotas count a unit's models of the year that are neither `rejected` nor
  `not_recognised`, registered under the plan (or without a plan).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from danvan_workflow.commands.models_dvk import ApplyModelEvent, RegisterModel
from danvan_workflow.core import lifecycle as core
from danvan_workflow.core import quotas as qcore
from danvan_workflow.core.deadline_status import OPEN_STATES, DeadlineState
from danvan_workflow.core.occurrences import occurrences
from danvan_workflow.core.periods import add_months
from danvan_workflow.core.rules import EveryNMonthsRule, parse_rule
from danvan_workflow.core.vietnamese import format_date, nfc
from danvan_workflow.db.models import (
    Deadline,
    DvkModel,
    ModelTransition,
    Obligation,
    Plan,
    Quota,
    Unit,
)
from danvan_workflow.errors import UserError
from danvan_workflow.services import audit
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.queries import require_plan_year, resolve_plan, resolve_unit
from danvan_workflow.services.targets import check_year, unit_infos
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import now

NOT_COUNTED = (core.State.REJECTED.value, core.State.NOT_RECOGNISED.value)


@dataclass(frozen=True)
class ModelView:
    id: int
    name: str
    unit_code: str
    unit_name: str
    plan_code: str | None
    field: str
    batch: str
    year: int
    start_on: dt.date
    end_on: dt.date
    state: str
    assignment_notice: str | None
    recognition_level: str | None

    @property
    def state_label(self) -> str:
        return core.State(self.state).label


@dataclass(frozen=True)
class SelfReviewDeadline:
    deadline_id: int
    period_key: str
    due_on: dt.date


@dataclass(frozen=True)
class TransitionOutcome:
    model_id: int
    event: str
    from_state: str | None
    to_state: str
    changes: dict[str, str] = field(default_factory=dict)
    deadlines: list[SelfReviewDeadline] = field(default_factory=list)
    note: str | None = None  # e.g. why no self-review deadline was created

    @property
    def message(self) -> str:
        frm = core.State(self.from_state).label if self.from_state else "—"
        return nfc(f"Mô hình số {self.model_id}: {frm} → {core.State(self.to_state).label}.")


@dataclass(frozen=True)
class QuotaReport:
    plan_code: str
    year: int
    lines: list[qcore.QuotaLine]

    @property
    def short(self) -> list[qcore.QuotaLine]:
        return qcore.short_units(self.lines)


def _view(m: DvkModel, unit: Unit, plan_code: str | None) -> ModelView:
    return ModelView(m.id, m.name, unit.code, unit.name, plan_code, m.field, m.batch, m.year,
                     m.start_on, m.end_on, m.state, m.assignment_notice, m.recognition_level)


def _model_dict(m: DvkModel) -> dict[str, Any]:
    return {"name": m.name, "unit_id": m.unit_id, "state": m.state, "field": m.field,
            "batch": m.batch, "year": m.year, "start_on": m.start_on.isoformat(),
            "end_on": m.end_on.isoformat(), "assignment_notice": m.assignment_notice,
            "recognition_level": m.recognition_level}


def get_model(session: Session, model_id: int) -> DvkModel:
    m = session.get(DvkModel, model_id) if isinstance(model_id, int) else None
    if m is None:
        raise UserError(f"không có mô hình số {model_id}", field="model_id")
    return m


def register_model(session: Session, data: Mapping[str, object], actor: str,
                   plan_code: str | None = None) -> TransitionOutcome:
    """Register a model (Bước 1): validated by the core; the unit must exist."""
    problems = core.validate_registration(data)
    if problems:
        exc = core.InvalidRegistration(problems)
        exc.field = problems[0].field
        raise exc
    reg = core.parse_registration(data)
    unit = resolve_unit(session, reg.unit_code, field="unit_code")
    plan = resolve_plan(session, plan_code, field="plan") if plan_code else None
    if plan is not None:  # a model's self-reviews fall in its year: the plan must cover it
        require_plan_year(plan, reg.start.year, field="start")
    m = DvkModel(plan_id=plan.id if plan else None, unit_id=unit.id, name=reg.name,
                 address=reg.address, field=reg.field.value, start_on=reg.start, end_on=reg.end,
                 content=reg.content, owner=reg.owner, batch=reg.batch.value,
                 year=reg.start.year, state=core.State.REGISTERED.value,
                 created_at=now())
    session.add(m)
    session.flush()
    session.add(ModelTransition(model_id=m.id, at=now(), actor=actor, event="register",
                                from_state=None, to_state=m.state))
    audit.record(session, actor=actor, action="model.registered", entity="dvk_model",
                 entity_id=m.id, after=_model_dict(m))
    return TransitionOutcome(m.id, "register", None, m.state)


def _payload(payload: core.TransitionInput | Mapping[str, Any] | None) -> core.TransitionInput:
    if payload is None:
        return core.TransitionInput()
    if isinstance(payload, core.TransitionInput):
        return payload
    allowed = {"assignment_notice", "reason", "level", "on", "note"}
    unknown = sorted(set(payload) - allowed)
    if unknown:
        raise UserError(f"trường không được hỗ trợ: {', '.join(unknown)}", field=unknown[0])
    on = payload.get("on")
    if on is not None and (not isinstance(on, dt.date) or isinstance(on, dt.datetime)):
        raise UserError(f"ngày '{on}' không hợp lệ", field="on")
    return core.TransitionInput(**{k: v for k, v in payload.items() if v is not None})


def transition_model(session: Session, model_id: int, event: str,
                     payload: core.TransitionInput | Mapping[str, Any] | None,
                     actor: str) -> TransitionOutcome:
    """Apply a lifecycle event; on `start`, create the 3- and 6-month self-review deadlines."""
    m = get_model(session, model_id)
    try:
        ev = core.Event(event)
    except ValueError:
        allowed = ", ".join(f"{e.value} ({e.label})" for e in core.Event)
        raise UserError(f"thao tác '{event}' không hợp lệ; chọn: {allowed}",
                        field="event") from None
    data = _payload(payload)
    current = core.State(m.state)
    result = core.transition(current, ev, data)  # raises IllegalTransition / MissingField
    before = _model_dict(m)
    m.state = result.new_state.value
    if "assignment_notice" in result.changes:
        m.assignment_notice = str(result.changes["assignment_notice"])
    if "recognition_level" in result.changes:
        m.recognition_level = str(result.changes["recognition_level"])
    notes = []
    if "rejection_reason" in result.changes:
        notes.append(f"Lý do: {result.changes['rejection_reason']}")
    if data.on is not None:
        notes.append(f"Ngày: {format_date(data.on)}")
    if "note" in result.changes:
        notes.append(str(result.changes["note"]))
    note = nfc("; ".join(notes)) if notes else None
    session.add(ModelTransition(model_id=m.id, at=now(), actor=actor, event=ev.value,
                                from_state=current.value, to_state=m.state, note=note))
    session.flush()
    deadlines: list[SelfReviewDeadline] = []
    extra = None
    if ev is core.Event.START:
        deadlines, extra = _self_review_deadlines(session, m)
    audit.record(session, actor=actor, action=f"model.{ev.value}", entity="dvk_model",
                 entity_id=m.id, before=before,
                 after={**_model_dict(m), "deadlines": [d.deadline_id for d in deadlines]},
                 note=note)
    changes = {k: (format_date(v) if isinstance(v, dt.date) else str(v))
               for k, v in result.changes.items()}
    return TransitionOutcome(m.id, ev.value, current.value, m.state, changes, deadlines, extra)


def _self_review_deadlines(session: Session, m: DvkModel
                           ) -> tuple[list[SelfReviewDeadline], str | None]:
    ob = None
    if m.plan_id is not None:
        ob = session.execute(select(Obligation).where(
            Obligation.plan_id == m.plan_id, Obligation.rule_kind == "every_n_months")
            .order_by(Obligation.code)).scalars().first()
    if ob is None:
        return [], nfc("Kế hoạch của mô hình không có nghĩa vụ tự đánh giá định kỳ "
                       "(every_n_months): chưa tạo hạn tự đánh giá 3, 6 tháng.")
    rule = next((r for r in (parse_rule(x) for x in ob.rules) if isinstance(r, EveryNMonthsRule)),
                None)
    rule = rule or EveryNMonthsRule(months=(3, 6))
    rule = rule.model_copy(update={"start": None})  # anchored on the model's start date
    cal = calendar_for(session)
    end = min(cal.last_day, add_months(m.start_on, max(rule.months) + 1))
    found = occurrences(rule, cal, m.start_on, end, anchor=m.start_on,
                        by_shift=get_settings().engine.by_shift)
    out: list[SelfReviewDeadline] = []
    stamp = now()
    for months, occ in zip(rule.months, sorted(found, key=lambda o: o.period_end or m.start_on),
                           strict=False):
        key = f"model:{m.id}:{months}m"
        d = Deadline(obligation_id=ob.id, unit_id=m.unit_id, period_key=key,
                     period_label=nfc(f"Tự đánh giá {months} tháng mô hình “{m.name}”")[:200],
                     period_start=m.start_on, period_end=occ.period_end, due_on=occ.due,
                     original_due_on=occ.due, status=DeadlineState.OPEN, model_id=m.id,
                     created_at=stamp, updated_at=stamp)
        session.add(d)
        session.flush()
        assert occ.due is not None
        out.append(SelfReviewDeadline(d.id, key, occ.due))
    return out, None


def list_models(session: Session, unit: str | None = None, state: str | None = None,
                year: int | None = None) -> list[ModelView]:
    q = (select(DvkModel, Unit, Plan.code).join(Unit, Unit.id == DvkModel.unit_id)
         .outerjoin(Plan, Plan.id == DvkModel.plan_id).order_by(Unit.code, DvkModel.id))
    if unit:
        u = resolve_unit(session, unit, field="unit")
        q = q.where(DvkModel.unit_id == u.id)
    if state:
        if state not in {s.value for s in core.State}:
            raise UserError(f"trạng thái '{state}' không hợp lệ; chọn: "
                            + ", ".join(s.value for s in core.State), field="state")
        q = q.where(DvkModel.state == state)
    if year is not None:
        q = q.where(DvkModel.year == check_year(year))
    return [_view(m, u, p) for m, u, p in session.execute(q).tuples().all()]


def quota_report(session: Session, plan_code: str, year: int) -> QuotaReport:
    """Models registered per unit against the plan's quotas (lines only for units with one)."""
    plan = resolve_plan(session, plan_code, field="plan")
    require_plan_year(plan, check_year(year))
    rules = [qcore.QuotaRule(selector={k: v for k, v in q.selector.items() if v is not None},
                             min_models=q.min_models)
             for q in session.execute(select(Quota).where(Quota.plan_id == plan.id)).scalars()]
    counts = dict(session.execute(
        select(Unit.code, func.count(DvkModel.id)).join(Unit, Unit.id == DvkModel.unit_id)
        .where(DvkModel.year == year, DvkModel.state.not_in(NOT_COUNTED),
               or_(DvkModel.plan_id == plan.id, DvkModel.plan_id.is_(None)))
        .group_by(Unit.code)).tuples().all())
    lines = qcore.quota_report(unit_infos(session), rules, counts)
    return QuotaReport(plan.code, year, lines)


# --------------------------------------------------------------------------- commands and views


def register_new_model(cmd: RegisterModel) -> TransitionOutcome:
    """The command "register a model", in its own transaction."""
    reg = cmd.model_dump(mode="json", exclude={"plan", "operator"})
    with unit_of_work() as s:
        return register_model(s, reg, cmd.operator, plan_code=cmd.plan)


def apply_model_event(cmd: ApplyModelEvent) -> TransitionOutcome:
    """The command "apply a lifecycle event to a model" (or undo the last one), in its own
    transaction."""
    payload = cmd.model_dump(include={"assignment_notice", "reason", "level", "on", "note"},
                             exclude_none=True)
    with unit_of_work() as s:
        if cmd.event == core.UNDO:
            return undo_model_event(s, cmd.model_id, cmd.reason, cmd.operator)
        return transition_model(s, cmd.model_id, cmd.event, payload, cmd.operator)


def undo_model_event(session: Session, model_id: int, reason: str | None,
                     actor: str) -> TransitionOutcome:
    """Revert the model's last event recorded by mistake (reason required): the state it
    came from, the field it wrote cleared, the open self-review deadlines of an undone
    `start` cancelled. The history keeps the event and its undoing (`dvk_model_transitions`
    and the audit trail)."""
    m = get_model(session, model_id)
    if reason is None or not reason.strip():
        raise UserError("cần ghi rõ lý do hủy thao tác", field="reason")
    rows = session.execute(select(ModelTransition).where(ModelTransition.model_id == m.id)
                           .order_by(ModelTransition.id)).scalars().all()
    i = core.event_to_undo([(r.event, r.from_state) for r in rows])
    if i is None:
        raise UserError(nfc(f"mô hình số {m.id} chưa có thao tác nào sau khi đăng ký để hủy"),
                        field="event")
    target = rows[i]
    before = _model_dict(m)
    current = m.state
    assert target.from_state is not None
    m.state = target.from_state
    field_name = core.UNDONE_FIELDS.get(target.event)
    if field_name:
        setattr(m, field_name, None)
    cancelled: list[int] = []
    if target.event == core.Event.START.value:
        cancelled = list(session.execute(
            update(Deadline).where(Deadline.model_id == m.id,
                                   Deadline.status.in_(OPEN_STATES))
            .values(status=DeadlineState.CANCELLED, updated_at=now())
            .returning(Deadline.id)).scalars())
    note = nfc(f"Hủy “{core.Event(target.event).label}”: {reason.strip()}")
    session.add(ModelTransition(model_id=m.id, at=now(), actor=actor, event=core.UNDO,
                                from_state=current, to_state=m.state, note=note))
    session.flush()
    audit.record(session, actor=actor, action="model.undo", entity="dvk_model", entity_id=m.id,
                 before=before, after={**_model_dict(m), "cancelled_deadlines": cancelled},
                 note=note)
    return TransitionOutcome(m.id, core.UNDO, current, m.state, {"undone": target.event},
                             [], note)


def view_models(unit: str | None = None, state: str | None = None,
                year: int | None = None) -> list[ModelView]:
    """The models, filtered (read only)."""
    with unit_of_work() as s:
        return list_models(s, unit=unit, state=state, year=year)


def view_quota(plan_code: str, year: int) -> QuotaReport:
    """Registered models against quotas (read only)."""
    with unit_of_work() as s:
        return quota_report(s, plan_code, year)
