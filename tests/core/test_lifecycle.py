from __future__ import annotations

import datetime as dt
import itertools
import unicodedata

import pytest

from danvan_workflow.core.lifecycle import (
    REQUIRED_FIELDS,
    TRANSITIONS,
    Event,
    IllegalTransition,
    InvalidRegistration,
    MissingField,
    ModelField,
    State,
    TransitionInput,
    add_months,
    allowed_events,
    parse_registration,
    self_review_due_dates,
    transition,
    validate_registration,
)
from danvan_workflow.errors import UserError

FULL = TransitionInput(
    assignment_notice="Thông báo số 123-TB/ThU", reason="Trùng nội dung", level="cấp thị xã"
)

ILLEGAL = [(s, e) for s, e in itertools.product(State, Event) if (s, e) not in TRANSITIONS]


def walk(events: list[Event]) -> State:
    state = State.REGISTERED
    for event in events:
        state = transition(state, event, FULL).new_state
    return state


def test_first_half_path_to_replication() -> None:
    path = [
        Event.APPROVE,
        Event.START,
        Event.SELF_REVIEW_3M,
        Event.INSPECT_MID_YEAR,
        Event.INSPECT_YEAR_END,
        Event.RECOGNISE,
        Event.REPLICATE,
    ]
    assert walk(path) is State.REPLICATED


def test_second_half_model_skips_mid_year_inspection() -> None:
    assert walk([Event.APPROVE, Event.START, Event.SELF_REVIEW_3M, Event.INSPECT_YEAR_END]) is (
        State.INSPECTED_YEAR_END
    )


@pytest.mark.parametrize(("state", "event"), sorted(TRANSITIONS, key=str))
def test_every_legal_transition(state: State, event: Event) -> None:
    result = transition(state, event, FULL)
    assert result.new_state is TRANSITIONS[(state, event)]
    assert result.changes["state"] == result.new_state.value


def test_every_state_is_reachable_and_every_edge_walked() -> None:
    reached = {State.REGISTERED}
    frontier = [State.REGISTERED]
    walked: set[tuple[State, Event]] = set()
    while frontier:
        state = frontier.pop()
        for event in allowed_events(state):
            new = transition(state, event, FULL).new_state
            walked.add((state, event))
            if new not in reached:
                reached.add(new)
                frontier.append(new)
    assert reached == set(State)
    assert walked == set(TRANSITIONS)


def test_terminal_states() -> None:
    assert {s for s in State if s.terminal} == {
        State.REJECTED,
        State.NOT_RECOGNISED,
        State.REPLICATED,
    }


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_every_illegal_pair_raises(state: State, event: Event) -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(state, event, FULL)
    message = str(info.value)
    assert state.label in message and event.label in message
    assert isinstance(info.value, UserError)
    assert info.value.allowed == allowed_events(state)
    for allowed in allowed_events(state):
        assert allowed.label in message


def test_illegal_message_wording() -> None:
    with pytest.raises(IllegalTransition) as info:
        transition(State.IMPLEMENTING, Event.RECOGNISE, FULL)
    message = str(info.value)
    assert message.startswith("Không thể 'Công nhận' mô hình đang ở trạng thái 'Đang thực hiện'.")
    assert "'Tự đánh giá 3 tháng'" in message
    assert message == unicodedata.normalize("NFC", message)


def test_inspect_year_end_not_from_implementing() -> None:
    with pytest.raises(IllegalTransition):
        transition(State.IMPLEMENTING, Event.INSPECT_YEAR_END, FULL)


@pytest.mark.parametrize("event", list(REQUIRED_FIELDS))
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_missing_required_field(event: Event, blank: str | None) -> None:
    state = next(s for (s, e) in TRANSITIONS if e is event)
    ((attr, label),) = REQUIRED_FIELDS[event]
    payload = TransitionInput(**{attr: blank})  # type: ignore[arg-type]
    with pytest.raises(MissingField) as info:
        transition(state, event, payload)
    assert info.value.field_code == attr
    assert info.value.field == label
    assert label in str(info.value)


def test_changes_record_payload() -> None:
    on = dt.date(2023, 3, 1)
    result = transition(
        State.REGISTERED,
        Event.APPROVE,
        TransitionInput(assignment_notice="  Thông báo số 123-TB/ThU ", on=on, note="ghi chú"),
    )
    assert result.changes == {
        "state": "approved",
        "assignment_notice": "Thông báo số 123-TB/ThU",
        "approve_on": on,
        "note": "ghi chú",
    }
    assert (
        transition(State.INSPECTED_YEAR_END, Event.RECOGNISE, FULL).changes["recognition_level"]
        == "cấp thị xã"
    )
    assert transition(State.REGISTERED, Event.REJECT, FULL).changes["rejection_reason"] == (
        "Trùng nội dung"
    )


def test_labels_are_nfc_vietnamese() -> None:
    assert State.REJECTED.label == "Không duyệt"
    assert State.RECOGNISED.label == "Được công nhận"
    for s in State:
        assert s.label == unicodedata.normalize("NFC", s.label)
    assert ModelField.VAN_HOA_XA_HOI.label == "Văn hóa – xã hội"


# ---------------------------------------------------------------- registration

GOOD: dict[str, object] = {
    "name": "Dân vận khéo trong giải phóng mặt bằng",
    "address": "Phường Phổ Ninh, thị xã Đức Phổ",
    "field": "kinh_te",
    "start": "2023-03-01",
    "end": dt.date(2023, 11, 30),
    "content": "Vận động nhân dân hiến đất làm đường",
    "owner": "Nguyễn Văn A",
    "unit_code": "DP.PN.DU",
    "batch": "first_half",
}


def test_valid_registration() -> None:
    assert validate_registration(GOOD) == []
    reg = parse_registration(GOOD)
    assert reg.start == dt.date(2023, 3, 1)
    assert reg.field is ModelField.KINH_TE
    assert reg.batch.label == "Đợt 6 tháng đầu năm"


def test_registration_problems_name_fields_in_vietnamese() -> None:
    data = dict(GOOD, name=" ", field="the_thao", end="2023-03-01", batch=None, extra=1)
    del data["owner"]
    problems = {p.field: p for p in validate_registration(data)}
    assert set(problems) == {"name", "field", "end", "batch", "owner", "extra"}
    assert problems["name"].label == "Tên mô hình"
    assert problems["owner"].label == "Chủ mô hình / người phụ trách"
    assert "phải sau" in problems["end"].message
    assert "Kinh tế" in problems["field"].message
    with pytest.raises(InvalidRegistration) as info:
        parse_registration(data)
    assert "Tên mô hình: Không được để trống." in str(info.value)


def test_bad_date() -> None:
    problems = validate_registration(dict(GOOD, start="01/03/2023"))
    assert [p.field for p in problems] == ["start"]


# ---------------------------------------------------------------- self-review


def test_self_review_due_dates() -> None:
    assert self_review_due_dates(dt.date(2023, 3, 1)) == [dt.date(2023, 6, 1), dt.date(2023, 9, 1)]
    assert self_review_due_dates(dt.date(2023, 8, 31)) == [
        dt.date(2023, 11, 30),
        dt.date(2024, 2, 29),
    ]
    assert self_review_due_dates(dt.date(2022, 8, 31), months=(6,)) == [dt.date(2023, 2, 28)]
    assert add_months(dt.date(2023, 11, 30), 3) == dt.date(2024, 2, 29)
    with pytest.raises(ValueError):
        self_review_due_dates(dt.date(2023, 1, 1), months=(0,))


def test_undo_reverts_the_latest_event_not_already_undone() -> None:
    from danvan_workflow.core.lifecycle import event_to_undo

    reg = ("register", None)
    assert event_to_undo([reg]) is None
    assert event_to_undo([reg, ("approve", "registered")]) == 1
    hist = [reg, ("approve", "registered"), ("start", "approved"), ("undo", "implementing")]
    assert event_to_undo(hist) == 1  # start is undone: next comes the approval
    assert event_to_undo([*hist, ("undo", "approved")]) is None
    assert event_to_undo([*hist, ("start", "approved")]) == 4
