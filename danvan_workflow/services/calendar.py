"""The working-day calendar as the database holds it (package holidays + overrides).

Also which years are confirmed (their government announcements entered in
``config/calendar/<year>.yaml`` with ``confirmed: true``) and which years in use are not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from danvan_workflow.core.calendar import CalendarOverride, WorkingCalendar
from danvan_workflow.core.deadline_status import OPEN_STATES
from danvan_workflow.db.models import CalendarOverride as OverrideRow
from danvan_workflow.db.models import CalendarYear, Deadline
from danvan_workflow.services.unit_of_work import unit_of_work


@lru_cache(maxsize=4)
def _build(
    overrides: tuple[CalendarOverride, ...], confirmed_years: frozenset[int]
) -> WorkingCalendar:
    return WorkingCalendar.build(list(overrides), confirmed_years=confirmed_years)


def overrides_in_db(session: Session) -> tuple[CalendarOverride, ...]:
    rows = session.execute(select(OverrideRow).order_by(OverrideRow.day)).scalars()
    return tuple(
        CalendarOverride(date=r.day, kind=r.kind, name=r.name, document=r.document)
        for r in rows
    )


def confirmed_years_in_db(session: Session) -> frozenset[int]:
    """Years whose calendar file says ``confirmed: true``."""
    rows = session.execute(
        select(CalendarYear.year).where(CalendarYear.confirmed.is_(True))
    ).scalars()
    return frozenset(rows)


def calendar_for(session: Session) -> WorkingCalendar:
    """The calendar in force: built once per distinct set of overrides and confirmed years."""
    return _build(overrides_in_db(session), confirmed_years_in_db(session))


def may_move(cal: WorkingCalendar, day: dt.date | None, today: dt.date) -> bool:
    """Whether a date lies in a year, not yet past, whose calendar is unconfirmed."""
    return day is not None and day.year >= today.year and not cal.is_confirmed(day.year)


def unconfirmed_note(
    cal: WorkingCalendar, days: Iterable[dt.date | None], today: dt.date
) -> str | None:
    """The warning to print under a list whose dates fall in unconfirmed years, if any.

    Past years are left out: their days off are behind us (see `years_in_use`).
    """
    years = sorted({d.year for d in days if d is not None and may_move(cal, d, today)})
    if not years:
        return None
    which = f"năm {years[0]}" if len(years) == 1 else "các năm " + ", ".join(map(str, years))
    return (f"Lịch nghỉ {which} chưa được xác nhận: hạn có thể thay đổi khi Chính phủ "
            "công bố lịch nghỉ.")


def years_in_use(session: Session, today: dt.date) -> list[int]:
    """The current and next year, and every later year an open deadline is due in.

    Years before the current one are settled: their days off are behind us, so an
    announcement can no longer move a deadline in them.
    """
    due_years = session.execute(
        select(extract("year", Deadline.due_on)).distinct()
        .where(Deadline.status.in_(OPEN_STATES), Deadline.due_on >= today)
    ).scalars()
    return sorted({today.year, today.year + 1, *(int(y) for y in due_years if y is not None)})


@dataclass(frozen=True)
class YearFile:
    """What ``config/calendar/<year>.yaml`` says about its year."""

    confirmed: bool
    source_file: str


@dataclass(frozen=True)
class UnconfirmedYear:
    year: int
    reason: str

    def text(self) -> str:
        """'Năm 2027: chưa xác nhận — chưa có tệp config/calendar/2027.yaml với confirmed: true'."""
        return f"Năm {self.year}: chưa xác nhận — {self.reason}"


def unconfirmed_years(
    session: Session, today: dt.date, files: Mapping[int, YearFile], config_dir: Path
) -> list[UnconfirmedYear]:
    """Years in use whose calendar is not confirmed, in the files or in the database."""
    loaded = confirmed_years_in_db(session)
    out: list[UnconfirmedYear] = []
    for year in years_in_use(session, today):
        f = files.get(year)
        if f is None:
            path = f"{config_dir.name}/calendar/{year}.yaml"
            out.append(UnconfirmedYear(year, f"chưa có tệp {path} với confirmed: true"))
        elif not f.confirmed:
            out.append(UnconfirmedYear(year, f"tệp {f.source_file} chưa ghi confirmed: true"))
        elif year not in loaded:
            out.append(UnconfirmedYear(
                year, f"tệp {f.source_file} đã ghi confirmed: true nhưng chưa được nạp vào "
                      "cơ sở dữ liệu (chạy lệnh danvan config load)"))
    return out



def working_calendar() -> WorkingCalendar:
    """The working calendar (holidays and swapped days from the database), read on its own."""
    with unit_of_work() as s:
        return calendar_for(s)


def is_working_day(day: dt.date) -> bool:
    """Whether `day` is a working day in the configured calendar."""
    return working_calendar().is_working_day(day)
