"""Plan the day's reminders and escalations into the outbox, set-based.

For each day to sweep, the pure core gives, per reminder ladder, the due dates
whose ladder hits that day (`core.reminders.due_dates_for_day`). Those few rows
go to a temporary table, and SQL joins them to the open deadlines and to the
contacts and their channels:

    INSERT INTO notifications SELECT ... ON CONFLICT DO NOTHING

The unique key (deadline, step, contact, channel) makes planning idempotent: a
sweep that runs twice, or catches up days the machine was off, plans nothing
twice. In the same transaction the new items are grouped into one outbox
message per (contact, channel) — the daily digest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from danvan_workflow.core.calendar import WorkingCalendar
from danvan_workflow.core.deadline_status import OPEN_STATES
from danvan_workflow.core.reminders import Ladder, Override, due_dates_for_day, resolve_ladder
from danvan_workflow.db import models as m
from danvan_workflow.db.sql import analyze, insert_ignore, temp_tables
from danvan_workflow.db.types import sql_instant
from danvan_workflow.services.calendar import calendar_for
from danvan_workflow.timeutil import TZ, now

MAX_CATCH_UP_DAYS = 31

_meta = MetaData()
TMP_STEPS = Table(
    "tmp_ladder_steps", _meta,
    Column("ladder_id", Integer, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("step", Integer, nullable=False),
    Column("escalation", Boolean, nullable=False),
    prefixes=["TEMPORARY"],
)
TMP_GROUPS = Table(
    "tmp_message_groups", _meta,
    Column("contact_id", Integer, primary_key=True),
    Column("channel_code", String(32), primary_key=True),
    Column("idempotency_key", String(80), nullable=False),
    Column("message_id", Integer),
    prefixes=["TEMPORARY"],
)
TMP_ITEMS = Table(
    "tmp_reminder_items", _meta,
    Column("deadline_id", Integer, primary_key=True),
    Column("step", Integer, primary_key=True),
    Column("contact_id", Integer, primary_key=True),
    Column("channel_code", String(32), primary_key=True),
    Column("escalation", Boolean, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("planned_for", Date, nullable=False),
    prefixes=["TEMPORARY"],
)
TMP_LADDER = Table(
    "tmp_obligation_ladder", _meta,
    Column("obligation_id", Integer, primary_key=True),
    Column("ladder_id", Integer, nullable=False),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class Policy:
    default: Ladder
    overrides: tuple[Override, ...]
    send_time: dt.time
    digest: bool
    operators: tuple[str, ...] = ()


@dataclass
class SweepResult:
    days: list[dt.date] = field(default_factory=list)
    planned: int = 0
    escalations: int = 0
    messages: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"days": [d.isoformat() for d in self.days], "planned": self.planned,
                "escalations": self.escalations, "messages": self.messages}


def _ladder(data: dict[str, Any], base: Ladder) -> Ladder:
    return Ladder(
        steps=tuple(data.get("ladder") or base.steps),
        overdue_every=data.get("overdue_every") or base.overdue_every,
        escalate_from=data.get("escalate_from") or base.escalate_from,
    )


def load_policy(session: Session) -> Policy:
    doc = session.get(m.ConfigDocument, "reminders")
    data: dict[str, Any] = doc.content if doc else {}
    default = _ladder(data, Ladder())
    overrides = tuple(
        Override(plan_code=o["plan"], obligation_code=o.get("obligation"),
                 ladder=_ladder(o, default))
        for o in data.get("overrides", []) if o.get("plan")
    )
    send = data.get("send_time", "07:30")
    return Policy(default=default, overrides=overrides,
                  send_time=dt.time.fromisoformat(send) if isinstance(send, str) else send,
                  digest=bool(data.get("digest", True)),
                  operators=tuple(data.get("operators", [])))


def days_to_sweep(session: Session, day: dt.date, cal: WorkingCalendar) -> list[dt.date]:
    """`day`, plus working days since the last sweep that never ran (catch-up)."""
    last = session.execute(select(func.max(m.SweepRun.run_date))
                           .where(m.SweepRun.run_date < day)).scalar()
    start = max(last + dt.timedelta(days=1) if last else day,
                day - dt.timedelta(days=MAX_CATCH_UP_DAYS))
    out = []
    d = start
    while d <= day:
        if cal.is_working_day(d):
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def _obligation_ladders(
    session: Session, policy: Policy,
) -> tuple[dict[int, Ladder], list[dict[str, int]]]:
    """Ladder id per obligation: 0 is the default; overrides from reminders.yaml and the plan."""
    ladders: dict[Ladder, int] = {policy.default: 0}
    rows = []
    q = select(m.Obligation.id, m.Obligation.code, m.Obligation.reminders, m.Plan.code).join(m.Plan)
    for ob_id, ob_code, own, plan_code in session.execute(q).all():
        ladder = resolve_ladder(policy.default, policy.overrides, plan_code, ob_code)
        if own:
            ladder = _ladder(own, ladder)
        lid = ladders.setdefault(ladder, len(ladders))
        if lid:
            rows.append({"obligation_id": ob_id, "ladder_id": lid})
    return {v: k for k, v in ladders.items()}, rows


def plan_reminders(session: Session, day: dt.date, *, cal: WorkingCalendar | None = None,
                   ) -> SweepResult:
    """Plan every reminder due on `day` (and missed working days before it). Idempotent.

    Items are collected in a temp table, those already planned are dropped, the rest
    are grouped into one digest message per (contact, channel), and the items are
    written once, each with its message: one write per notification.
    """
    cal = cal or calendar_for(session)
    policy = load_policy(session)
    res = SweepResult(days=days_to_sweep(session, day, cal))
    run = session.execute(select(m.SweepRun).where(m.SweepRun.run_date == day)).scalar_one_or_none()
    if run is None:
        run = m.SweepRun(run_date=day, started_at=now())
        session.add(run)
        session.flush()
    run_no = int((run.stats or {}).get("runs", 0)) + 1
    by_id, ob_rows = _obligation_ladders(session, policy)
    with temp_tables(session, TMP_STEPS, TMP_LADDER, TMP_ITEMS, TMP_GROUPS) as conn:
        if ob_rows:
            conn.execute(insert(TMP_LADDER), ob_rows)
        analyze(session, TMP_LADDER)
        for d in res.days:
            steps = [
                {"ladder_id": lid, "due_on": due, "step": step,
                 "escalation": step >= ladder.escalate_from}
                for lid, ladder in by_id.items()
                for due, step in due_dates_for_day(d, cal, ladder).items()
            ]
            conn.execute(TMP_STEPS.delete())
            if steps:
                conn.execute(insert(TMP_STEPS), steps)
            analyze(session, TMP_STEPS)
            _collect_items(session, d, sorted({due for lid, ladder in by_id.items()
                                               for due in due_dates_for_day(d, cal, ladder)}))
        res.planned, res.escalations = _drop_already_planned(session)
        res.messages = _write_messages(session, day, run.id, run_no, policy)
    run.finished_at = now()
    run.stats = {**res.as_dict(), "runs": run_no}
    return res


def _collect_items(session: Session, day: dt.date, due_dates: list[dt.date]) -> None:
    """Reminder items due on `day` into the temp table: focal points, then escalations."""
    D, C, CC = m.tbl(m.Deadline), m.tbl(m.Contact), m.tbl(m.ContactChannel)
    O, P, U = m.tbl(m.Obligation), m.tbl(m.Plan), m.tbl(m.Unit)
    ladder_id = func.coalesce(TMP_LADDER.c.ladder_id, 0)
    # archived plans, units and contacts (gone from config/) are never reminded
    base = (
        D.join(O, O.c.id == D.c.obligation_id)
        .join(P, and_(P.c.id == O.c.plan_id, P.c.archived_at.is_(None)))
        .join(U, and_(U.c.id == D.c.unit_id, U.c.archived_at.is_(None)))
        .outerjoin(TMP_LADDER, TMP_LADDER.c.obligation_id == D.c.obligation_id)
        .join(TMP_STEPS, and_(TMP_STEPS.c.ladder_id == ladder_id, TMP_STEPS.c.due_on == D.c.due_on))
    )
    # lets the planner start from the few due dates hit today (index on status, due_on)
    # instead of scanning every open deadline: the dates as values, not a subquery, which
    # PostgreSQL turned into a hash join after a scan of all 875,000 deadlines
    if not due_dates:
        return
    hit = D.c.due_on.in_(due_dates)
    cols = ["deadline_id", "step", "contact_id", "channel_code", "escalation", "due_on",
            "planned_for"]
    ins = insert_ignore(session)
    key = ["deadline_id", "step", "contact_id", "channel_code"]
    reporters = (
        select(D.c.id, TMP_STEPS.c.step, C.c.id, CC.c.channel_code, literal(False), D.c.due_on,
               literal(day))
        .select_from(base.join(C, and_(C.c.unit_id == D.c.unit_id, C.c.role == "focal_point"))
                     .join(CC, CC.c.contact_id == C.c.id))
        .where(D.c.status.in_(OPEN_STATES), hit, C.c.archived_at.is_(None))
    )
    session.execute(ins(TMP_ITEMS).from_select(cols, reporters)
                    .on_conflict_do_nothing(index_elements=key))
    # escalation: the recipient's focal point and the reporting unit's leader
    escalated = (
        select(D.c.id, TMP_STEPS.c.step, C.c.id, CC.c.channel_code, literal(True), D.c.due_on,
               literal(day))
        .select_from(base.join(C, or_(
            and_(C.c.unit_id == O.c.recipient_id, C.c.role == "focal_point"),
            and_(C.c.unit_id == D.c.unit_id, C.c.role == "leader"),
        )).join(CC, CC.c.contact_id == C.c.id))
        .where(D.c.status.in_(OPEN_STATES), hit, TMP_STEPS.c.escalation.is_(True),
               C.c.archived_at.is_(None))
    )
    session.execute(ins(TMP_ITEMS).from_select(cols, escalated)
                    .on_conflict_do_nothing(index_elements=key))


def _drop_already_planned(session: Session) -> tuple[int, int]:
    """Remove items planned by an earlier run; return (items, escalations) left."""
    N, I = m.tbl(m.Notification), TMP_ITEMS.c
    analyze(session, TMP_ITEMS)
    session.execute(TMP_ITEMS.delete().where(select(literal(1)).where(
        N.c.deadline_id == I.deadline_id, N.c.step == I.step,
        N.c.contact_id == I.contact_id, N.c.channel_code == I.channel_code).exists()))
    total, esc = session.execute(select(
        func.count(), func.coalesce(func.sum(case((I.escalation.is_(True), 1), else_=0)), 0),
    ).select_from(TMP_ITEMS)).one()
    return int(total), int(esc)


def _write_messages(session: Session, day: dt.date, sweep_id: int, run_no: int,
                    policy: Policy) -> int:
    """One digest message per (contact, channel); then the items, each with its message."""
    N, MSG, I, G = m.tbl(m.Notification), m.tbl(m.OutboxMessage), TMP_ITEMS.c, TMP_GROUPS.c
    dialect = session.get_bind().dialect.name
    send_at = max(dt.datetime.combine(day, policy.send_time, tzinfo=TZ), now())
    stamp = sql_instant(now(), dialect)
    key = (literal(f"rem.{day.isoformat()}.") + cast(I.contact_id, String)
           + literal(".") + I.channel_code + literal(f".{run_no}"))
    session.execute(insert(TMP_GROUPS).from_select(
        ["contact_id", "channel_code", "idempotency_key"],
        select(I.contact_id, I.channel_code, key).group_by(I.contact_id, I.channel_code)))
    sel = select(G.idempotency_key, G.contact_id, G.channel_code, literal("reminder"),
                 literal(day), literal(sweep_id), literal("pending"), literal(0),
                 literal(sql_instant(send_at, dialect)), literal(stamp)).where(true())
    cols = ["idempotency_key", "contact_id", "channel_code", "kind", "planned_for",
            "sweep_id", "status", "attempts", "next_attempt_at", "created_at"]
    count = m.rowcount(session.execute(
        insert_ignore(session)(MSG).from_select(cols, sel)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])))
    session.execute(update(TMP_GROUPS).values(message_id=select(MSG.c.id).where(
        MSG.c.idempotency_key == G.idempotency_key).scalar_subquery()))
    analyze(session, TMP_GROUPS)
    items = (
        select(I.deadline_id, I.step, I.contact_id, I.channel_code, I.escalation, I.due_on,
               I.planned_for, G.message_id, literal(stamp))
        .select_from(TMP_ITEMS.join(TMP_GROUPS, and_(G.contact_id == I.contact_id,
                                                     G.channel_code == I.channel_code)))
        .where(true())
    )
    session.execute(insert_ignore(session)(N).from_select(
        ["deadline_id", "step", "contact_id", "channel_code", "escalation", "due_on",
         "planned_for", "message_id", "created_at"], items)
        .on_conflict_do_nothing(index_elements=["deadline_id", "step", "contact_id",
                                                "channel_code"]))
    return count
