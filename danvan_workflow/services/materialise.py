"""Materialise deadlines: one row per (obligation, reporting unit, period), set-based.

Occurrences are computed once per obligation in Python (the pure core), written
to a temporary table, and joined to the reporters in SQL:

    INSERT INTO deadlines SELECT ... FROM tmp_occurrences JOIN obligation_reporters
    ON CONFLICT DO NOTHING

Open future deadlines whose computed due date moved (a rule or a calendar
override changed) are updated in one statement, and each move is written to
the audit log in one INSERT ... SELECT. Submitted deadlines are never touched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from danvan_workflow.core.calendar import WorkingCalendar
from danvan_workflow.core.deadline_status import DeadlineState
from danvan_workflow.core.occurrences import Occurrence, occurrences
from danvan_workflow.core.rules import EveryNMonthsRule, parse_rule
from danvan_workflow.core.validity import PlanValidity
from danvan_workflow.db.models import (
    AuditEntry,
    Deadline,
    Obligation,
    ObligationReporter,
    Plan,
    Unit,
    rowcount,
    tbl,
)
from danvan_workflow.db.sql import insert_ignore, temp_tables
from danvan_workflow.db.types import sql_instant
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.services.queries import plan_validity
from danvan_workflow.settings import get_settings
from danvan_workflow.timeutil import now, today

_tmp_meta = MetaData()
TMP = Table(
    "tmp_occurrences", _tmp_meta,
    Column("obligation_id", Integer, nullable=False),
    Column("period_key", String(64), nullable=False),
    Column("period_label", String(200), nullable=False),
    Column("period_start", Date),
    Column("period_end", Date),
    Column("due_on", Date),
    Column("window_end", Date),
    prefixes=["TEMPORARY"],
)


@dataclass
class MaterialiseResult:
    occurrences: int = 0
    inserted: int = 0
    moved: int = 0
    cancelled: int = 0


def horizon_end(day: dt.date | None = None) -> dt.date:
    """Default horizon: the end of next year (`engine.horizon_years` after this one)."""
    day = day or today()
    return dt.date(day.year + get_settings().engine.horizon_years, 12, 31)


def obligation_occurrences(
    rules: list[dict[str, Any]], validity: PlanValidity, cal: WorkingCalendar, end: dt.date,
) -> list[Occurrence]:
    """The plan's duties under `rules`, up to `end`, inside the plan's validity.

    The search starts a year before the plan so that a period closing inside the
    plan (e.g. the yearly report of 15/12 to 14/12) is found; `validity.keeps` decides.
    """
    if validity.end is not None:
        end = min(end, validity.end + dt.timedelta(days=366))
    search_from = max(dt.date(validity.start.year - 1, 1, 1), cal.first_day)
    out: dict[str, Occurrence] = {}
    for raw in rules:
        rule = parse_rule(raw)
        if isinstance(rule, EveryNMonthsRule) and rule.start is None:
            continue  # anchored to each model's start: created when the model starts
        lo = max(search_from, rule.valid_from) if rule.valid_from else search_from
        for occ in occurrences(rule, cal, lo, end, by_shift=get_settings().engine.by_shift):
            if validity.keeps(occ):
                out.setdefault(occ.period_key, occ)
    return list(out.values())


def materialise(
    session: Session, *, obligation_ids: set[int] | None = None, until: dt.date | None = None,
    cal: WorkingCalendar | None = None, actor: str = "system", recompute: bool = True,
) -> MaterialiseResult:
    """Create missing deadlines up to `until`; move open future ones whose due date changed."""
    cal = cal or calendar_for(session)
    until = until or horizon_end()
    res = MaterialiseResult()
    # an archived plan (its file left config/) gets no new deadlines
    q = select(Obligation.id, Obligation.rules, Plan).join(Plan).where(Plan.archived_at.is_(None))
    if obligation_ids is not None:
        if not obligation_ids:
            return res
        q = q.where(Obligation.id.in_(obligation_ids))
    rows: list[dict[str, Any]] = []
    for ob_id, rules, plan in session.execute(q).all():
        for occ in obligation_occurrences(rules, plan_validity(plan), cal, until):
            # a window is due on its last working day; its span is period_start..window_end
            rows.append(dict(
                obligation_id=ob_id, period_key=occ.period_key, period_label=occ.period_label,
                period_start=occ.period_start, period_end=occ.period_end,
                due_on=occ.due, window_end=occ.window_end,
            ))
    res.occurrences = len(rows)
    with temp_tables(session, TMP) as conn:
        if rows:
            conn.execute(insert(TMP), rows)
        # existing deadlines first: the ones about to be inserted are computed right and
        # need not be looked at (a new year's first materialise checks nothing)
        if recompute:
            res.moved = _move_changed(session, actor)
            res.cancelled = _cancel_vanished(session, actor, obligation_ids)
        res.inserted = _insert_missing(session)
    return res


def _insert_missing(session: Session) -> int:
    D, R, U = tbl(Deadline), tbl(ObligationReporter), tbl(Unit)
    stamp = sql_instant(now(), session.get_bind().dialect.name)
    sel = (
        select(TMP.c.obligation_id, R.c.unit_id, TMP.c.period_key, TMP.c.period_label,
               TMP.c.period_start, TMP.c.period_end, TMP.c.due_on, TMP.c.due_on,
               TMP.c.window_end, literal(DeadlineState.OPEN.value), literal(stamp), literal(stamp))
        .select_from(TMP.join(R, R.c.obligation_id == TMP.c.obligation_id)
                     .join(U, U.c.id == R.c.unit_id))
        .where(U.c.archived_at.is_(None))  # nor does an archived reporting unit
    )
    cols = ["obligation_id", "unit_id", "period_key", "period_label", "period_start",
            "period_end", "due_on", "original_due_on", "window_end", "status", "created_at",
            "updated_at"]
    stmt = insert_ignore(session)(D).from_select(cols, sel).on_conflict_do_nothing(
        index_elements=["obligation_id", "period_key", "unit_id"])
    return rowcount(session.execute(stmt))


def _move_changed(session: Session, actor: str) -> int:
    """Open, not extended, future deadlines take the newly computed due date."""
    D, A = tbl(Deadline), tbl(AuditEntry)
    dialect = session.get_bind().dialect.name
    stamp = sql_instant(now(), dialect)
    # A due date in the future moves; so does a past one whose new date is still to
    # come (it was wrong, e.g. a window stored on its first day), and any open window.
    cond = and_(
        D.c.obligation_id == TMP.c.obligation_id, D.c.period_key == TMP.c.period_key,
        D.c.status == DeadlineState.OPEN, TMP.c.due_on.is_not(None),
        or_(D.c.due_on >= today(), TMP.c.due_on >= today(), D.c.window_end.is_not(None)),
        or_(D.c.due_on.is_(None), D.c.due_on != TMP.c.due_on),
    )
    # audit first (it needs the old value), then update: same transaction
    audit = select(
        literal(stamp), literal(actor), literal("deadline.moved"), literal("deadline"),
        cast(D.c.id, String),
        func.json_object("due_on", D.c.due_on) if dialect == "sqlite"
        else func.json_build_object("due_on", D.c.due_on),
        func.json_object("due_on", TMP.c.due_on) if dialect == "sqlite"
        else func.json_build_object("due_on", TMP.c.due_on),
        literal("Hạn được tính lại do thay đổi quy tắc hoặc lịch ngày nghỉ"),
    ).select_from(D.join(TMP, cond))
    session.execute(insert(A).from_select(
        ["at", "actor", "action", "entity", "entity_id", "before", "after", "note"], audit))
    sub = select(TMP.c.due_on).where(
        TMP.c.obligation_id == D.c.obligation_id, TMP.c.period_key == D.c.period_key,
    ).scalar_subquery()
    exists_cond = select(literal(1)).where(cond).exists()
    result = session.execute(
        D.update().where(exists_cond).values(
            due_on=sub, original_due_on=sub, updated_at=stamp))
    return rowcount(result)


def _cancel_vanished(session: Session, actor: str, obligation_ids: set[int] | None) -> int:
    """Open future deadlines whose occurrence no longer exists (rule changed) are cancelled."""
    D = tbl(Deadline)
    dialect = session.get_bind().dialect.name
    stamp = sql_instant(now(), dialect)
    # past ones too: an occurrence that vanished (e.g. before the plan was issued) was
    # never a duty; submitted ones are never touched
    scope = [D.c.status == DeadlineState.OPEN, D.c.model_id.is_(None),
             D.c.period_key.not_like("request:%")]
    if obligation_ids is not None:
        scope.append(D.c.obligation_id.in_(obligation_ids))
    # an archived plan's deadlines were not computed above: they stay as they are
    O, P = tbl(Obligation), tbl(Plan)
    scope.append(D.c.obligation_id.not_in(select(O.c.id).join(P, P.c.id == O.c.plan_id)
                                          .where(P.c.archived_at.is_not(None))))
    missing = ~select(literal(1)).where(
        TMP.c.obligation_id == D.c.obligation_id, TMP.c.period_key == D.c.period_key).exists()
    ids = [r[0] for r in session.execute(select(D.c.id).where(*scope, missing))]
    if not ids:
        return 0
    session.execute(D.update().where(D.c.id.in_(ids))
                    .values(status=DeadlineState.CANCELLED, updated_at=stamp))
    session.execute(insert(tbl(AuditEntry)), [
        dict(at=now(), actor=actor, action="deadline.cancelled", entity="deadline",
             entity_id=str(i), before={"status": DeadlineState.OPEN.value},
             after={"status": DeadlineState.CANCELLED.value},
             note="Kỳ báo cáo không còn trong quy tắc mới") for i in ids])
    return len(ids)
