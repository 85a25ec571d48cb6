"""The flows under one Prefect test harness, against the shipped config/ in SQLite."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path
from uuid import UUID

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateName,
)
from prefect.flow_runs import resume_flow_run
from sqlalchemy import func, select

from danvan_workflow.commands.models_dvk import RegisterModel
from danvan_workflow.commands.reports import RecordSubmission
from danvan_workflow.db import models as m
from danvan_workflow.db.session import session_scope
from flows.cutoffs import cutoffs
from flows.daily_sweep import daily_sweep
from flows.deployments import all_deployments
from flows.operator_actions import (
    change_deadline,
    confirm_claim,
    export_word_report,
    record_submission,
    register_model,
    reject_claim,
    unit_status,
    withdraw_submission,
)
from flows.reporting_cycle import reporting_cycle

DAY = dt.date(2026, 7, 24)  # a Friday: reminders before the 25/7 cut-off


def _count(model: type[m.Base]) -> int:
    with session_scope() as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def _artifact_keys(*keys: str) -> set[str]:
    with get_client(sync_client=True) as client:
        arts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=list(keys))))
    return {a.key for a in arts if a.key}


def test_daily_sweep_plans_sends_publishes_and_is_idempotent(loaded: str) -> None:
    first = daily_sweep(run_date=DAY)
    assert first["working_day"] is True
    assert first["planned"]["planned"] > 0
    outbox = _count(m.OutboxMessage)
    notifications = _count(m.Notification)
    assert outbox == first["planned"]["messages"] > 0
    # no channel credentials in the environment: held, not lost
    with session_scope() as s:
        statuses = set(s.execute(select(m.OutboxMessage.status)).scalars())
    assert statuses <= {"unconfigured", "pending", "sent", "cancelled"}
    assert first["dispatched"]["unconfigured"] > 0
    keys = _artifact_keys("danvan-quet-hang-ngay", "danvan-qua-han", "danvan-han-14-ngay-toi",
                          "danvan-ty-le-dung-han-don-vi", "danvan-hop-thu-di",
                          "danvan-tien-do-gui")
    assert keys == {"danvan-quet-hang-ngay", "danvan-qua-han", "danvan-han-14-ngay-toi",
                    "danvan-ty-le-dung-han-don-vi", "danvan-hop-thu-di", "danvan-tien-do-gui"}

    again = daily_sweep(run_date=DAY)
    assert again["planned"]["planned"] == 0
    assert again["planned"]["messages"] == 0
    assert _count(m.OutboxMessage) == outbox
    assert _count(m.Notification) == notifications


def test_daily_sweep_on_a_day_off_plans_nothing(loaded: str) -> None:
    res = daily_sweep(run_date=dt.date(2026, 7, 19))  # Sunday
    assert res["working_day"] is False and res["planned"] is None
    assert _count(m.Notification) == 0


class Operator:
    """Answers the paused operator forms in turn, as a person in the Prefect UI would
    (`resume_flow_run` with the form's values), and keeps what each form said."""

    def __init__(self, *answers: dict[str, object]) -> None:
        self.answers = list(answers)
        self.questions: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Operator:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        if exc[0] is None:
            assert "UNEXPECTED" not in self.questions, self.questions

    def _run(self) -> None:
        try:
            self._answer_all()
        except Exception as exc:  # never leave the flow paused: cancel it, fail the test
            self.questions.append(f"ERROR in the test's operator: {exc!r}")
            self.answers = []
            self._answer_all()

    def _answer_all(self) -> None:
        seen: set[str] = set()
        with get_client(sync_client=True) as client:
            while not self._stop.is_set():
                runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(name=FlowRunFilterStateName(any_=["Paused"]))))
                fresh = [r for r in runs if r.state and str(r.state.id) not in seen]
                if not fresh:
                    time.sleep(0.1)  # polling for the next pause, not a timing assumption
                    continue
                run = fresh[0]
                assert run.state is not None
                seen.add(str(run.state.id))
                keyset = run.state.state_details.run_input_keyset or {}
                key = keyset.get("description")
                if key:
                    self.questions.append(self._read(client, run.id, key))
                if not self.answers:  # a question the test did not expect: cancel
                    self.questions.append("UNEXPECTED")
                    self.answers.append({"huy": True})
                answer = dict(self.answers.pop(0))
                for name, value in answer.items():
                    if callable(value):  # picks from the list the form offers
                        schema = json.loads(self._read(client, run.id, keyset["schema"]))
                        options = schema["properties"][name]["enum"]
                        self.questions.append("\n".join(options))
                        answer[name] = value(options)
                resume_flow_run(UUID(str(run.id)), run_input=answer)

    @staticmethod
    def _read(client: object, run_id: UUID, key: str) -> str:
        """The form's text; the run saves it just after it pauses."""
        from prefect.exceptions import PrefectHTTPStatusError

        end = time.monotonic() + 30
        while True:
            try:
                return str(client.read_flow_run_input(run_id, key))  # type: ignore[attr-defined]
            except PrefectHTTPStatusError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.1)


def test_operator_mistakes_are_asked_again_not_failed(loaded: str) -> None:
    before = (_count(m.Submission), _count(m.AuditEntry))
    data = RecordSubmission(plan="26-KH/BCĐ", obligation="khong-co", unit="DP.BDV",
                            period="2026", received_on=dt.date(2026, 7, 1))
    # the date is echoed and confirmed; the report is unknown: the same form again, the
    # problem named; the operator cancels
    with Operator({"xac_nhan": True}, {"huy": True}) as op:
        state = record_submission(data, return_state=True)
    assert state.is_completed() and state.result() == {"cancelled": True}
    assert "Ngày nhận báo cáo: **Thứ Tư, 01/07/2026**" in op.questions[0]
    assert "Chưa ghi được" in op.questions[1] and "obligation" in op.questions[1]
    assert (_count(m.Submission), _count(m.AuditEntry)) == before
    # an impossible date typed in the form: asked again naming the field
    with Operator({"huy": True}) as op:
        res = record_submission({"received_on": "31/02/2026"})  # type: ignore[arg-type]
    assert res == {"cancelled": True}
    assert "received_on" in op.questions[0] and "31/02/2026" in op.questions[0]
    # an unknown unit, corrected in the form; the dates are echoed and confirmed each time
    with Operator({"xac_nhan": True}, {"unit_code": "DP.BDV"}, {"xac_nhan": True}) as op:
        res = register_model(RegisterModel.model_validate({
            "unit_code": "KHONG.CO", "name": "Mô hình thử", "address": "Phổ Vinh",
            "field": "kinh_te", "start": "01/03/2026", "end": "31/12/2026",
            "content": "Nội dung", "owner": "Nguyễn Văn A", "batch": "first_half"}))
    assert "Thời gian bắt đầu: **Chủ nhật, 01/03/2026**" in op.questions[0]
    assert "Thời gian kết thúc: **Thứ Năm, 31/12/2026**" in op.questions[0]
    assert "unit_code" in op.questions[1] and "KHONG.CO" in op.questions[1]
    assert len(op.questions) == 3
    assert res["model_id"] and _count(m.DvkModel) == 1


def test_operator_action_records_a_submission(loaded: str) -> None:
    with session_scope() as s:
        d = s.execute(select(m.Deadline).where(m.Deadline.status == "open",
                                               m.Deadline.due_on < DAY)
                      .order_by(m.Deadline.id)).scalars().first()
        assert d is not None
        deadline_id = d.id
    with Operator({"xac_nhan": True}) as op:
        res = record_submission({"deadline_id": deadline_id,  # type: ignore[arg-type]
                                 "received_on": "24/07/2026", "document_number": "15-BC/ĐU"})
    assert "Ngày nhận báo cáo: **Thứ Sáu, 24/07/2026**" in op.questions[0]
    assert res["status"] == "submitted_late"
    with session_scope() as s:
        sub = s.execute(select(m.Submission)).scalar_one()
    assert sub.received_on == DAY
    assert unit_status({"unit": "DP.BDV"})["unit"] == "DP.BDV"  # type: ignore[arg-type]


def _first(options: list[str]) -> str:
    return options[0]


def test_forms_pick_the_deadline_from_the_units_list(loaded: str) -> None:
    """Unit first, then the unit's deadlines as a list: no number to look up."""
    with Operator({"deadline_id": _first}, {"xac_nhan": True}) as op:
        res = record_submission({"unit": "DP.BDV",  # type: ignore[arg-type]
                                 "received_on": "24/07/2026", "document_number": "15-BC/BDV"})
    options = op.questions[1].splitlines()
    assert "Chọn hạn báo cáo đã nộp" in op.questions[0]
    assert options and all(o.startswith("Số ") and " — hạn " in o for o in options)
    picked = int(options[0].split(" — ")[0].removeprefix("Số "))
    assert res["deadline_id"] == picked
    assert "Ngày nhận báo cáo: **Thứ Sáu, 24/07/2026**" in op.questions[2]
    with session_scope() as s:
        sub = s.execute(select(m.Submission)).scalar_one()
        unit = s.get(m.Unit, s.get(m.Deadline, sub.deadline_id).unit_id)  # type: ignore[union-attr]
    assert sub.deadline_id == picked and unit is not None and unit.code == "DP.BDV"
    # the same report withdrawn, picked from the unit's submitted reports
    with Operator({"deadline_id": _first}) as op:
        out = withdraw_submission({"unit": "DP.BDV",  # type: ignore[arg-type]
                                   "reason": "Ghi nhầm kỳ báo cáo"})
    assert out["deadline_id"] == picked and out["status"] in ("open", "extended")
    assert "Chọn báo cáo cần rút lại" in op.questions[0]
    assert f"Số {picked} — " in op.questions[1] and "nhận 24/07/2026" in op.questions[1]
    assert _count(m.Submission) == 0 and _count(m.WithdrawnSubmission) == 1
    # a unit with nothing to withdraw: asked again, the unit field names the problem
    with Operator({"huy": True}) as op:
        assert withdraw_submission({"unit": "DP.BDV",  # type: ignore[arg-type]
                                    "reason": "x"}) == {"cancelled": True}
    assert "chưa có báo cáo nào được ghi nhận" in op.questions[0]


def test_a_waiver_recorded_by_mistake_is_revoked(loaded: str) -> None:
    with session_scope() as s:
        d = s.execute(select(m.Deadline).join(m.Unit, m.Unit.id == m.Deadline.unit_id)
                      .where(m.Unit.code == "DP.BDV", m.Deadline.status == "open",
                             m.Deadline.due_on < DAY).order_by(m.Deadline.id)).scalars().first()
        assert d is not None
        deadline_id = d.id
    with Operator():
        change_deadline({"deadline_id": deadline_id, "action": "mien",  # type: ignore[arg-type]
                         "reason": "Đơn vị sáp nhập"})
    with Operator({"deadline_id": _first}) as op:
        out = change_deadline({"unit": "DP.BDV", "action": "huy",  # type: ignore[arg-type]
                               "reason": "Miễn nhầm đơn vị"})
    assert out == {"deadline_id": deadline_id, "status": "open"}
    assert f"Số {deadline_id} — " in op.questions[1] and "Được miễn" in op.questions[1]
    with session_scope() as s:
        trail = s.execute(select(m.AuditEntry.action, m.AuditEntry.note)
                          .where(m.AuditEntry.entity == "deadline",
                                 m.AuditEntry.entity_id == str(deadline_id))
                          .order_by(m.AuditEntry.id)).tuples().all()
    assert trail == [("deadline.waived", "Đơn vị sáp nhập"),
                     ("deadline.change_revoked", "Miễn nhầm đơn vị")]


def test_word_report_from_the_form(loaded: str) -> None:
    from docx import Document

    with Operator():  # no date given: nothing to confirm
        res = export_word_report({"kind": "dia_ban",  # type: ignore[arg-type]
                                  "issuer": "TN.BDV"})
    path = Path(res["file"])
    assert path.suffix == ".docx" and path.is_file()
    right = Document(str(path)).tables[0].rows[0].cells[1].text
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in right
    assert _artifact_keys("danvan-bao-cao-word") == {"danvan-bao-cao-word"}
    with Operator({"issuer": "TN.BDV"}) as op:  # forgot the issuer: asked again
        res = export_word_report({"kind": "dia_ban"})  # type: ignore[arg-type]
    assert "issuer" in op.questions[0] and Path(res["file"]).is_file()


def test_zalo_claims_are_confirmed_and_rejected_in_forms(loaded: str) -> None:
    from danvan_workflow.services.inbound import Event, handle_event

    with session_scope() as s:
        deadline_id, sender = s.execute(
            select(m.Deadline.id, m.Contact.zalo_user_id)
            .join(m.Contact, m.Contact.unit_id == m.Deadline.unit_id)
            .where(m.Contact.zalo_user_id.is_not(None), m.Deadline.status == "open",
                   m.Deadline.due_on < DAY).order_by(m.Deadline.id)).tuples().first()
        for i, text in enumerate(("Dạ em đã nộp báo cáo rồi ạ", "da nop")):
            handle_event(s, Event("zalo_oa", f"msg-{i}", "user_send_text", sender, text, {}))
    # the operator picks the first claim, names the deadline and the day, confirms the date
    with Operator({"claim_id": _first}, {"xac_nhan": True}) as op:
        out = confirm_claim({"deadline": deadline_id,  # type: ignore[arg-type]
                             "received_on": "20/07/2026"})
    assert "Chọn báo nộp" in op.questions[0] and "“Dạ em đã nộp báo cáo rồi ạ”" in op.questions[1]
    assert out["deadline_id"] == deadline_id
    with session_scope() as s:
        claims = dict(s.execute(select(m.SubmissionClaim.text, m.SubmissionClaim.status))
                      .tuples().all())
        sub = s.execute(select(m.Submission).where(m.Submission.deadline_id == deadline_id)
                        ).scalar_one()
    assert claims["Dạ em đã nộp báo cáo rồi ạ"] == "confirmed" and claims["da nop"] == "pending"
    assert sub.received_on == dt.date(2026, 7, 20)
    with Operator({"claim_id": _first}) as op:  # the other one was a mistake
        assert reject_claim({})["claim_id"]  # type: ignore[arg-type]
    assert "“da nop”" in op.questions[1] and "Dạ em" not in op.questions[1]
    with Operator({"huy": True}) as op:  # nothing left to decide: said so, nothing written
        assert reject_claim({}) == {"cancelled": True}  # type: ignore[arg-type]
    assert "không có báo nộp nào đang chờ" in op.questions[0]


def test_reporting_cycle_opens_and_closes(loaded: str) -> None:
    opened = reporting_cycle(run_date=dt.date(2023, 3, 15))
    assert opened["opened"] > 0 and opened["queued"] > 0
    with session_scope() as s:
        kinds = set(s.execute(select(m.OutboxMessage.kind)).scalars())
    assert kinds == {"cycle_open"}
    again = reporting_cycle(run_date=dt.date(2023, 3, 15))
    assert again["pending"] == 0 and again["queued"] == 0
    closed = reporting_cycle(period="half_year", run_date=dt.date(2023, 6, 19))
    assert closed["closed"] > 0 and closed["queued"] > 0
    with session_scope() as s:
        kinds = set(s.execute(select(m.OutboxMessage.kind)).scalars())
    assert {"cycle_close", "cycle_overdue"} <= kinds


def _resume_when_paused(approve: bool, stop: threading.Event) -> None:
    deadline = time.monotonic() + 60
    with get_client(sync_client=True) as client:
        while time.monotonic() < deadline and not stop.is_set():
            runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(state=FlowRunFilterState(
                name=FlowRunFilterStateName(any_=["Paused"]))))
            if runs:
                resume_flow_run(UUID(str(runs[0].id)),
                                run_input={"approve": approve, "note": "thử"})
                return
            time.sleep(0.2)


def test_mass_send_waits_for_confirmation_and_refusal_sends_nothing(loaded: str) -> None:
    stop = threading.Event()
    t = threading.Thread(target=_resume_when_paused, args=(False, stop), daemon=True)
    t.start()
    try:
        res = reporting_cycle(run_date=dt.date(2023, 3, 15), threshold=0)
    finally:
        stop.set()
        t.join(5)
    assert res["pending"] > 0 and res["approved"] is False and res["queued"] == 0
    assert _count(m.OutboxMessage) == 0


def test_cutoff_status_table(loaded: str) -> None:
    res = cutoffs(run_date=dt.date(2026, 11, 13), lead_working_days=[5])
    assert res["checks"] and res["checks"][0]["cutoff"] == "2026-11-20"
    assert res["checks"][0]["units"] > 0
    assert _artifact_keys("danvan-moc-chot-20-11") == {"danvan-moc-chot-20-11"}


def test_deployments_have_vietnamese_names_and_schedules() -> None:
    deps = {d.name: d for d in all_deployments()}
    for name in ("Quét hằng ngày", "Ghi nhận báo cáo đã nộp", "Gia hạn – miễn báo cáo",
                 "Yêu cầu báo cáo chuyên đề", "Đăng ký mô hình Dân vận khéo", "Duyệt mô hình",
                 "Ghi kết quả kiểm tra", "Chấm điểm thi đua", "Gửi thông báo thử",
                 "Xem tình hình một đơn vị"):
        assert name in deps and deps[name].description
    sweep = deps["Quét hằng ngày"].schedules[0].schedule
    assert getattr(sweep, "cron", None) == "30 7 * * 1-6"
    assert getattr(sweep, "timezone", None) == "Asia/Ho_Chi_Minh"
    from prefect.utilities.callables import parameter_schema

    from flows.operator_actions import record_submission as fn

    assert "Ngày nhận báo cáo" in str(parameter_schema(fn.fn).model_dump())


def test_inspection_round_open_result_and_status(loaded: str) -> None:
    from flows.inspection_round import inspection_round_status, open_inspection_round
    from flows.operator_actions import record_inspection_result

    res = open_inspection_round({  # type: ignore[arg-type]
        "plan": "26-KH/BCĐ", "kind": "mid_year", "year": 2023,
        "title": "Kiểm tra 6 tháng đầu năm 2023",
        "teams": [{"name": "Đoàn số 1", "members": [{"name": "Nguyễn Văn A",
                                                      "role": "Trưởng đoàn"}],
                   "visits": [{"unit": "DP.BDV"}, {"unit": "DP.BTG"}]}]})
    assert res["visits"] == 2 and res["queued"] > 0
    with session_scope() as s:
        kinds = set(s.execute(select(m.OutboxMessage.kind)).scalars())
    assert kinds == {"inspection"}
    with Operator({"xac_nhan": True}):
        record_inspection_result({"round_code": res["code"],  # type: ignore[arg-type]
                                  "unit": "DP.BDV", "result": "dat", "visit_on": "10/07/2023"})
    st = inspection_round_status(round_code=res["code"], run_date=dt.date(2023, 7, 20))
    assert st["rounds"][0]["done"] == 1 and st["rounds"][0]["missing"] == 1
    # a bad result code: asked again naming the field, nothing written until corrected
    with Operator({"result": "khong_dat"}) as op:
        done = record_inspection_result({"round_code": res["code"],  # type: ignore[arg-type]
                                         "unit": "DP.BTG", "result": "tot"})
    assert ("trường 'result': Kết quả: giá trị 'tot' không hợp lệ; chọn một trong: 'dat', "
            "'khong_dat' hoặc 'xuat_sac'") in op.questions[0]
    assert done["result"] == "khong_dat"
