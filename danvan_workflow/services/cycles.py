"""Reporting cycles and fixed cut-offs: what opened or closed on a day, and their notices.

A *cycle* is one period (month, quarter, half year, nine months, year) of a periodic
obligation: its deadlines share `(obligation_id, period_key)`. There is no table
of cycles: the deadlines are the cycle, and the outbox idempotency keys make every
notice at most once.

* A cycle **opens** on its `period_start`. On a working day the engine handles the
  cycles that opened since the previous working day (so a period starting on a
  Sunday is announced on Monday).
* A cycle **closes** when its due date has passed: on a working day, the cycles due
  since the previous working day (exclusive of today).

Notices (kind ``cycle_open``, ``cycle_close``, ``cycle_overdue``) are written
set-based (``notices.py``): the subject and body are rendered once per *group* in
Python (a few rows), put in a temporary table with the group's units, and one
``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` joins them to the units' contacts
and channels. The reminder machinery (ladder, digest) is left to daily reminders;
cycle notices are separate messages with their own stored text.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from danvan_workflow.core.calendar import WorkingCalendar
from danvan_workflow.core.deadline_status import OPEN_STATES, SUBMITTED_STATES, DeadlineState
from danvan_workflow.core.ontime import on_time_rate
from danvan_workflow.core.vietnamese import format_date, format_percent, nfc, title_with_period
from danvan_workflow.db import models as m
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.inspections import round_status
from danvan_workflow.services.notices import NoticeGroup as NoticeGroup  # flows name it here
from danvan_workflow.services.notices import count_new_notices, queue_notices
from danvan_workflow.services.unit_of_work import unit_of_work

Period = Literal["month", "quarter", "half_year", "nine_months", "year"]
PERIODS: tuple[str, ...] = ("month", "quarter", "half_year", "nine_months", "year")
PERIOD_LABELS = {"month": "tháng", "quarter": "quý", "half_year": "6 tháng",
                 "nine_months": "9 tháng", "year": "năm"}

#: The fixed cut-offs of the plans (day, month): 25/7, 20/11, 15/12, 31/12.
CUTOFFS: tuple[tuple[int, int], ...] = ((25, 7), (20, 11), (15, 12), (31, 12))

@dataclass
class CycleLine:
    obligation_id: int
    plan_code: str
    obligation_code: str
    title: str
    period: str
    period_key: str
    period_label: str
    due_on: dt.date | None
    recipient_id: int
    recipient_code: str
    recipient_name: str
    units: list[tuple[int, str, str, str]] = field(default_factory=list)  # id, code, name, status

    @property
    def submitted(self) -> list[tuple[int, str, str, str]]:
        return [u for u in self.units if u[3] in SUBMITTED_STATES]

    @property
    def on_time(self) -> int:
        return sum(1 for u in self.units if u[3] == DeadlineState.SUBMITTED_ON_TIME)

    @property
    def missing(self) -> list[tuple[int, str, str, str]]:
        return [u for u in self.units if u[3] in OPEN_STATES]

    @property
    def on_time_rate(self) -> Decimal | None:
        """The one definition (core/ontime.py): the cycle closes after the due date, so
        every unit still open is overdue."""
        late = sum(1 for u in self.units if u[3] == DeadlineState.SUBMITTED_LATE)
        return on_time_rate(self.on_time, late, len(self.missing))


def since_previous_working_day(day: dt.date, cal: WorkingCalendar) -> tuple[dt.date, dt.date]:
    """(first, last) calendar days handled on `day`: after the previous working day to `day`."""
    prev = day - dt.timedelta(days=1)
    for _ in range(31):
        if cal.is_working_day(prev):
            break
        prev -= dt.timedelta(days=1)
    return prev + dt.timedelta(days=1), day


def _periodic_obligations(session: Session, periods: tuple[str, ...]) -> dict[int, str]:
    out: dict[int, str] = {}
    rows = session.execute(select(m.Obligation.id, m.Obligation.rules)
                           .where(m.Obligation.rule_kind == "periodic")).all()
    for ob_id, rules in rows:
        for r in rules or []:
            if isinstance(r, dict) and r.get("kind") == "periodic" and r.get("period") in periods:
                out[ob_id] = str(r["period"])
                break
    return out


def _cycles(session: Session, obligations: dict[int, str], cond: Any) -> list[CycleLine]:
    if not obligations:
        return []
    D, O, P, U = m.Deadline, m.Obligation, m.Plan, m.Unit
    R = m.Unit.__table__.alias("recipient")
    rows = session.execute(
        select(D.obligation_id, P.code, O.code, O.title, D.period_key, D.period_label, D.due_on,
               O.recipient_id, R.c.code, R.c.name, U.id, U.code, U.name, D.status)
        .join(O, O.id == D.obligation_id).join(P, P.id == O.plan_id)
        .join(U, U.id == D.unit_id).join(R, R.c.id == O.recipient_id)
        .where(D.obligation_id.in_(list(obligations)), D.model_id.is_(None), cond,
               P.archived_at.is_(None), U.archived_at.is_(None))  # archived: no notices
        .order_by(D.due_on, P.code, O.code, D.period_key, U.code)).all()
    lines: dict[tuple[int, str], CycleLine] = {}
    for (ob_id, plan, ob_code, title, pkey, plabel, due, rid, rcode, rname, uid, ucode, uname,
         status) in rows:
        line = lines.get((ob_id, pkey))
        if line is None:
            line = lines[(ob_id, pkey)] = CycleLine(
                ob_id, plan, ob_code, title, obligations[ob_id], pkey, plabel, due, rid, rcode,
                rname)
        line.units.append((uid, ucode, uname, status))
    return list(lines.values())


def opened_cycles(session: Session, day: dt.date, periods: tuple[str, ...] = PERIODS,
                  cal: WorkingCalendar | None = None) -> list[CycleLine]:
    """Cycles whose period started after the previous working day, up to `day`."""
    cal = cal or calendar_for(session)
    if not cal.is_working_day(day):
        return []
    lo, hi = since_previous_working_day(day, cal)
    D = m.Deadline
    return _cycles(session, _periodic_obligations(session, periods),
                   and_(D.period_start >= lo, D.period_start <= hi,
                        D.status != DeadlineState.CANCELLED))


def closed_cycles(session: Session, day: dt.date, periods: tuple[str, ...] = PERIODS,
                  cal: WorkingCalendar | None = None) -> list[CycleLine]:
    """Cycles whose due date passed since the previous working day (due before `day`)."""
    cal = cal or calendar_for(session)
    if not cal.is_working_day(day):
        return []
    lo, hi = since_previous_working_day(day, cal)
    lo = lo - dt.timedelta(days=1)  # the previous working day's deadlines pass tonight
    D = m.Deadline
    return _cycles(session, _periodic_obligations(session, periods),
                   and_(D.due_on >= lo, D.due_on < hi, D.status != DeadlineState.CANCELLED))


def _open_notice(c: CycleLine) -> NoticeGroup:
    due = format_date(c.due_on) if c.due_on else "không ghi hạn"
    name = title_with_period(c.title, c.period_label)
    basis = f" (Kế hoạch số {c.plan_code})" if "/" in c.plan_code else ""
    subject = nfc(f"Mở kỳ báo cáo: {name}")[:300]
    body = nfc(
        f"Kính gửi: Đồng chí đầu mối báo cáo của đơn vị.\n"
        f"Kỳ báo cáo “{name}”{basis} đã bắt đầu. Đề nghị đơn vị gửi báo cáo "
        f"về {c.recipient_name} chậm nhất ngày {due}.\n"
        f"Hệ thống sẽ nhắc trước hạn nộp. Trân trọng.")
    return NoticeGroup(f"o{c.obligation_id}:{c.period_key}"[:40], "cycle_open", subject, body,
                       [u[0] for u in c.units if u[3] in OPEN_STATES])


def _close_notices(c: CycleLine) -> list[NoticeGroup]:
    due = format_date(c.due_on) if c.due_on else "—"
    rate = format_percent(c.on_time_rate) if c.on_time_rate is not None else "chưa tính được"
    missing = c.missing
    names = "\n".join(f"- {u[2]} ({u[1]})" for u in missing) or "(không có)"
    name = title_with_period(c.title, c.period_label)
    summary = NoticeGroup(
        f"c{c.obligation_id}:{c.period_key}"[:40], "cycle_close",
        nfc(f"Tổng hợp kỳ báo cáo: {name}")[:300],
        nfc(f"Kính gửi: Đồng chí đầu mối {c.recipient_name}.\n"
            f"Hạn nộp “{name}” ({due}) đã qua.\n"
            f"Đã nộp: {len(c.submitted)}/{len(c.units)} đơn vị; đúng hạn: {c.on_time} "
            f"(tỷ lệ đúng hạn {rate}).\n"
            f"Các đơn vị chưa nộp ({len(missing)}):\n{names}\nTrân trọng."),
        [c.recipient_id])
    out = [summary]
    if missing:
        out.append(NoticeGroup(
            f"x{c.obligation_id}:{c.period_key}"[:40], "cycle_overdue",
            nfc(f"Quá hạn: {name}")[:300],
            nfc(f"Kính gửi: Đồng chí lãnh đạo đơn vị.\n"
                f"Đơn vị chưa gửi “{name}” về {c.recipient_name}; hạn nộp là ngày {due}. "
                f"Đề nghị đồng chí chỉ đạo gửi báo cáo sớm. Trân trọng."),
            [u[0] for u in missing], role="leader"))
    return out


def open_notices(cycles: list[CycleLine]) -> list[NoticeGroup]:
    return [g for g in (_open_notice(c) for c in cycles) if g.unit_ids]


def close_notices(cycles: list[CycleLine]) -> list[NoticeGroup]:
    return [g for c in cycles for g in _close_notices(c)]


# --- fixed cut-offs ------------------------------------------------------------------


def cutoff_checks(day: dt.date, cal: WorkingCalendar, lead_working_days: list[int]
                  ) -> list[tuple[dt.date, int]]:
    """The (cut-off date, working days before it) pairs that fall on `day`.

    0 means the day itself (the cut-off, or the last working day before it when the
    cut-off is a day off).
    """
    if not cal.is_working_day(day):
        return []
    out = []
    for d, mth in CUTOFFS:
        for year in (day.year, day.year + 1):
            cutoff = dt.date(year, mth, d)
            last = cutoff
            while not cal.is_working_day(last):
                last -= dt.timedelta(days=1)
            for n in sorted(set([0, *lead_working_days])):
                check = last
                for _ in range(n):
                    check -= dt.timedelta(days=1)
                    while not cal.is_working_day(check):
                        check -= dt.timedelta(days=1)
                if check == day:
                    out.append((cutoff, n))
    return out


def cutoff_obligations(session: Session, cutoff: dt.date) -> list[int]:
    """Obligations with a fixed rule on the cut-off's day and month."""
    rows = session.execute(select(m.Obligation.id, m.Obligation.rules)
                           .where(m.Obligation.rule_kind == "fixed")).all()
    return [ob for ob, rules in rows
            if any(isinstance(r, dict) and r.get("kind") == "fixed" and r.get("day") == cutoff.day
                   and r.get("month") == cutoff.month and r.get("year") in (None, cutoff.year)
                   for r in rules or [])]


def group_by_unit(lines: list[CycleLine]) -> dict[str, list[CycleLine]]:
    out: dict[str, list[CycleLine]] = defaultdict(list)
    for c in lines:
        for u in c.units:
            out[u[1]].append(c)
    return out


def cutoff_cycles(session: Session, cutoff: dt.date) -> list[CycleLine]:
    """Everyone concerned by a fixed cut-off: deadlines of its obligations that year."""
    obs = {o: "fixed" for o in cutoff_obligations(session, cutoff)}
    D = m.Deadline
    lo = cutoff - dt.timedelta(days=20)
    return _cycles(session, obs, and_(D.original_due_on >= lo, D.original_due_on <= cutoff,
                                      D.status != DeadlineState.CANCELLED))


# --- inspection rounds -----------------------------------------------------------------


def round_reminder(session: Session, round_code: str, day: dt.date, within_days: int
                   ) -> list[NoticeGroup]:
    """When the round's report is due within `within_days` and visits lack a result:
    one reminder a day to the focal point of the plan's issuer (who runs the teams)."""
    st = round_status(session, round_code, today=day)
    if st.days_left is None or st.days_left > within_days or not st.missing:
        return []
    r = session.execute(select(m.InspectionRound).where(m.InspectionRound.code == round_code)
                        ).scalar_one()
    plan = session.get(m.Plan, r.plan_id) if r.plan_id else None
    if plan is None:
        return []
    names = "\n".join(f"- {v.team}: {v.unit_name}" + (f" — {v.model_name}" if v.model_name
                                                      else "") for v in st.missing)
    return [NoticeGroup(
        f"rr{r.id}:{day.isoformat()}", "inspection",
        nfc(f"Nhắc ghi kết quả kiểm tra: {st.title}")[:300],
        nfc(f"Hạn báo cáo kết quả {st.title}: {st.days_left_text}.\n"
            f"Còn {len(st.missing)}/{len(st.visits)} lượt kiểm tra chưa ghi kết quả:\n{names}\n"
            f"Đề nghị các đoàn kiểm tra gửi kết quả để tổng hợp. Trân trọng."),
        [plan.issuer_id])]


def open_rounds(session: Session) -> list[str]:
    return list(session.execute(select(m.InspectionRound.code).where(
        m.InspectionRound.status == "open").order_by(m.InspectionRound.code)).scalars())


def round_reports(session: Session, day: dt.date, code: str | None, remind_within: int,
                  ) -> list[tuple[Any, int]]:
    """Status of each open inspection round (or `code`), queuing its reminder when near."""
    out = []
    for c in [code] if code else open_rounds(session):
        status = round_status(session, c, today=day)
        out.append((status, queue_notices(session, round_reminder(session, c, day,
                                                                   remind_within), day)))
    return out



# --- use cases and views for the flows -------------------------------------------------


@dataclass(frozen=True)
class CycleScan:
    """The cycles that opened and closed on a day, their notices and how many are new."""

    opened: list[CycleLine]
    closed: list[CycleLine]
    groups: list[NoticeGroup]
    pending: int


def scan_cycles(day: dt.date, periods: tuple[str, ...] = PERIODS) -> CycleScan:
    """Which cycles opened or closed since the previous working day (read only)."""
    with unit_of_work() as s:
        opened = opened_cycles(s, day, periods)
        closed = closed_cycles(s, day, periods)
        groups = open_notices(opened) + close_notices(closed)
        return CycleScan(opened, closed, groups, count_new_notices(s, groups, day))


def record_cycle_notices(groups: list[NoticeGroup], day: dt.date) -> int:
    """Write the cycle notices to the outbox (idempotent), in one transaction."""
    with unit_of_work() as s:
        return queue_notices(s, groups, day)


@dataclass(frozen=True)
class CutoffStatus:
    """Everyone concerned by a fixed cut-off, `before` working days ahead of it."""

    cutoff: dt.date
    before: int
    cycles: list[CycleLine]


def cutoff_status(day: dt.date, lead_working_days: list[int]) -> list[CutoffStatus]:
    """The cut-offs to watch on `day` and their cycles (read only)."""
    with unit_of_work() as s:
        checks = cutoff_checks(day, calendar_for(s), lead_working_days)
        return [CutoffStatus(c, n, cutoff_cycles(s, c)) for c, n in checks]


def report_rounds(day: dt.date, code: str | None, remind_within: int) -> list[tuple[Any, int]]:
    """Status of the open rounds (or `code`), queuing the reminders due, in one transaction."""
    with unit_of_work() as s:
        return round_reports(s, day, code, remind_within)
