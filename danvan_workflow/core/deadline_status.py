"""Status of one reporting deadline and its pure transition rules.

States: ``open`` -> ``submitted_on_time`` | ``submitted_late`` | ``waived`` |
``extended`` (with ``extended_to``); ``extended`` -> submitted_* | waived |
``extended`` again (a later date).

============  ========================  ===========================================
event         allowed from              result
============  ========================  ===========================================
submit        open, extended            submitted_on_time / submitted_late
waive         open, extended            waived (reason required)
extend        open, extended            extended (reason, date after current due)
withdraw      submitted_*               open / extended (reason; the submission
                                        recorded by mistake is kept aside)
revoke        waived, extended          undo the last waiver or extension (reason):
                                        waived -> extended if it had been, else
                                        open; extended -> open (computed due date)
close year    open, extended            closed (reason required; set-based, see
                                        ``services.archive.close_year``)
cancel        open                      cancelled (rule / plan changed; set-based,
                                        see ``services.materialise``)
============  ========================  ===========================================

``closed`` ("Đã đóng (không nộp)") ends a deadline that was never submitted when
its year is closed out; it accepts no further event (``waived`` only ``revoke``).

``cancelled`` ("Đã hủy") marks a deadline removed because its rule or plan changed
(set-based, see ``services.materialise``). It is not open, not submitted and not
counted in the on-time rate, and it accepts no further event.

Module constants: :data:`OPEN_STATES` (open, extended: still awaiting a report)
and :data:`SUBMITTED_STATES` (submitted on time or late). Their members are
``StrEnum`` values, so they compare equal to, and bind in SQL as, the plain
strings stored in the database.

Lateness (:func:`assess_submission`) is measured against the effective due date
(``extended_to`` when extended). Received on or before it: on time. Received after
it: late by ``working_days_between(due, received)`` working days, i.e. working days
in ``(due, received]``. Choice for a report received on a day off after the due
date: it counts as received on the next working day, the day the receiving
office's clerk (văn thư) registers it. So a report due Friday and received
Saturday is late by 1 working day (as if received Monday), never "late by 0".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from danvan_workflow.core.reminders import WorkingDays
from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.errors import UserError

__all__ = [
    "OPEN_STATES",
    "SUBMITTED_STATES",
    "Deadline",
    "DeadlineEvent",
    "DeadlineState",
    "DeadlineTransitionError",
    "SubmissionAssessment",
    "WorkingDays",
    "assess_submission",
    "extend",
    "revoke",
    "submit",
    "waive",
    "withdraw",
]


def _d(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


class DeadlineState(StrEnum):
    OPEN = "open"
    SUBMITTED_ON_TIME = "submitted_on_time"
    SUBMITTED_LATE = "submitted_late"
    WAIVED = "waived"
    EXTENDED = "extended"
    CLOSED = "closed"  # closed without submission when its year was closed out
    CANCELLED = "cancelled"  # removed because its rule / plan changed

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def is_open(self) -> bool:
        """Still awaiting a report (open or extended)."""
        return self in OPEN_STATES

    @property
    def submitted(self) -> bool:
        return self in SUBMITTED_STATES

    @property
    def closed(self) -> bool:
        """Accepts no further event: submitted, waived, closed or cancelled."""
        return not self.is_open


_STATE_LABELS: dict[DeadlineState, str] = {
    DeadlineState.OPEN: "Chưa nộp",
    DeadlineState.SUBMITTED_ON_TIME: "Đã nộp đúng hạn",
    DeadlineState.SUBMITTED_LATE: "Đã nộp trễ hạn",
    DeadlineState.WAIVED: "Được miễn",
    DeadlineState.EXTENDED: "Đã gia hạn",
    DeadlineState.CLOSED: "Đã đóng (không nộp)",
    DeadlineState.CANCELLED: "Đã hủy",
}

OPEN_STATES: tuple[DeadlineState, ...] = (DeadlineState.OPEN, DeadlineState.EXTENDED)
"""Still awaiting a report."""
SUBMITTED_STATES: tuple[DeadlineState, ...] = (
    DeadlineState.SUBMITTED_ON_TIME,
    DeadlineState.SUBMITTED_LATE,
)
"""A report was received (on time or late)."""


class DeadlineEvent(StrEnum):
    SUBMIT = "submit"
    WAIVE = "waive"
    EXTEND = "extend"
    WITHDRAW = "withdraw"
    REVOKE = "revoke"

    @property
    def label(self) -> str:
        return {"submit": "nộp báo cáo", "waive": "miễn nộp", "extend": "gia hạn",
                "withdraw": "rút lại báo cáo đã ghi nhận",
                "revoke": "hủy gia hạn hoặc miễn nộp"}[self.value]


class DeadlineTransitionError(UserError):
    """A refused deadline transition; the message is Vietnamese."""


class SubmissionAssessment(NamedTuple):
    on_time: bool
    late_working_days: int


def assess_submission(due: dt.date, received: dt.date, cal: WorkingDays) -> SubmissionAssessment:
    """On time when ``received <= due``; otherwise late by working days (module docstring)."""
    if received <= due:
        return SubmissionAssessment(on_time=True, late_working_days=0)
    late = cal.working_days_between(due, received)
    if not cal.is_working_day(received):
        late += 1  # registered on the next working day
    return SubmissionAssessment(on_time=False, late_working_days=late)


@dataclass(frozen=True)
class Deadline:
    """One deadline's status. Transitions return a new value (never mutate)."""

    due: dt.date
    state: DeadlineState = DeadlineState.OPEN
    extended_to: dt.date | None = None
    received: dt.date | None = None
    late_working_days: int = 0
    reason: str | None = None  # of the last waive / extend

    @property
    def effective_due(self) -> dt.date:
        return self.extended_to or self.due


def _refuse(deadline: Deadline, event: DeadlineEvent, why: str = "") -> DeadlineTransitionError:
    return DeadlineTransitionError(
        nfc(
            f"Không thể {event.label}: hạn ngày {_d(deadline.effective_due)} đang ở trạng thái "
            f"'{deadline.state.label}'.{why}"
        )
    )


def _required_reason(event: DeadlineEvent, reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise DeadlineTransitionError(
            nfc(f"Không thể {event.label}: cần ghi rõ lý do."), field="lý do"
        )
    return nfc(reason.strip())


def submit(deadline: Deadline, received: dt.date, cal: WorkingDays) -> Deadline:
    """Record the report received on `received`; refused once submitted or waived."""
    if deadline.state.closed:
        raise _refuse(deadline, DeadlineEvent.SUBMIT)
    on_time, late = assess_submission(deadline.effective_due, received, cal)
    return dataclasses.replace(
        deadline,
        state=DeadlineState.SUBMITTED_ON_TIME if on_time else DeadlineState.SUBMITTED_LATE,
        received=received,
        late_working_days=late,
    )


def waive(deadline: Deadline, reason: str | None) -> Deadline:
    """Exempt the unit from this deadline; refused once submitted or already waived."""
    if deadline.state.closed:
        raise _refuse(deadline, DeadlineEvent.WAIVE)
    return dataclasses.replace(
        deadline, state=DeadlineState.WAIVED, reason=_required_reason(DeadlineEvent.WAIVE, reason)
    )


def extend(deadline: Deadline, new_due: dt.date, reason: str | None) -> Deadline:
    """Move the due date later; refused once submitted or waived."""
    if deadline.state.closed:
        raise _refuse(deadline, DeadlineEvent.EXTEND)
    text = _required_reason(DeadlineEvent.EXTEND, reason)
    if new_due <= deadline.effective_due:
        raise DeadlineTransitionError(
            nfc(
                f"Không thể gia hạn: ngày mới {_d(new_due)} phải sau hạn hiện tại "
                f"{_d(deadline.effective_due)}."
            ),
            field="hạn mới",
        )
    return dataclasses.replace(
        deadline, state=DeadlineState.EXTENDED, extended_to=new_due, reason=text
    )


def withdraw(deadline: Deadline, reason: str | None) -> Deadline:
    """Undo a submission recorded by mistake (reason required): the deadline awaits its
    report again — extended if it had been extended, open otherwise."""
    if not deadline.state.submitted:
        raise _refuse(deadline, DeadlineEvent.WITHDRAW, " Chỉ rút lại được báo cáo đã ghi nhận.")
    return dataclasses.replace(
        deadline,
        state=DeadlineState.EXTENDED if deadline.extended_to else DeadlineState.OPEN,
        received=None, late_working_days=0,
        reason=_required_reason(DeadlineEvent.WITHDRAW, reason),
    )


def revoke(deadline: Deadline, reason: str | None) -> Deadline:
    """Undo the last waiver or extension (reason required), recorded by mistake.

    A waived deadline awaits its report again: extended when it had been extended
    before the waiver, open otherwise. An extended one goes back to its computed due
    date (open). Anything else is refused.
    """
    if deadline.state is DeadlineState.WAIVED:
        state = DeadlineState.EXTENDED if deadline.extended_to else DeadlineState.OPEN
        extended_to = deadline.extended_to
    elif deadline.state is DeadlineState.EXTENDED:
        state, extended_to = DeadlineState.OPEN, None
    else:
        raise _refuse(deadline, DeadlineEvent.REVOKE, " Chỉ hủy được hạn đã gia hạn hoặc miễn nộp.")
    return dataclasses.replace(deadline, state=state, extended_to=extended_to,
                               reason=_required_reason(DeadlineEvent.REVOKE, reason))
