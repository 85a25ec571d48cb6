"""'Dân vận khéo' models: registration, every legal and illegal transition, quotas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from danvan_workflow.core.lifecycle import TRANSITIONS, Event, State
from danvan_workflow.db.models import AuditEntry, Deadline, DvkModel, ModelTransition
from danvan_workflow.db.session import session_scope
from danvan_workflow.errors import UserError
from danvan_workflow.services import config, models_dvk

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small_config"
PLAN = "26-KH/BCĐ"

PAYLOADS: dict[Event, dict[str, Any]] = {
    Event.APPROVE: {"assignment_notice": "Thông báo số 12-TB/BCĐ"},
    Event.REJECT: {"reason": "Trùng nội dung"},
    Event.RECOGNISE: {"level": "cấp thị xã"},
}


@pytest.fixture
def db(sqlite_url: str) -> Iterator[str]:
    config.load(SMALL)
    yield sqlite_url


def _data(unit: str = "PA.DU", name: str = "Dân vận khéo trong xây dựng nông thôn mới",
          start: str = "2026-02-01") -> dict[str, object]:
    return {"name": name, "address": "Khu phố 1, phường An", "field": "kinh_te",
            "start": start, "end": "2026-12-31", "content": "Vận động nhân dân hiến đất",
            "owner": "Nguyễn Văn Bảy", "unit_code": unit, "batch": "first_half"}


def _register(s: Session, **kw: str) -> int:
    return models_dvk.register_model(s, _data(**kw), "test", plan_code=PLAN).model_id


def _counts(s: Session) -> tuple[int, ...]:
    return tuple(s.scalar(select(func.count()).select_from(t)) or 0
                 for t in (AuditEntry, ModelTransition, Deadline, DvkModel))


def _path_to(target: State) -> list[Event]:
    """Shortest event path from registered to `target` (breadth-first over the table)."""
    paths: dict[State, list[Event]] = {State.REGISTERED: []}
    frontier = [State.REGISTERED]
    while frontier:
        nxt = []
        for st in frontier:
            for (frm, ev), to in TRANSITIONS.items():
                if frm is st and to not in paths:
                    paths[to] = [*paths[st], ev]
                    nxt.append(to)
        frontier = nxt
    return paths[target]


def test_register_and_walk_happy_path(db: str) -> None:
    with session_scope() as s:
        mid = _register(s)
    walk = [Event.APPROVE, Event.START, Event.SELF_REVIEW_3M, Event.SELF_REVIEW_6M,
            Event.INSPECT_MID_YEAR, Event.INSPECT_YEAR_END, Event.RECOGNISE, Event.REPLICATE]
    for ev in walk:
        with session_scope() as s:
            res = models_dvk.transition_model(s, mid, ev.value, PAYLOADS.get(ev), "test")
        if ev is Event.START:
            assert [d.period_key for d in res.deadlines] == [f"model:{mid}:3m", f"model:{mid}:6m"]
            # a period counted in months ending on a day off ends on the next working day
            # (Bộ luật Dân sự 2015, Điều 148): 01/05/2026 is a holiday (Fri) -> Mon 04/05;
            # 01/08/2026 is a Saturday -> Mon 03/08
            assert [d.due_on for d in res.deadlines] == [dt.date(2026, 5, 4),
                                                         dt.date(2026, 8, 3)]
    with session_scope() as s:
        m = s.get(DvkModel, mid)
        assert m is not None and m.state == "replicated"
        assert m.assignment_notice == "Thông báo số 12-TB/BCĐ"
        assert m.recognition_level == "cấp thị xã"
        rows = s.execute(select(ModelTransition).where(ModelTransition.model_id == mid)
                         .order_by(ModelTransition.id)).scalars().all()
        assert [r.event for r in rows] == ["register", *[e.value for e in walk]]
        assert rows[0].from_state is None
        deadlines = s.execute(select(Deadline).where(Deadline.model_id == mid)).scalars().all()
        assert len(deadlines) == 2 and all(d.unit_id == m.unit_id for d in deadlines)
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "dvk_model")) == 1 + len(walk)


@pytest.mark.parametrize(("frm", "event"), sorted(TRANSITIONS, key=str))
def test_every_legal_transition(db: str, frm: State, event: Event) -> None:
    with session_scope() as s:
        mid = _register(s)
        for ev in _path_to(frm):
            models_dvk.transition_model(s, mid, ev.value, PAYLOADS.get(ev), "test")
    with session_scope() as s:
        res = models_dvk.transition_model(s, mid, event.value, PAYLOADS.get(event), "test")
    assert res.from_state == frm.value and res.to_state == TRANSITIONS[(frm, event)].value


def test_every_illegal_transition_writes_nothing(db: str) -> None:
    with session_scope() as s:
        ids = {}
        for st in State:
            mid = _register(s, name=f"Mô hình {st.value}")
            for ev in _path_to(st):
                models_dvk.transition_model(s, mid, ev.value, PAYLOADS.get(ev), "test")
            ids[st] = mid
        before = _counts(s)
    refused = 0
    for st, mid in ids.items():
        for ev in Event:
            if (st, ev) in TRANSITIONS:
                continue
            with pytest.raises(UserError), session_scope() as s:
                models_dvk.transition_model(s, mid, ev.value, PAYLOADS.get(ev), "test")
            refused += 1
    assert refused == len(State) * len(Event) - len(TRANSITIONS)
    with session_scope() as s:
        assert _counts(s) == before
        assert all(s.get(DvkModel, mid).state == st.value  # type: ignore[union-attr]
                   for st, mid in ids.items())


def test_refusals_name_the_field(db: str) -> None:
    with session_scope() as s:
        mid = _register(s)
    cases: list[tuple[Any, str]] = [
        (lambda s: models_dvk.register_model(s, _data(unit="XX.KHONG"), "t"), "unit_code"),
        (lambda s: models_dvk.register_model(s, {**_data(), "end": "2025-01-01"}, "t"), "end"),
        (lambda s: models_dvk.transition_model(s, 9999, "approve", None, "t"), "model_id"),
        (lambda s: models_dvk.transition_model(s, mid, "bay", None, "t"), "event"),
        (lambda s: models_dvk.transition_model(s, mid, "approve", {}, "t"),
         "số thông báo giao nhiệm vụ"),
        (lambda s: models_dvk.list_models(s, state="xyz"), "state"),
    ]
    with session_scope() as s:
        before = _counts(s)
    for call, field in cases:
        with pytest.raises(UserError) as exc, session_scope() as s:
            call(s)
        assert exc.value.field == field
    with session_scope() as s:
        assert _counts(s) == before


def test_quota_short_by_two(db: str) -> None:
    with session_scope() as s:
        for i in range(3):
            _register(s, name=f"Mô hình {i}")
        rejected = _register(s, name="Mô hình bị loại")
        models_dvk.transition_model(s, rejected, "reject", {"reason": "Không phù hợp"}, "t")
        _register(s, unit="CB.THPT", name="Trường học thân thiện")
    with session_scope() as s:
        rep = models_dvk.quota_report(s, PLAN, 2026)
        lines = {line.unit_code: line for line in rep.lines}
        assert lines["PA.DU"].registered == 3 and lines["PA.DU"].short_by == 2
        assert lines["PB.DU"].short_by == 5
        assert lines["CB.THPT"].met
        assert {line.unit_code for line in rep.short} == {"PA.DU", "PB.DU"}
        assert len(models_dvk.list_models(s, unit="PA.DU", year=2026)) == 4
        assert len(models_dvk.list_models(s, state="rejected")) == 1


def test_cli_models(db: str) -> None:
    from danvan_workflow.cli.main import app

    runner = CliRunner()
    base = ["models", "register", "--name", "Mô hình", "--address", "Phường An",
            "--field", "kinh_te", "--end", "2026-12-31", "--content", "Nội dung",
            "--owner", "Ông A", "--plan", PLAN]
    res = runner.invoke(app, [*base, "--unit", "XX.KHONG", "--start", "2026-03-01"])
    assert res.exit_code == 1 and "Lỗi" in res.output and "'unit_code'" in res.output
    res = runner.invoke(app, [*base, "--unit", "PA.DU", "--start", "31/02/2026"])
    assert res.exit_code == 1 and "'--start'" in res.output
    res = runner.invoke(app, [*base, "--unit", "PA.DU", "--start", "2026-03-01"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["models", "transition", "1", "start"])
    assert res.exit_code == 1 and "Không thể" in res.output
    res = runner.invoke(app, ["models", "approve", "1", "--notice", "TB 01"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["models", "quota", "--plan", PLAN, "--year", "2026"])
    assert res.exit_code == 0 and "PB.DU" in res.output


def _undo(mid: int, reason: str | None = "Ghi nhầm mô hình") -> models_dvk.TransitionOutcome:
    from danvan_workflow.commands.models_dvk import ApplyModelEvent

    return models_dvk.apply_model_event(ApplyModelEvent(model_id=mid, event="undo",
                                                        reason=reason))


def test_an_event_recorded_by_mistake_is_undone_and_kept_in_history(db: str) -> None:
    with session_scope() as s:
        mid = _register(s)
    for ev in (Event.APPROVE, Event.START):
        with session_scope() as s:
            models_dvk.transition_model(s, mid, ev.value, PAYLOADS.get(ev), "test")
    undone = _undo(mid)  # start undone: approved again, its self-review deadlines cancelled
    assert (undone.from_state, undone.to_state) == ("implementing", "approved")
    with session_scope() as s:
        statuses = s.execute(select(Deadline.status).where(Deadline.model_id == mid)
                             ).scalars().all()
    assert sorted(statuses) == ["cancelled", "cancelled"]
    assert _undo(mid, "Duyệt nhầm").to_state == "registered"  # the approval too
    with session_scope() as s:
        m = s.get(DvkModel, mid)
        assert m is not None and m.state == "registered" and m.assignment_notice is None
        before = _counts(s)
    with pytest.raises(UserError, match="chưa có thao tác nào"):
        _undo(mid)  # only the registration is left
    with pytest.raises(UserError, match="lý do"):
        _undo(mid, " ")
    with session_scope() as s:
        assert _counts(s) == before  # refusals write nothing
        trail = s.execute(select(ModelTransition.event, ModelTransition.note)
                          .where(ModelTransition.model_id == mid)
                          .order_by(ModelTransition.id)).tuples().all()
    assert [e for e, _ in trail] == ["register", "approve", "start", "undo", "undo"]
    assert trail[3][1] == "Hủy “Triển khai thực hiện”: Ghi nhầm mô hình"
    # approved again after the undo: the machine goes on from the restored state
    with session_scope() as s:
        res = models_dvk.transition_model(s, mid, "approve", PAYLOADS[Event.APPROVE], "test")
    assert res.to_state == "approved"
