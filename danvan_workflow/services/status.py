"""One-screen summaries of a unit or a plan on a given day.

* overdue: open or extended deadlines due before `today`;
* upcoming: open or extended deadlines due within the next 14 days (today included);
* on-time rate: the one definition of core/ontime.py, counted by services/views.py;
* continuous tasks: the plan tasks whose rule is ``continuous`` ("Thường xuyên"),
  for a unit only those it implements;
* models by state, and the quota lines that fall short.

Overdue and upcoming leave out archived plans and units (gone from config/); the
counts by status keep them (history).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from danvan_workflow.core.deadline_status import OPEN_STATES, SUBMITTED_STATES
from danvan_workflow.core.quotas import QuotaLine
from danvan_workflow.db.models import Deadline, DvkModel, Obligation, Plan, PlanTask, PlanTaskUnit
from danvan_workflow.services.archive import archived_codes
from danvan_workflow.services.models_dvk import quota_report
from danvan_workflow.services.queries import (
    DeadlineView,
    list_deadlines,
    resolve_plan,
    resolve_unit,
)
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.services.views import on_time_counts

UPCOMING_DAYS = 14


@dataclass(frozen=True)
class StatusSummary:
    scope: str  # "unit" | "plan"
    code: str
    name: str
    today: dt.date
    overdue: list[DeadlineView] = field(default_factory=list)
    upcoming: list[DeadlineView] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # deadline status -> count
    on_time_rate: Decimal | None = None  # percent, 1 decimal (core/ontime.py)
    continuous_tasks: list[str] = field(default_factory=list)
    models: dict[str, int] = field(default_factory=dict)  # model state -> count
    quota_short: list[QuotaLine] = field(default_factory=list)
    received: list[DeadlineView] = field(default_factory=list)  # newest reports first

    @property
    def open_count(self) -> int:
        return sum(self.counts.get(s, 0) for s in OPEN_STATES)

    @property
    def submitted_count(self) -> int:
        return sum(self.counts.get(s, 0) for s in SUBMITTED_STATES)


RECEIVED_SHOWN = 20


def _split(session: Session, items: list[DeadlineView], today: dt.date
           ) -> tuple[list[DeadlineView], list[DeadlineView]]:
    plans, units = archived_codes(session)
    items = [d for d in items if d.plan_code not in plans and d.reporter_code not in units]
    horizon = today + dt.timedelta(days=UPCOMING_DAYS)
    dated = [d for d in items if d.status in OPEN_STATES and d.due_on is not None]
    overdue = [d for d in dated if d.due_on is not None and d.due_on < today]
    upcoming = [d for d in dated if d.due_on is not None and today <= d.due_on <= horizon]
    return overdue, upcoming


def _continuous(tasks: list[PlanTask]) -> list[str]:
    return [f"{t.number}. {t.title}" for t in tasks
            if any(isinstance(r, dict) and r.get("kind") == "continuous" for r in t.rules or [])]


def unit_status(session: Session, unit_code: str, today: dt.date) -> StatusSummary:
    unit = resolve_unit(session, unit_code, field="unit")
    items = list_deadlines(session, end=today + dt.timedelta(days=UPCOMING_DAYS), unit=unit.code,
                           include_continuous=False)
    overdue, upcoming = _split(session, items, today)
    counts = dict(session.execute(select(Deadline.status, func.count()).where(
        Deadline.unit_id == unit.id).group_by(Deadline.status)).tuples().all())
    tasks = session.execute(select(PlanTask).join(PlanTaskUnit, PlanTaskUnit.task_id == PlanTask.id)
                            .where(PlanTaskUnit.unit_id == unit.id,
                                   PlanTaskUnit.role == "implementing")
                            .order_by(PlanTask.plan_id, PlanTask.number)).scalars().all()
    models = dict(session.execute(select(DvkModel.state, func.count()).where(
        DvkModel.unit_id == unit.id, DvkModel.year == today.year).group_by(DvkModel.state)
    ).tuples().all())
    short: list[QuotaLine] = []
    plans = session.execute(select(Plan.code).where(Plan.year == today.year,
                                                    Plan.archived_at.is_(None))
                            .order_by(Plan.code)).scalars().all()
    for code in plans:
        short += [line for line in quota_report(session, code, today.year).short
                  if line.unit_code == unit.code]
    received = sorted((d for d in items if d.received_on is not None),
                      key=lambda d: (d.received_on, d.id), reverse=True)[:RECEIVED_SHOWN]
    return StatusSummary("unit", unit.code, unit.name, today, overdue, upcoming, counts,
                         on_time_counts(session, today, unit_id=unit.id).rate,
                         _continuous(list(tasks)), models, short, received)


def plan_status(session: Session, plan_code: str, today: dt.date) -> StatusSummary:
    plan = resolve_plan(session, plan_code, field="plan")
    items = list_deadlines(session, end=today + dt.timedelta(days=UPCOMING_DAYS), plan=plan.code,
                           include_continuous=False)
    overdue, upcoming = _split(session, items, today)
    counts = dict(session.execute(
        select(Deadline.status, func.count()).join(Obligation, Obligation.id ==
                                                   Deadline.obligation_id)
        .where(Obligation.plan_id == plan.id).group_by(Deadline.status)).tuples().all())
    tasks = session.execute(select(PlanTask).where(PlanTask.plan_id == plan.id)
                            .order_by(PlanTask.number)).scalars().all()
    models = dict(session.execute(select(DvkModel.state, func.count()).where(
        DvkModel.plan_id == plan.id).group_by(DvkModel.state)).tuples().all())
    short = quota_report(session, plan.code, plan.year).short
    return StatusSummary("plan", plan.code, plan.title, today, overdue, upcoming, counts,
                         on_time_counts(session, today, plan_id=plan.id).rate,
                         _continuous(list(tasks)), models, short)


# --------------------------------------------------------------------------- views


def view_unit_status(unit_code: str, today: dt.date) -> StatusSummary:
    """A unit's status on `today` (read only)."""
    with unit_of_work() as s:
        return unit_status(s, unit_code, today)


def view_plan_status(plan_code: str, today: dt.date) -> StatusSummary:
    """A plan's status on `today` (read only)."""
    with unit_of_work() as s:
        return plan_status(s, plan_code, today)
