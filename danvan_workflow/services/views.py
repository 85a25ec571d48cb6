"""The read side's shared definitions: what every list, status and dashboard counts.

The on-time rate is defined once (core/ontime.py) and counted here once, in SQL, so
`danvan status`, the dashboards and the reporting-cycle notices agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from danvan_workflow.core.deadline_status import OPEN_STATES, DeadlineState
from danvan_workflow.core.ontime import OnTimeCounts
from danvan_workflow.db import models as m
from danvan_workflow.services.unit_of_work import unit_of_work


def on_time_columns(day: dt.date) -> list[Any]:
    """SUM columns (on time, late, overdue on `day`) over `deadlines` rows."""
    D, S = m.Deadline, DeadlineState
    return [
        func.coalesce(func.sum(case((D.status == S.SUBMITTED_ON_TIME, 1), else_=0)), 0),
        func.coalesce(func.sum(case((D.status == S.SUBMITTED_LATE, 1), else_=0)), 0),
        func.coalesce(func.sum(case((D.status.in_(OPEN_STATES) & (D.due_on < day), 1),
                                    else_=0)), 0),
    ]


def on_time_counts(session: Session, day: dt.date, *, unit_id: int | None = None,
                   plan_id: int | None = None) -> OnTimeCounts:
    """The counts behind the on-time rate of a unit or a plan on `day`."""
    D, O = m.Deadline, m.Obligation
    q = select(*on_time_columns(day)).select_from(D)
    if plan_id is not None:
        q = q.join(O, O.id == D.obligation_id).where(O.plan_id == plan_id)
    if unit_id is not None:
        q = q.where(D.unit_id == unit_id)
    on_time, late, overdue = session.execute(q).one()
    return OnTimeCounts(int(on_time), int(late), int(overdue))


@dataclass(frozen=True)
class UnitCounts:
    code: str
    name: str
    on_time: int
    late: int
    overdue: int
    due: int  # deadlines due so far

    @property
    def rate(self) -> Decimal | None:
        return OnTimeCounts(self.on_time, self.late, self.overdue).rate


def plan_unit_counts(session: Session, plan_id: int, day: dt.date,
                     since: dt.date | None = None) -> list[UnitCounts]:
    """Each reporting unit of a plan: its on-time counts for the deadlines due by `day`
    (from `since`), one grouped query, by unit code."""
    D, O, U = m.Deadline, m.Obligation, m.Unit
    q = (select(U.code, U.name, *on_time_columns(day), func.count(D.id))
         .join(D, D.unit_id == U.id).join(O, O.id == D.obligation_id)
         .where(O.plan_id == plan_id, D.due_on <= day))
    if since is not None:
        q = q.where(D.due_on >= since)
    rows = session.execute(q.group_by(U.code, U.name).order_by(U.code)).tuples().all()
    return [UnitCounts(code, name, int(o), int(late), int(od), int(n))
            for code, name, o, late, od, n in rows]


# --- lists for the CLI -------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    kind: str
    level: str
    parent_code: str | None
    assumed: bool
    archived_at: dt.datetime | None


def view_units(show_all: bool = False) -> list[UnitRow]:
    """Units by code with their parent's code; archived ones only with `show_all`."""
    U, P = m.Unit, aliased(m.Unit)
    q = (select(U.code, U.name, U.kind, U.level, P.code, U.assumed, U.archived_at)
         .outerjoin(P, P.id == U.parent_id).order_by(U.code))
    if not show_all:
        q = q.where(U.archived_at.is_(None))
    with unit_of_work() as s:
        return [UnitRow(*row) for row in s.execute(q).tuples().all()]


@dataclass(frozen=True)
class PlanRow:
    code: str
    title: str
    issuer_name: str
    issued_on: dt.date | None
    year: int
    tasks: int
    obligations: int
    archived_at: dt.datetime | None


def view_plans(show_all: bool = False) -> list[PlanRow]:
    """Plans by year and code, with their issuer and how many tasks and obligations they have."""
    P, U = m.Plan, m.Unit
    tasks = (select(m.PlanTask.plan_id, func.count().label("n"))
             .group_by(m.PlanTask.plan_id).subquery())
    obs = (select(m.Obligation.plan_id, func.count().label("n"))
           .group_by(m.Obligation.plan_id).subquery())
    q = (select(P.code, P.title, U.name, P.issued_on, P.year,
                func.coalesce(tasks.c.n, 0), func.coalesce(obs.c.n, 0), P.archived_at)
         .join(U, U.id == P.issuer_id)
         .outerjoin(tasks, tasks.c.plan_id == P.id)
         .outerjoin(obs, obs.c.plan_id == P.id)
         .order_by(P.year, P.code))
    if not show_all:
        q = q.where(P.archived_at.is_(None))
    with unit_of_work() as s:
        return [PlanRow(code, title, issuer, issued, year, int(nt), int(no), at)
                for code, title, issuer, issued, year, nt, no, at in s.execute(q).tuples().all()]
