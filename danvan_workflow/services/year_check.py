"""Use case "what does next year need?" (`danvan year check 2027`), read only.

The office's year-end routine (docs/huong-dan-van-hanh.md, section 7): the year's
calendar of days off confirmed from the Government's notice, the plans in force that
year (drafts rolled with `plans roll` still marked DT-), the units with duties that
year but no focal point reachable on any channel, and contacts with no channel.
Set-based queries; nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select

from danvan_workflow.configuration.rollover import DRAFT_PREFIX
from danvan_workflow.db import models as m
from danvan_workflow.services.queries import plan_validity
from danvan_workflow.services.unit_of_work import unit_of_work


@dataclass(frozen=True)
class YearCheck:
    year: int
    calendar_confirmed: bool | None  # None: no calendar file for the year
    calendar_documents: list[str] = field(default_factory=list)
    plans: list[tuple[str, str]] = field(default_factory=list)  # in force: (code, title)
    drafts: list[str] = field(default_factory=list)  # codes still DT-<year>-…
    deadlines: int = 0
    unreachable_units: list[tuple[str, str]] = field(default_factory=list)
    contacts_without_channel: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return (bool(self.calendar_confirmed) and bool(self.plans) and not self.drafts
                and not self.unreachable_units and not self.contacts_without_channel)


def year_check(year: int) -> YearCheck:
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    D, U, C, CC = m.Deadline, m.Unit, m.Contact, m.ContactChannel
    with unit_of_work() as s:
        cal = s.get(m.CalendarYear, year)
        plans = [p for p in s.execute(select(m.Plan).where(m.Plan.archived_at.is_(None))
                                      .order_by(m.Plan.code)).scalars()
                 if _covers(p, first, last)]
        deadlines = int(s.execute(select(func.count()).select_from(D).where(
            D.due_on.between(first, last), D.status != "cancelled")).scalar_one())
        reachable = (select(C.id).join(CC, CC.contact_id == C.id)
                     .where(C.unit_id == U.id, C.archived_at.is_(None)))
        with_duties = exists(select(D.id).where(D.unit_id == U.id,
                                                D.due_on.between(first, last),
                                                D.status != "cancelled"))
        unreachable = s.execute(select(U.code, U.name).where(
            U.archived_at.is_(None), with_duties, ~exists(reachable)).order_by(U.code)
        ).tuples().all()
        lonely = s.execute(select(C.code, C.name).where(
            C.archived_at.is_(None), ~exists(select(CC.contact_id).where(
                CC.contact_id == C.id))).order_by(C.code)).tuples().all()
        return YearCheck(
            year, None if cal is None else bool(cal.confirmed),
            list(cal.documents or []) if cal is not None else [],
            [(p.code, p.title) for p in plans],
            [p.code for p in plans if p.code.startswith(f"{DRAFT_PREFIX}-")],
            deadlines, list(unreachable), list(lonely))


def _covers(plan: m.Plan, first: dt.date, last: dt.date) -> bool:
    v = plan_validity(plan)
    return v.start <= last and (v.end is None or v.end >= first)
