"""The dashboards' per-unit figures stay true after every kind of write.

`unit_figures` is derived data (services/figures.py). Whatever an operator or the engine
does — record, extend, waive, withdraw, close a year, reload the configuration — the
figures the dashboards read must equal a count over the deadlines themselves, on SQLite
and PostgreSQL, without any use case having to remember them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select, text

from danvan_workflow import dashboards
from danvan_workflow.commands.archive import CloseYear
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import config, figures, reports
from danvan_workflow.services.archive import close_past_year
from danvan_workflow.services.queries import count_deadlines, list_deadlines

CONFIG = Path(__file__).resolve().parents[2] / "config"
DAY = dt.date(2026, 12, 3)


def _held() -> list[tuple[int, ...]]:
    with session_scope() as s:
        return sorted(s.execute(select(m.UnitFigures.unit_id, m.UnitFigures.plan_id,
                                       m.UnitFigures.on_time, m.UnitFigures.late,
                                       m.UnitFigures.overdue, m.UnitFigures.due)).tuples())


def _counted(day: dt.date) -> list[tuple[int, ...]]:
    with session_scope() as s:
        return sorted(tuple(int(v) for v in r) for r in s.execute(figures._counts(day)))


def _state() -> tuple[dt.date | None, bool]:
    with session_scope() as s:
        st = s.get(m.FiguresState, figures.STATE_ID)
        assert st is not None
        return st.as_of, st.stale


def _due(n: int, skip: int = 0) -> list[int]:
    with session_scope() as s:
        return [d.id for d in list_deadlines(s, start=dt.date(2026, 1, 1), end=DAY,
                                             include_continuous=False, open_only=True)
                ][skip:skip + n]


def test_figures_follow_actions_unit_by_unit(db_url: str) -> None:
    config.load(CONFIG)
    assert _state() == (None, True)  # never built: the first read builds them
    with session_scope() as s:
        before = dashboards.rates_by_plan(s, DAY)
    assert _state() == (DAY, False)
    assert _held() == _counted(DAY)

    first, second, third = _due(3)
    with session_scope() as s:  # one action recounts its unit in the same transaction
        reports.submit(s, deadline_id=first, received_on=DAY, document_number="12/BC",
                       recorded_by="kiểm thử", today=DAY)
        reports.waive(s, second, "Đơn vị sáp nhập", "kiểm thử")
        reports.extend(s, third, DAY + dt.timedelta(days=20), "Thiên tai", "kiểm thử")
    assert _state() == (DAY, False), "a single action must not force a full rebuild"
    assert _held() == _counted(DAY)
    with session_scope() as s:
        reports.withdraw(s, first, "Ghi nhầm đơn vị", "kiểm thử")
        reports.revoke_change(s, second, "Miễn nhầm", "kiểm thử")
    assert _held() == _counted(DAY)

    with session_scope() as s:  # what the dashboards show follows
        after = dashboards.rates_by_plan(s, DAY)
        late_total = dashboards.overdue(s, DAY).total
        expected = count_deadlines(s, end=DAY - dt.timedelta(days=1), include_continuous=False,
                                   open_only=True, current_only=True)
    assert late_total == expected
    assert sum(r["Quá hạn chưa nộp"] for r in after.rows) == \
        sum(r["Quá hạn chưa nộp"] for r in before.rows) - 1  # the extended one


def test_a_rolled_back_action_leaves_the_figures_alone(db_url: str) -> None:
    config.load(CONFIG)
    with session_scope() as s:
        figures.refresh(s, DAY)
    held = _held()
    (first,) = _due(1)
    try:
        with session_scope() as s:
            reports.submit(s, deadline_id=first, received_on=DAY, document_number=None,
                           recorded_by="kiểm thử", today=DAY)
            raise RuntimeError("the operator's session broke off")
    except RuntimeError:
        pass
    assert _held() == held == _counted(DAY)
    assert _state() == (DAY, False)


def test_bulk_writes_mark_the_figures_stale_and_the_next_read_rebuilds(db_url: str) -> None:
    config.load(CONFIG)
    with session_scope() as s:
        figures.refresh(s, DAY)
    close_past_year(CloseYear(year=2025, reason="Hết năm, không thu được", operator="kiểm thử"))
    assert _state() == (DAY, True)  # a set-based UPDATE of deadlines: everything recounted
    with session_scope() as s:
        dashboards.rates_by_unit(s, DAY)
    assert _state() == (DAY, False)
    assert _held() == _counted(DAY)

    # a plain SQL statement through a session is seen as well
    with session_scope() as s:
        s.execute(m.tbl(m.Deadline).update().where(m.tbl(m.Deadline).c.id == _due(1)[0])
                  .values(status="waived"))
    assert _state()[1] is True


def test_another_day_rebuilds_for_that_day(db_url: str) -> None:
    config.load(CONFIG)
    later = DAY + dt.timedelta(days=40)
    with session_scope() as s:
        figures.ensure(s, DAY)
        figures.ensure(s, later)
        n_units = s.execute(select(func.count(func.distinct(m.UnitFigures.unit_id)))
                            ).scalar_one()
    assert _state() == (later, False)
    assert _held() == _counted(later) and n_units > 0
    with session_scope() as s:  # nothing of the model is left from the earlier day
        rows = s.execute(text("SELECT count(*) FROM unit_figures")).scalar_one()
    assert rows == len(_counted(later))
