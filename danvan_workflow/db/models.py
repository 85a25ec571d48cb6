"""SQLAlchemy 2 models: the product's schema.

Dates are `Date`; instants are `AwareDateTime` (never naive). JSON columns hold
structured rules and audit snapshots. Names follow docs/glossary.md.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    false as sa_false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from danvan_workflow.core.deadline_status import DeadlineState
from danvan_workflow.db.types import AwareDateTime
from danvan_workflow.timeutil import now

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: AwareDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


def _now() -> dt.datetime:
    return now()


# --- organisation -----------------------------------------------------------


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    sector: Mapped[str | None] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"),
                                                  index=True)  # the roll-up walks the tree
    assumed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    source_file: Mapped[str | None] = mapped_column(String(300))
    # set when the unit left config/: its history stays, it stops producing work
    archived_at: Mapped[dt.datetime | None] = mapped_column()

    parent: Mapped[Unit | None] = relationship(remote_side=[id])


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(200))
    zalo_user_id: Mapped[str | None] = mapped_column(String(64))
    zalo_chat_id: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    channels: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # true: `channels` is a fallback chain (send on the first, move on when it refuses)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    source_file: Mapped[str | None] = mapped_column(String(300))
    archived_at: Mapped[dt.datetime | None] = mapped_column()

    unit: Mapped[Unit] = relationship()


class ContactChannel(Base):
    """Which channels reach a contact: expanded at config load from the contact's addresses."""

    __tablename__ = "contact_channels"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    channel_code: Mapped[str] = mapped_column(String(32), primary_key=True)


class Channel(Base):
    """A delivery channel. `url` holds an Apprise URL with ${ENV} references, never a secret."""

    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(500))
    rate_per_second: Mapped[float] = mapped_column(Numeric(8, 2), default=10)
    concurrency: Mapped[int] = mapped_column(Integer, default=4)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)


class CalendarOverride(Base):
    __tablename__ = "calendar_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # day_off | working_day
    name: Mapped[str] = mapped_column(String(300))
    document: Mapped[str | None] = mapped_column(String(300))
    source_file: Mapped[str | None] = mapped_column(String(300))


class CalendarYear(Base):
    """A year's calendar file: whether its swaps are confirmed by an official document."""

    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    documents: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source_file: Mapped[str | None] = mapped_column(String(300))


class ConfigDocument(Base):
    """Small configuration documents kept whole (e.g. the reminder policy)."""

    __tablename__ = "config_documents"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_file: Mapped[str | None] = mapped_column(String(300))


# --- plans --------------------------------------------------------------------


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    issuer_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(300))
    assumed: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source_file: Mapped[str | None] = mapped_column(String(300))
    # validity: duties start no earlier than valid_from (else issued_on, else 1/1 of
    # `year`) and end at valid_until (else 31/12 of `year` unless `recurs`)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    recurs: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[dt.datetime | None] = mapped_column()

    issuer: Mapped[Unit] = relationship()


class PlanTask(Base):
    __tablename__ = "plan_tasks"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    timing_text: Mapped[str | None] = mapped_column(String(300))
    rules: Mapped[list[Any]] = mapped_column(JSON, default=list)


class PlanTaskUnit(Base):
    """A unit's part in a task: directing, advising or implementing."""

    __tablename__ = "plan_task_units"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)


class Obligation(Base):
    """Who reports what to whom, on which schedule rule."""

    __tablename__ = "obligations"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("plan_tasks.id", ondelete="SET NULL"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    timing_text: Mapped[str | None] = mapped_column(String(300))
    rules: Mapped[list[Any]] = mapped_column(JSON)
    rule_kind: Mapped[str] = mapped_column(String(32))
    reminders: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    plan: Mapped[Plan] = relationship()
    recipient: Mapped[Unit] = relationship()


class ObligationReporter(Base):
    __tablename__ = "obligation_reporters"

    obligation_id: Mapped[int] = mapped_column(
        ForeignKey("obligations.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )


class Deadline(Base):
    """One occurrence of an obligation for one reporting unit and period.

    `due_on` is the effective due date (after an extension); `original_due_on`
    keeps the computed one. Continuous tasks and windows may have no due date.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        # (obligation, period) first: materialise finds an occurrence's deadlines by it
        UniqueConstraint("obligation_id", "period_key", "unit_id"),
        Index("ix_deadlines_status_due", "status", "due_on"),
        # covers the per-unit figures (services/figures.py): one index scan, no table reads
        Index("ix_deadlines_unit_figures", "unit_id", "obligation_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    obligation_id: Mapped[int] = mapped_column(ForeignKey("obligations.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(64))
    period_label: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    original_due_on: Mapped[dt.date | None] = mapped_column(Date)
    window_end: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24), default=DeadlineState.OPEN.value)
    model_id: Mapped[int | None] = mapped_column(ForeignKey("dvk_models.id", ondelete="CASCADE"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now)

    obligation: Mapped[Obligation] = relationship()
    unit: Mapped[Unit] = relationship()


class UnitFigures(Base):
    """Read model: per unit and plan, the deadlines due by `FiguresState.as_of` that were
    reported on time, late, or not yet (overdue), and how many were due.

    Derived data, kept current by services/figures.py: refreshed whole for a day, and for
    the units an action touched when it commits. The dashboards read it instead of
    scanning every deadline.
    """

    __tablename__ = "unit_figures"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"),
                                         primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"),
                                         primary_key=True)
    on_time: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    due: Mapped[int] = mapped_column(Integer)


class FiguresState(Base):
    """The one row saying for which day `unit_figures` holds, and whether it still does."""

    __tablename__ = "figures_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    as_of: Mapped[dt.date | None] = mapped_column(Date)
    stale: Mapped[bool] = mapped_column(Boolean, default=True)
    refreshed_at: Mapped[dt.datetime | None] = mapped_column()


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(
        ForeignKey("deadlines.id", ondelete="CASCADE"), unique=True
    )
    received_on: Mapped[dt.date] = mapped_column(Date)
    document_number: Mapped[str | None] = mapped_column(String(64))
    attachment: Mapped[str | None] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=_now)
    on_time: Mapped[bool] = mapped_column(Boolean)
    late_working_days: Mapped[int] = mapped_column(Integer, default=0)


class WithdrawnSubmission(Base):
    """A submission an operator withdrew (recorded by mistake): kept, with who, when, why."""

    __tablename__ = "withdrawn_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(Integer)  # its id while it was recorded
    deadline_id: Mapped[int] = mapped_column(
        ForeignKey("deadlines.id", ondelete="CASCADE"), index=True)
    received_on: Mapped[dt.date] = mapped_column(Date)
    document_number: Mapped[str | None] = mapped_column(String(64))
    attachment: Mapped[str | None] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column()
    on_time: Mapped[bool] = mapped_column(Boolean)
    late_working_days: Mapped[int] = mapped_column(Integer, default=0)
    withdrawn_by: Mapped[str] = mapped_column(String(100))
    withdrawn_at: Mapped[dt.datetime] = mapped_column(default=_now)
    reason: Mapped[str] = mapped_column(Text)


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


# --- "Dân vận khéo" models ------------------------------------------------------


class DvkModel(Base):
    __tablename__ = "dvk_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(32))
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    batch: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32), default="registered")
    assignment_notice: Mapped[str | None] = mapped_column(String(100))
    recognition_level: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)

    unit: Mapped[Unit] = relationship()


class ModelTransition(Base):
    __tablename__ = "dvk_model_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("dvk_models.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(default=_now)
    actor: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class Quota(Base):
    __tablename__ = "quotas"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    selector: Mapped[dict[str, Any]] = mapped_column(JSON)
    min_models: Mapped[int] = mapped_column(Integer)


# --- inspections ----------------------------------------------------------------


class InspectionRound(Base):
    __tablename__ = "inspection_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))  # mid_year | year_end | ad_hoc
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    report_due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class InspectionTeam(Base):
    __tablename__ = "inspection_teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_rounds.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    members: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{name, role}]


class InspectionVisit(Base):
    __tablename__ = "inspection_visits"
    __table_args__ = (UniqueConstraint("team_id", "unit_id", "model_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("inspection_teams.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    model_id: Mapped[int | None] = mapped_column(ForeignKey("dvk_models.id", ondelete="CASCADE"))
    visit_on: Mapped[dt.date | None] = mapped_column(Date)
    findings: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(32))
    recorded_by: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime | None] = mapped_column()


# --- scorecards and targets -------------------------------------------------------


class ScoreCriterion(Base):
    __tablename__ = "score_criteria"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(500))
    max_points: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    bonus_points: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(0))


class ClassificationThreshold(Base):
    __tablename__ = "classification_thresholds"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(64))
    min_points: Mapped[Decimal] = mapped_column(Numeric(8, 2))


class ScoringBody(Base):
    __tablename__ = "scoring_bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    scorer_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    scored: Mapped[list[Any]] = mapped_column(JSON)  # selectors
    due_rule: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("unit_id", "year", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("score_criteria.id", ondelete="CASCADE"))
    points: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    bonus: Mapped[Decimal] = mapped_column(Numeric(8, 2), default=Decimal(0))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=_now)


class Target(Base):
    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(500))
    fact: Mapped[str] = mapped_column(String(64))
    population: Mapped[list[Any]] = mapped_column(JSON)
    threshold_percent: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    comparison: Mapped[str] = mapped_column(String(2))


class UnitFact(Base):
    """A recorded fact about a unit in a year, e.g. `plan_disseminated`."""

    __tablename__ = "unit_facts"
    __table_args__ = (UniqueConstraint("unit_id", "fact", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    fact: Mapped[str] = mapped_column(String(64))
    year: Mapped[int] = mapped_column(Integer)
    value: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=_now)


# --- notifications ---------------------------------------------------------------


class OutboxMessage(Base):
    """One message to one contact on one channel; what the dispatcher sends.

    status: pending | sending | sent | retry | dead | unconfigured | cancelled
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    channel_code: Mapped[str] = mapped_column(String(32))
    target: Mapped[str | None] = mapped_column(String(300))  # explicit Apprise URL (test sends)
    kind: Mapped[str] = mapped_column(String(16))  # reminder | test | alert
    planned_for: Mapped[dt.date] = mapped_column(Date)
    sweep_id: Mapped[int | None] = mapped_column(Integer, index=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column()
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    sent_at: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    # the message this one re-sends on the next channel of the contact's fallback chain
    fallback_of: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    # chunks of a long chat message already delivered (a retry sends only the rest)
    chunks_sent: Mapped[int] = mapped_column(Integer, default=0)
    # set when a dispatcher starts the send, cleared when its result is recorded: a lease
    # that expires with this set means the send may have gone out (see services/outbox.py)
    send_started_at: Mapped[dt.datetime | None] = mapped_column()
    # a copy may have reached the recipient before this one (a send in flight was lost)
    maybe_duplicate: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=sa_false())


class Notification(Base):
    """A planned reminder item: unique per (deadline, ladder step, recipient, channel)."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("deadline_id", "step", "contact_id", "channel_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"))
    step: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    channel_code: Mapped[str] = mapped_column(String(32))
    escalation: Mapped[bool] = mapped_column(Boolean, default=False)
    due_on: Mapped[dt.date] = mapped_column(Date)  # the due date the step was computed for
    planned_for: Mapped[dt.date] = mapped_column(Date)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=_now)
    worker: Mapped[str] = mapped_column(String(100))
    # sent | retry | dead | unconfigured | unknown (in flight when its dispatcher stopped)
    result: Mapped[str] = mapped_column(String(16))
    provider_reply: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    channel_code: Mapped[str | None] = mapped_column(String(32))  # the channel tried


class SweepRun(Base):
    """One day's sweep; the last one tells the next run which days to catch up."""

    __tablename__ = "sweep_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_date: Mapped[dt.date] = mapped_column(Date, unique=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    stats: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- Zalo: tokens, rate limits, inbound events ------------------------------------


class ZaloToken(Base):
    """The rotating OAuth tokens of the Zalo app (OA and ZNS share them), encrypted.

    The refresh token is single-use: every refresh stores the new one under a row lock.
    """

    __tablename__ = "zalo_tokens"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    refresh_token: Mapped[str] = mapped_column(Text)  # Fernet token (DANVAN_SECRET_KEY)
    access_token: Mapped[str | None] = mapped_column(Text)  # Fernet token
    access_expires_at: Mapped[dt.datetime | None] = mapped_column()
    refreshed_at: Mapped[dt.datetime | None] = mapped_column()
    generation: Mapped[int] = mapped_column(Integer, default=0)
    failed_at: Mapped[dt.datetime | None] = mapped_column()  # a permanent refresh failure
    last_error: Mapped[str | None] = mapped_column(Text)  # redacted
    updated_at: Mapped[dt.datetime] = mapped_column(default=_now)


class RateBucket(Base):
    """Rate limit of a channel shared by every worker: the next free sending slot."""

    __tablename__ = "rate_buckets"

    channel_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)  # epoch seconds


class InboundEvent(Base):
    """A verified inbound event (Zalo OA or Bot webhook), stored once per event id."""

    __tablename__ = "inbound_events"
    __table_args__ = (UniqueConstraint("source", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))  # zalo_oa | zalo_bot
    event_id: Mapped[str] = mapped_column(String(128))
    event_name: Mapped[str] = mapped_column(String(64))
    sender_id: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"))
    received_at: Mapped[dt.datetime] = mapped_column(default=_now)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    outcome: Mapped[str | None] = mapped_column(String(32))


class LinkCode(Base):
    """A one-time code an operator gives a person to link their Zalo account (hashed)."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()


class ZaloLink(Base):
    """A Zalo address learnt from a linking message (kept across config loads)."""

    __tablename__ = "zalo_links"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(16), primary_key=True)  # zalo_user_id | ..chat_id
    address: Mapped[str] = mapped_column(String(64))
    linked_at: Mapped[dt.datetime] = mapped_column(default=_now)


class SubmissionClaim(Base):
    """A person's "đã nộp" reply: a claim an operator confirms (or rejects) later."""

    __tablename__ = "submission_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(
        ForeignKey("inbound_events.id", ondelete="CASCADE"), unique=True)
    deadline_id: Mapped[int | None] = mapped_column(
        ForeignKey("deadlines.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|confirmed|rejected
    created_at: Mapped[dt.datetime] = mapped_column(default=_now)
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(100))


def tbl(model: type[Base]) -> Table:
    """The Core table of a model, typed as a Table (for set-based statements)."""
    return cast(Table, model.__table__)


def rowcount(result: Any) -> int:
    """Rows affected by an INSERT/UPDATE/DELETE (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)
