"""Read models: deadlines with their reporter, recipient and plan, for lists and exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from danvan_workflow.core.calendar import WorkingCalendar
from danvan_workflow.core.deadline_status import OPEN_STATES, DeadlineState
from danvan_workflow.core.validity import PlanValidity
from danvan_workflow.core.vietnamese import days_left_text, format_date, format_date_long, nfc
from danvan_workflow.db.models import Deadline, Obligation, Plan, Submission, Unit
from danvan_workflow.errors import UserError
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.unit_of_work import unit_of_work

# every deadline state's code -> its label; the labels live on DeadlineState (one place)
STATUS_LABELS: dict[str, str] = {s.value: s.label for s in DeadlineState}


@dataclass(frozen=True)
class DeadlineView:
    id: int
    plan_code: str
    obligation_code: str
    title: str
    reporter_code: str
    reporter_name: str
    recipient_code: str
    recipient_name: str
    period_key: str
    period_label: str
    due_on: dt.date | None
    window_end: dt.date | None
    status: str
    received_on: dt.date | None
    document_number: str | None
    period_start: dt.date | None = None

    @property
    def window_start(self) -> dt.date | None:
        """A window duty is done over [window_start, window_end] and due on its last day."""
        return self.period_start if self.window_end is not None else None

    @property
    def status_label(self) -> str:
        """The status in the operator's words ("Đang mở", ...)."""
        return STATUS_LABELS.get(self.status, self.status)

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("period_start")
        d["window_start"] = self.window_start
        for k in ("due_on", "window_start", "window_end", "received_on"):
            d[k] = d[k].isoformat() if d[k] else None
        d["status_label"] = self.status_label
        return d

    def span_text(self) -> str:
        """'01/10/2026–31/12/2026' for a window, '' otherwise."""
        if self.window_start is None or self.window_end is None:
            return ""
        return f"{format_date(self.window_start)}–{format_date(self.window_end)}"

    def due_text(self) -> str:
        if self.due_on is None:
            return "Thường xuyên"
        span = self.span_text()
        return format_date_long(self.due_on) + (f" (thực hiện trong {span})" if span else "")

    def left_text(self, today: dt.date, cal: WorkingCalendar) -> str:
        if self.due_on is None or self.status not in OPEN_STATES:
            return ""
        return days_left_text(self.due_on, today, cal)


def resolve_unit(session: Session, code: str, field: str = "unit") -> Unit:
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        raise UserError(f"không có đơn vị mã '{code}'", field=field)
    return unit


def resolve_plan(session: Session, code: str, field: str = "plan") -> Plan:
    plan = session.execute(select(Plan).where(Plan.code == code)).scalar_one_or_none()
    if plan is None:
        known = ", ".join(session.execute(select(Plan.code).order_by(Plan.code)).scalars())
        raise UserError(f"không có kế hoạch số '{code}' (có: {known})", field=field)
    return plan


def plan_validity(plan: Plan) -> PlanValidity:
    """When the plan is in force (core/validity.py)."""
    return PlanValidity.of(year=plan.year, issued_on=plan.issued_on, valid_from=plan.valid_from,
                           valid_until=plan.valid_until, recurs=plan.recurs)


def require_plan_year(plan: Plan, year: int, field: str = "year") -> int:
    """Refuse a year the plan does not cover: its quotas, targets and scores are not for it."""
    v = plan_validity(plan)
    if not v.covers_year(year):
        raise UserError(nfc(f"kế hoạch {plan.code} áp dụng {v.years_text()}; năm {year} không "
                            f"thuộc thời gian áp dụng của kế hoạch này"), field=field)
    return year


def _deadline_query(
    session: Session, *, start: dt.date | None = None, end: dt.date | None = None,
    unit: str | None = None, plan: str | None = None, status: str | None = None,
    include_continuous: bool = True, open_only: bool = False, current_only: bool = False,
) -> Any:
    reporter, recipient = aliased(Unit), aliased(Unit)
    q = (
        select(Deadline.id, Plan.code, Obligation.code, Obligation.title, reporter.code,
               reporter.name, recipient.code, recipient.name, Deadline.period_key,
               Deadline.period_label, Deadline.due_on, Deadline.window_end, Deadline.status,
               Submission.received_on, Submission.document_number, Deadline.period_start)
        .join(Obligation, Obligation.id == Deadline.obligation_id)
        .join(Plan, Plan.id == Obligation.plan_id)
        .join(reporter, reporter.id == Deadline.unit_id)
        .join(recipient, recipient.id == Obligation.recipient_id)
        .outerjoin(Submission, Submission.deadline_id == Deadline.id)
    )
    dated = []
    if start:
        dated.append(Deadline.due_on >= start)
    if end:
        dated.append(Deadline.due_on <= end)
    if dated:
        cond = and_(*dated)
        q = q.where(or_(cond, Deadline.due_on.is_(None)) if include_continuous else cond)
    if unit:
        resolve_unit(session, unit)
        q = q.where(reporter.code == unit)
    if plan:
        resolve_plan(session, plan)
        q = q.where(Plan.code == plan)
    if status:
        if status not in STATUS_LABELS:
            raise UserError(f"trạng thái '{status}' không hợp lệ; chọn: "
                            + ", ".join(STATUS_LABELS), field="status")
        q = q.where(Deadline.status == status)
    if open_only:  # still awaiting a report, in a plan in force
        q = q.where(Deadline.status.in_(OPEN_STATES), Plan.archived_at.is_(None))
    if current_only:  # the current views: no archived plan or reporting unit
        q = q.where(Plan.archived_at.is_(None), reporter.archived_at.is_(None))
    return q, reporter


def list_deadlines(
    session: Session, *, start: dt.date | None = None, end: dt.date | None = None,
    unit: str | None = None, plan: str | None = None, status: str | None = None,
    include_continuous: bool = True, limit: int | None = None, open_only: bool = False,
    current_only: bool = False, newest_first: bool = False,
) -> list[DeadlineView]:
    """Deadlines by due date (continuous duties last), filtered and limited in SQL."""
    q, reporter = _deadline_query(session, start=start, end=end, unit=unit, plan=plan,
                                  status=status, include_continuous=include_continuous,
                                  open_only=open_only, current_only=current_only)
    due = Deadline.due_on.desc() if newest_first else Deadline.due_on
    q = q.order_by(Deadline.due_on.is_(None), due, Plan.code, reporter.code, Deadline.id)
    if limit:
        cutoff = _due_cutoff(session, q, limit, newest_first,
                             status=status, open_only=open_only)
        if cutoff is not None:
            q = q.where(Deadline.due_on >= cutoff if newest_first else Deadline.due_on <= cutoff)
        q = q.limit(limit)
    return [DeadlineView(*row) for row in session.execute(q).all()]


def _due_cutoff(session: Session, q: Any, limit: int, newest_first: bool, *,
                status: str | None, open_only: bool) -> dt.date | None:
    """The due date of the `limit`-th dated row of `q` in its order, or None if fewer.

    Sorting every matching deadline to keep the first 500 costs seconds at national
    scale (720,000 overdue). Walking the (status, due_on) index once per status, each
    walk stopping after `limit` rows, finds the date the 500th row falls on; the full
    query is then cut at that date and sorts a few thousand rows. Rows on the cut-off
    date itself stay in, so ties are ordered exactly as without the cut."""
    states = [status] if status else [s.value for s in DeadlineState]
    if open_only:
        states = [s for s in states if s in OPEN_STATES]
    dates: list[dt.date] = []
    for st in states:
        order = Deadline.due_on.desc() if newest_first else Deadline.due_on
        walk = (q.with_only_columns(Deadline.due_on).order_by(None)
                .where(Deadline.status == st, Deadline.due_on.is_not(None))
                .order_by(order).limit(limit))
        dates += session.execute(walk).scalars().all()
    if len(dates) < limit:
        return None
    dates.sort(reverse=newest_first)
    return dates[limit - 1]


def count_deadlines(session: Session, **filters: Any) -> int:
    """How many deadlines `list_deadlines` would list without its limit (one COUNT)."""
    q, _ = _deadline_query(session, **filters)
    return int(session.execute(select(func.count()).select_from(q.subquery())).scalar_one())


@dataclass(frozen=True)
class DeadlineList:
    """Deadlines for a list or an export, with the calendar to explain their dates."""

    items: list[DeadlineView]
    calendar: WorkingCalendar


def view_unit_feed(unit: str) -> list[DeadlineView]:
    """A unit's calendar feed: its dated deadlines still awaiting a report (overdue and
    upcoming), in the plans in force; a submission, waiver or cancellation takes one out."""
    with unit_of_work() as s:
        return list_deadlines(s, unit=unit, include_continuous=False, open_only=True)


def view_deadlines(
    *, start: dt.date | None = None, end: dt.date | None = None, unit: str | None = None,
    plan: str | None = None, status: str | None = None, include_continuous: bool = True,
    limit: int | None = None,
) -> DeadlineList:
    """`list_deadlines` in its own (read-only) unit of work, with the working calendar."""
    with unit_of_work() as s:
        items = list_deadlines(s, start=start, end=end, unit=unit, plan=plan, status=status,
                               include_continuous=include_continuous, limit=limit)
        return DeadlineList(items, calendar_for(s))
