"""The working-day calendar as the database holds it (package holidays + overrides)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.core.calendar import CalendarOverride, WorkingCalendar
from danvan_workflow.db.models import CalendarOverride as OverrideRow


@lru_cache(maxsize=4)
def _build(overrides: tuple[CalendarOverride, ...]) -> WorkingCalendar:
    return WorkingCalendar.build(list(overrides))


def overrides_in_db(session: Session) -> tuple[CalendarOverride, ...]:
    rows = session.execute(select(OverrideRow).order_by(OverrideRow.day)).scalars()
    return tuple(
        CalendarOverride(date=r.day, kind=r.kind, name=r.name, document=r.document)
        for r in rows
    )


def calendar_for(session: Session) -> WorkingCalendar:
    """The calendar in force: built once per distinct set of overrides."""
    return _build(overrides_in_db(session))
