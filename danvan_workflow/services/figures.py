"""Per-unit figures: the read model behind the dashboards' rates, roll-up and totals.

Counting every deadline for each dashboard costs a scan of all of them (875,000 rows
nationally: seconds on SQLite). Instead `unit_figures` keeps, per unit and plan, the
counts of `views.on_time_columns` for the deadlines due by one day (`figures_state`),
and the dashboards aggregate those rows (tens of thousands at most).

It is kept current without any service having to remember it:

* every session is watched (`watch`): a flush that writes deadlines records their
  units; any other write to deadlines, units, plans or obligations (bulk statements,
  configuration, archiving) marks the whole model stale;
* before the session commits, the recorded units are recounted in the same transaction
  (one set-based statement), or the state row is marked stale;
* a read for a day the model does not hold, or a stale one, rebuilds it whole
  (`ensure`) in one INSERT … SELECT over the covering index.

Refreshes take the state row's lock (`FOR UPDATE` on PostgreSQL; SQLite has one writer),
so two transactions never rebuild the same rows at once; the last one to commit counts
what both wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.orm import Session, UOWTransaction

from danvan_workflow.db import models as m
from danvan_workflow.services.views import on_time_columns
from danvan_workflow.timeutil import now

STATE_ID = 1
WATCHED = frozenset({"deadlines", "units", "plans", "obligations"})
_UNITS, _ALL, _BUSY = "figures_units", "figures_all", "figures_busy"


def _counts(day: dt.date, unit_ids: Iterable[int] | None = None) -> Any:
    D, O = m.Deadline, m.Obligation
    q = (select(D.unit_id, O.plan_id, *on_time_columns(day), func.count(D.id))
         .join(O, O.id == D.obligation_id).where(D.due_on <= day)
         .group_by(D.unit_id, O.plan_id))
    if unit_ids is not None:
        q = q.where(D.unit_id.in_(sorted(unit_ids)))
    return q


COLUMNS = ["unit_id", "plan_id", "on_time", "late", "overdue", "due"]


def _lock_state(session: Session) -> m.FiguresState:
    state = session.execute(select(m.FiguresState).where(m.FiguresState.id == STATE_ID)
                            .with_for_update()).scalar_one_or_none()
    if state is None:
        state = m.FiguresState(id=STATE_ID, as_of=None, stale=True)
        session.add(state)
        session.flush()
    return state


def refresh(session: Session, day: dt.date) -> None:
    """Rebuild the figures for `day` (in the caller's transaction)."""
    session.info[_BUSY] = True
    try:
        state = _lock_state(session)
        F = m.tbl(m.UnitFigures)
        session.execute(delete(F))
        session.execute(insert(F).from_select(COLUMNS, _counts(day)))
        if session.get_bind().dialect.name == "postgresql":
            # fresh statistics, or the planner takes tens of thousands of rows for 200
            session.execute(text("ANALYZE unit_figures"))
        state.as_of, state.stale, state.refreshed_at = day, False, now()
        session.flush()
    finally:
        session.info[_BUSY] = False
        session.info.pop(_ALL, None)
        session.info.pop(_UNITS, None)


def ensure(session: Session, day: dt.date) -> None:
    """Make the figures hold for `day`: rebuilt if they are for another day or stale."""
    state = session.get(m.FiguresState, STATE_ID)
    if state is None or state.stale or state.as_of != day:
        refresh(session, day)


def _recount_units(session: Session, unit_ids: set[int]) -> None:
    state = _lock_state(session)
    if state.stale or state.as_of is None:
        return  # the next read rebuilds everything anyway
    F = m.tbl(m.UnitFigures)
    session.execute(delete(F).where(F.c.unit_id.in_(sorted(unit_ids))))
    session.execute(insert(F).from_select(COLUMNS, _counts(state.as_of, unit_ids)))


def _mark_stale(session: Session) -> None:
    session.execute(update(m.tbl(m.FiguresState)).values(stale=True))


# --------------------------------------------------------------------------- watching


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    if session.info.get(_BUSY):
        return
    units: set[int] = session.info.setdefault(_UNITS, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, m.Deadline):
            if obj.unit_id is not None:
                units.add(obj.unit_id)
        elif isinstance(obj, (m.Unit, m.Plan, m.Obligation)):
            session.info[_ALL] = True


def _do_orm_execute(state: Any) -> None:
    session = state.session
    if session.info.get(_BUSY) or not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED:
        session.info[_ALL] = True


def _before_commit(session: Session) -> None:
    everything, units = session.info.pop(_ALL, False), session.info.pop(_UNITS, set())
    if not (everything or units) or session.info.get(_BUSY):
        return
    session.info[_BUSY] = True
    try:
        if everything:
            _mark_stale(session)
        else:
            _recount_units(session, units)
        session.flush()
    finally:
        session.info[_BUSY] = False


def _after_soft_rollback(session: Session, previous_transaction: Any) -> None:
    session.info.pop(_ALL, None)
    session.info.pop(_UNITS, None)


def watch() -> None:
    """Keep the figures current from every session (idempotent; called on import)."""
    for name, fn in (("after_flush", _after_flush), ("do_orm_execute", _do_orm_execute),
                     ("before_commit", _before_commit),
                     ("after_soft_rollback", _after_soft_rollback)):
        if not event.contains(Session, name, fn):
            event.listen(Session, name, fn)


watch()


# --------------------------------------------------------------------------- reading


def per_unit(day: dt.date) -> Any:
    """CTE: each unit's figures summed over its plans (unit_id, on_time, late, overdue,
    due). Call `ensure(session, day)` first. Materialised: joined to tens of thousands
    of tree rows, it must be computed once, not per row."""
    F = m.UnitFigures
    return (select(F.unit_id.label("unit_id"), func.sum(F.on_time).label("on_time"),
                   func.sum(F.late).label("late"), func.sum(F.overdue).label("overdue"),
                   func.sum(F.due).label("due"))
            .group_by(F.unit_id).cte("unit_totals").prefix_with("MATERIALIZED"))


def unit_rates(session: Session, day: dt.date, limit: int
               ) -> tuple[list[tuple[str, str, int, int, int, int]], int]:
    """Live units with deadlines due by `day`, by code: the first `limit`, and how many."""
    ensure(session, day)
    U, t = m.Unit, per_unit(day)
    rows = session.execute(
        select(U.code, U.name, t.c.on_time, t.c.late, t.c.overdue, t.c.due)
        .join(t, t.c.unit_id == U.id).where(U.archived_at.is_(None))
        .order_by(U.code).limit(limit)).tuples().all()
    total = session.execute(
        select(func.count()).select_from(t).join(U, U.id == t.c.unit_id)
        .where(U.archived_at.is_(None))).scalar_one()
    return [(c, n, int(a), int(b), int(o), int(d)) for c, n, a, b, o, d in rows], int(total)


def plan_rates(session: Session, day: dt.date) -> list[tuple[str, str, int, int, int, int]]:
    """Plans in force with deadlines due by `day`, by number."""
    ensure(session, day)
    F, P = m.UnitFigures, m.Plan
    rows = session.execute(
        select(P.code, P.title, func.sum(F.on_time), func.sum(F.late), func.sum(F.overdue),
               func.sum(F.due))
        .join(F, F.plan_id == P.id).where(P.archived_at.is_(None))
        .group_by(P.code, P.title).order_by(P.code)).tuples().all()
    return [(c, t, int(a), int(b), int(o), int(d)) for c, t, a, b, o, d in rows]


def overdue_total(session: Session, day: dt.date) -> int:
    """Open deadlines due before `day` in plans in force, of live units."""
    ensure(session, day)
    F, P, U = m.UnitFigures, m.Plan, m.Unit
    return int(session.execute(
        select(func.coalesce(func.sum(F.overdue), 0)).join(P, P.id == F.plan_id)
        .join(U, U.id == F.unit_id)
        .where(P.archived_at.is_(None), U.archived_at.is_(None))).scalar_one())
