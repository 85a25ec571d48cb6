"""State machine of a "Dân vận khéo" model (mô hình, điển hình), after plan 26-KH/BCĐ.

The plan's six steps map onto states as follows:

1. Bước 1 – register: a unit sends the model (``registered``).
2. Bước 2 – the steering committee reviews it; the Standing Committee issues an
   assignment notice (``approved``, with the notice number) or the model is turned
   down (``rejected``, with a reason).
3. Bước 3 – the unit builds the model (``implementing``).
4. Bước 4 – periodic self-review after 3 and 6 months (``self_reviewed_3m``,
   ``self_reviewed_6m``); the committee's mid-year inspection round
   (``inspected_mid_year``, report "chậm nhất ngày 25/7").
5. Bước 5 – year-end inspection round (``inspected_year_end``, report
   "chậm nhất ngày 15/12") and recognition at the year-end conference
   (``recognised`` with a level such as "cấp thị xã", or ``not_recognised``).
6. Bước 6 – lessons and replication (``replicated``).

Transition table (current state, event -> new state)::

    registered          approve           -> approved            needs assignment_notice
    registered          reject            -> rejected            needs reason
    approved            start             -> implementing
    implementing        self_review_3m    -> self_reviewed_3m
    implementing        inspect_mid_year  -> inspected_mid_year
    self_reviewed_3m    self_review_6m    -> self_reviewed_6m
    self_reviewed_3m    inspect_mid_year  -> inspected_mid_year
    self_reviewed_3m    inspect_year_end  -> inspected_year_end
    self_reviewed_6m    inspect_mid_year  -> inspected_mid_year
    self_reviewed_6m    inspect_year_end  -> inspected_year_end
    inspected_mid_year  inspect_year_end  -> inspected_year_end
    inspected_year_end  recognise         -> recognised          needs level
    inspected_year_end  not_recognise     -> not_recognised
    recognised          replicate         -> replicated

Terminal states: ``rejected``, ``not_recognised``, ``replicated``.

Decisions:

* Year-end inspection is allowed from ``inspected_mid_year`` (first-half models),
  ``self_reviewed_6m`` and ``self_reviewed_3m``. Models of the second-half batch
  ("đăng ký bổ sung các mô hình đợt 6 tháng cuối năm") are approved after the
  mid-year round, so they skip it; started around August, their 6-month
  self-review would fall in the next year, after the 15/12 report, so requiring
  it would make every second-half model impossible to recognise in its year.
* Year-end inspection is *not* allowed straight from ``implementing``: the plan
  inspects "trên cơ sở báo cáo kết quả cụ thể của các địa phương, đơn vị", so at
  least one self-review (or the mid-year inspection) must exist first. A model too
  young for that is carried over to the next year's round.
* The state records milestones only. Self-reviews that fall after the mid-year
  inspection (e.g. the 6-month review of a February model) are tracked as
  deadlines (see :func:`self_review_due_dates`), not as state changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from danvan_workflow.core.periods import add_months
from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.errors import UserError


class State(StrEnum):
    REGISTERED = "registered"
    APPROVED = "approved"
    REJECTED = "rejected"
    IMPLEMENTING = "implementing"
    SELF_REVIEWED_3M = "self_reviewed_3m"
    SELF_REVIEWED_6M = "self_reviewed_6m"
    INSPECTED_MID_YEAR = "inspected_mid_year"
    INSPECTED_YEAR_END = "inspected_year_end"
    RECOGNISED = "recognised"
    NOT_RECOGNISED = "not_recognised"
    REPLICATED = "replicated"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def terminal(self) -> bool:
        return not any(s is self for (s, _e) in TRANSITIONS)


_STATE_LABELS: dict[State, str] = {
    State.REGISTERED: "Đã đăng ký",
    State.APPROVED: "Đã duyệt",
    State.REJECTED: "Không duyệt",
    State.IMPLEMENTING: "Đang thực hiện",
    State.SELF_REVIEWED_3M: "Đã tự đánh giá 3 tháng",
    State.SELF_REVIEWED_6M: "Đã tự đánh giá 6 tháng",
    State.INSPECTED_MID_YEAR: "Đã kiểm tra giữa năm",
    State.INSPECTED_YEAR_END: "Đã kiểm tra cuối năm",
    State.RECOGNISED: "Được công nhận",
    State.NOT_RECOGNISED: "Không được công nhận",
    State.REPLICATED: "Đã nhân rộng",
}


class Event(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    START = "start"
    SELF_REVIEW_3M = "self_review_3m"
    SELF_REVIEW_6M = "self_review_6m"
    INSPECT_MID_YEAR = "inspect_mid_year"
    INSPECT_YEAR_END = "inspect_year_end"
    RECOGNISE = "recognise"
    NOT_RECOGNISE = "not_recognise"
    REPLICATE = "replicate"

    @property
    def label(self) -> str:
        return _EVENT_LABELS[self]


_EVENT_LABELS: dict[Event, str] = {
    Event.APPROVE: "Duyệt",
    Event.REJECT: "Không duyệt",
    Event.START: "Triển khai thực hiện",
    Event.SELF_REVIEW_3M: "Tự đánh giá 3 tháng",
    Event.SELF_REVIEW_6M: "Tự đánh giá 6 tháng",
    Event.INSPECT_MID_YEAR: "Kiểm tra giữa năm",
    Event.INSPECT_YEAR_END: "Kiểm tra cuối năm",
    Event.RECOGNISE: "Công nhận",
    Event.NOT_RECOGNISE: "Không công nhận",
    Event.REPLICATE: "Nhân rộng",
}

#: The whole machine: (current state, event) -> new state.
TRANSITIONS: Mapping[tuple[State, Event], State] = {
    (State.REGISTERED, Event.APPROVE): State.APPROVED,
    (State.REGISTERED, Event.REJECT): State.REJECTED,
    (State.APPROVED, Event.START): State.IMPLEMENTING,
    (State.IMPLEMENTING, Event.SELF_REVIEW_3M): State.SELF_REVIEWED_3M,
    (State.IMPLEMENTING, Event.INSPECT_MID_YEAR): State.INSPECTED_MID_YEAR,
    (State.SELF_REVIEWED_3M, Event.SELF_REVIEW_6M): State.SELF_REVIEWED_6M,
    (State.SELF_REVIEWED_3M, Event.INSPECT_MID_YEAR): State.INSPECTED_MID_YEAR,
    (State.SELF_REVIEWED_3M, Event.INSPECT_YEAR_END): State.INSPECTED_YEAR_END,
    (State.SELF_REVIEWED_6M, Event.INSPECT_MID_YEAR): State.INSPECTED_MID_YEAR,
    (State.SELF_REVIEWED_6M, Event.INSPECT_YEAR_END): State.INSPECTED_YEAR_END,
    (State.INSPECTED_MID_YEAR, Event.INSPECT_YEAR_END): State.INSPECTED_YEAR_END,
    (State.INSPECTED_YEAR_END, Event.RECOGNISE): State.RECOGNISED,
    (State.INSPECTED_YEAR_END, Event.NOT_RECOGNISE): State.NOT_RECOGNISED,
    (State.RECOGNISED, Event.REPLICATE): State.REPLICATED,
}

#: Payload fields an event requires: event -> ((payload attribute, Vietnamese label), ...).
REQUIRED_FIELDS: Mapping[Event, tuple[tuple[str, str], ...]] = {
    Event.APPROVE: (("assignment_notice", "số thông báo giao nhiệm vụ"),),
    Event.REJECT: (("reason", "lý do không duyệt"),),
    Event.RECOGNISE: (("level", "cấp công nhận"),),
}

#: Where each payload field is recorded on the model.
_RECORDED_AS: Mapping[tuple[Event, str], str] = {
    (Event.APPROVE, "assignment_notice"): "assignment_notice",
    (Event.REJECT, "reason"): "rejection_reason",
    (Event.RECOGNISE, "level"): "recognition_level",
}


def allowed_events(state: State) -> list[Event]:
    """Events accepted in `state`, in declaration order."""
    return [e for e in Event if (state, e) in TRANSITIONS]


class IllegalTransition(UserError):
    """The event is not allowed in the current state."""

    def __init__(self, state: State, event: Event) -> None:
        self.state = state
        self.event = event
        self.allowed = allowed_events(state)
        if self.allowed:
            hint = "Các thao tác được phép: " + ", ".join(f"'{e.label}'" for e in self.allowed)
            hint += "."
        else:
            hint = "Trạng thái này đã kết thúc, không còn thao tác nào."
        super().__init__(
            nfc(f"Không thể '{event.label}' mô hình đang ở trạng thái '{state.label}'. {hint}")
        )


class MissingField(UserError):
    """An event needs a payload field that is empty."""

    def __init__(self, event: Event, field_code: str, field_label: str) -> None:
        self.event = event
        self.field_code = field_code
        super().__init__(nfc(f"Thao tác '{event.label}' cần có {field_label}."), field=field_label)


@dataclass(frozen=True)
class TransitionInput:
    """What the operator supplies with an event. Unused fields are ignored."""

    assignment_notice: str | None = None  # e.g. "Thông báo số 123-TB/ThU"
    reason: str | None = None
    level: str | None = None  # e.g. "cấp thị xã"
    on: dt.date | None = None  # when it happened; recorded as "<event>_on"
    note: str | None = None


@dataclass(frozen=True)
class TransitionResult:
    """The new state and the fields to write on the model (always includes "state")."""

    new_state: State
    changes: Mapping[str, str | dt.date] = field(default_factory=dict)


def transition(current: State, event: Event, payload: TransitionInput) -> TransitionResult:
    """Apply `event` to a model in `current`.

    Raises :class:`IllegalTransition` when the table has no such edge and
    :class:`MissingField` when a required payload field is empty or blank.
    """
    new_state = TRANSITIONS.get((current, event))
    if new_state is None:
        raise IllegalTransition(current, event)
    changes: dict[str, str | dt.date] = {"state": new_state.value}
    for attr, label in REQUIRED_FIELDS.get(event, ()):
        value = getattr(payload, attr)
        if not isinstance(value, str) or not value.strip():
            raise MissingField(event, attr, label)
        changes[_RECORDED_AS[(event, attr)]] = nfc(value.strip())
    if payload.on is not None:
        changes[f"{event.value}_on"] = payload.on
    if payload.note is not None and payload.note.strip():
        changes["note"] = nfc(payload.note.strip())
    return TransitionResult(new_state=new_state, changes=changes)


UNDO = "undo"  # the history's name of an undone event (not an edge of the machine)


def event_to_undo(history: Sequence[tuple[str, str | None]]) -> int | None:
    """Which entry of a model's history (event, from_state), oldest first, an "undo"
    reverts: the latest event not already undone. None when only the registration is
    left (a registration recorded by mistake is withdrawn with its own reason: reject).

    Undos stack: two undos in a row revert the last two events.
    """
    pending = 0
    for i in range(len(history) - 1, -1, -1):
        event, from_state = history[i]
        if event == UNDO:
            pending += 1
        elif pending:
            pending -= 1
        elif from_state is None:
            return None
        else:
            return i
    return None


#: The model field an event wrote, cleared when the event is undone.
UNDONE_FIELDS: Mapping[str, str] = {"approve": "assignment_notice",
                                    "recognise": "recognition_level"}


# --------------------------------------------------------------------------- registration


class ModelField(StrEnum):
    KINH_TE = "kinh_te"
    VAN_HOA_XA_HOI = "van_hoa_xa_hoi"
    QUOC_PHONG_AN_NINH = "quoc_phong_an_ninh"
    XAY_DUNG_DANG = "xay_dung_dang"

    @property
    def label(self) -> str:
        return _MODEL_FIELD_LABELS[self]


_MODEL_FIELD_LABELS: dict[ModelField, str] = {
    ModelField.KINH_TE: "Kinh tế",
    ModelField.VAN_HOA_XA_HOI: "Văn hóa – xã hội",
    ModelField.QUOC_PHONG_AN_NINH: "Quốc phòng – an ninh",
    ModelField.XAY_DUNG_DANG: "Xây dựng Đảng và hệ thống chính trị",
}


class Batch(StrEnum):
    FIRST_HALF = "first_half"
    SECOND_HALF = "second_half"

    @property
    def label(self) -> str:
        return _BATCH_LABELS[self]


_BATCH_LABELS: dict[Batch, str] = {
    Batch.FIRST_HALF: "Đợt 6 tháng đầu năm",
    Batch.SECOND_HALF: "Đợt bổ sung 6 tháng cuối năm",
}

#: Registration keys and their Vietnamese labels (plan 26-KH/BCĐ, mục I.2).
REGISTRATION_FIELDS: Mapping[str, str] = {
    "name": "Tên mô hình",
    "address": "Địa chỉ",
    "field": "Lĩnh vực",
    "start": "Thời gian bắt đầu",
    "end": "Thời gian kết thúc",
    "content": "Nội dung thực hiện",
    "owner": "Chủ mô hình / người phụ trách",
    "unit_code": "Đơn vị đăng ký",
    "batch": "Đợt đăng ký",
}

_TEXT_FIELDS = ("name", "address", "content", "owner", "unit_code")


@dataclass(frozen=True)
class FieldProblem:
    """One registration problem. `field` is the key, `label` its Vietnamese name."""

    field: str
    label: str
    message: str

    def render(self) -> str:
        return f"{self.label}: {self.message}"


@dataclass(frozen=True)
class Registration:
    name: str
    address: str
    field: ModelField
    start: dt.date
    end: dt.date
    content: str
    owner: str
    unit_code: str
    batch: Batch


class InvalidRegistration(UserError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__(
            nfc(
                f"Đăng ký mô hình có {len(problems)} lỗi:\n"
                + "\n".join(p.render() for p in problems)
            )
        )

    def render(self) -> str:
        return self.message


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None  # an instant is not a day; refuse rather than guess the zone
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _problem(key: str, message: str) -> FieldProblem:
    return FieldProblem(field=key, label=REGISTRATION_FIELDS.get(key, key), message=message)


def validate_registration(data: Mapping[str, object]) -> list[FieldProblem]:
    """Check a registration (form or YAML mapping). Empty list means valid.

    Dates may be ``date`` objects or ISO strings; ``field`` and ``batch`` are codes.
    Unknown keys are problems, like everywhere in the configuration.
    """
    problems: list[FieldProblem] = []
    for key in data:
        if key not in REGISTRATION_FIELDS:
            problems.append(FieldProblem(field=key, label=key, message="Trường không được hỗ trợ."))
    for key in _TEXT_FIELDS:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            problems.append(_problem(key, "Không được để trống."))
        elif not isinstance(value, str):
            problems.append(_problem(key, "Phải là văn bản."))
    field_value = data.get("field")
    if field_value is None or field_value == "":
        problems.append(_problem("field", "Không được để trống."))
    elif field_value not in {f.value for f in ModelField}:
        allowed = ", ".join(f"{f.value} ({f.label})" for f in ModelField)
        problems.append(_problem("field", f"Giá trị không hợp lệ; chọn một trong: {allowed}."))
    batch_value = data.get("batch")
    if batch_value is None or batch_value == "":
        problems.append(_problem("batch", "Không được để trống."))
    elif batch_value not in {b.value for b in Batch}:
        allowed = ", ".join(f"{b.value} ({b.label})" for b in Batch)
        problems.append(_problem("batch", f"Giá trị không hợp lệ; chọn một trong: {allowed}."))
    dates: dict[str, dt.date] = {}
    for key in ("start", "end"):
        raw = data.get(key)
        if raw is None or raw == "":
            problems.append(_problem(key, "Không được để trống."))
            continue
        parsed = _as_date(raw)
        if parsed is None:
            problems.append(_problem(key, "Ngày không hợp lệ (định dạng YYYY-MM-DD)."))
        else:
            dates[key] = parsed
    if "start" in dates and "end" in dates and dates["end"] <= dates["start"]:
        problems.append(
            _problem(
                "end",
                "Thời gian kết thúc phải sau thời gian bắt đầu "
                f"({dates['start'].strftime('%d/%m/%Y')}).",
            )
        )
    return [FieldProblem(p.field, nfc(p.label), nfc(p.message)) for p in problems]


def parse_registration(data: Mapping[str, object]) -> Registration:
    """Validate and build; raises :class:`InvalidRegistration` listing every problem."""
    problems = validate_registration(data)
    if problems:
        raise InvalidRegistration(problems)

    def text(key: str) -> str:
        value = data[key]
        assert isinstance(value, str)
        return nfc(value.strip())

    start = _as_date(data["start"])
    end = _as_date(data["end"])
    assert start is not None and end is not None
    return Registration(
        name=text("name"),
        address=text("address"),
        field=ModelField(str(data["field"])),
        start=start,
        end=end,
        content=text("content"),
        owner=text("owner"),
        unit_code=text("unit_code"),
        batch=Batch(str(data["batch"])),
    )


# --------------------------------------------------------------------------- self-review


def self_review_due_dates(start: dt.date, months: Iterable[int] = (3, 6)) -> list[dt.date]:
    """Due dates ("by" mode) of the periodic self-reviews (Bước 4: "Định kỳ 3 tháng, 6 tháng").

    31/8 + 6 months -> 28/2 (or 29/2). Returned sorted, without duplicates.
    """
    result: set[dt.date] = set()
    for m in months:
        if m <= 0:
            raise ValueError(f"months must be positive, got {m}")
        result.add(add_months(start, m))
    return sorted(result)
