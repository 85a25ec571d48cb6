"""The read side's shared definitions: what every list, status and dashboard counts.

The on-time rate is defined once (core/ontime.py) and counted here once, in SQL, so
`danvan status`, the dashboards and the reporting-cycle notices agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from danvan_workflow.core.ontime import OnTimeCounts
from danvan_workflow.db import models as m

OPEN_STATES = ("open", "extended")


def on_time_columns(day: dt.date) -> list[Any]:
    """SUM columns (on time, late, overdue on `day`) over `deadlines` rows."""
    D = m.Deadline
    return [
        func.coalesce(func.sum(case((D.status == "submitted_on_time", 1), else_=0)), 0),
        func.coalesce(func.sum(case((D.status == "submitted_late", 1), else_=0)), 0),
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
