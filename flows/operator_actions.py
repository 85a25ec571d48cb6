"""Operator actions run from the Prefect UI: the same commands and use cases as the CLI.

Each flow takes one command (`danvan_workflow.commands`: Vietnamese titles and
descriptions for the UI form), hands it to its use case in `services/` (which owns
the transaction) and ends with an artifact saying what changed. Bad input never fails
the run: it pauses with the same form and the problem in Vietnamese (flows/_forms.py),
and every date is echoed back for confirmation before anything is written.
"""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.artifacts import create_link_artifact, create_table_artifact

from danvan_workflow.commands.inspections import RecordInspectionResult
from danvan_workflow.commands.models_dvk import ApplyModelEvent, RegisterModel
from danvan_workflow.commands.notify import SendTestNotification
from danvan_workflow.commands.reports import (
    ChangeDeadline,
    ExportWordReport,
    RecordSubmission,
    RequestReport,
    WithdrawSubmission,
)
from danvan_workflow.commands.scores import RecordScore
from danvan_workflow.commands.status import ShowUnitStatus
from danvan_workflow.commands.zalo import ConfirmClaim, RejectClaim
from danvan_workflow.core.lifecycle import State
from danvan_workflow.core.ontime import rate_text
from danvan_workflow.services import (
    choices,
    inspections,
    models_dvk,
    notify,
    outbox_views,
    reports,
    scores,
    status,
    word_reports,
    zalo_inbound,
)
from danvan_workflow.services.inspections import RESULTS
from danvan_workflow.timeutil import today
from flows._common import cancelled, changed
from flows._forms import act
from flows.dashboards import publish_dashboards


@flow(name="record-submission", validate_parameters=False)
def record_submission(data: RecordSubmission) -> dict[str, Any]:
    """Ghi nhận báo cáo đã nộp."""
    r = act(RecordSubmission, data, reports.record_submission,
            pick=choices.submission_choice)
    if r is None:
        return cancelled()
    _changed("Đã ghi nhận báo cáo", [r.message, f"Hạn số {r.deadline_id}: {r.status_label}"])
    return {"deadline_id": r.deadline_id, "status": r.status, "on_time": r.on_time}


@flow(name="withdraw-submission", validate_parameters=False)
def withdraw_submission(data: WithdrawSubmission) -> dict[str, Any]:
    """Rút lại một báo cáo đã ghi nhận nhầm (ghi rõ lý do)."""
    r = act(WithdrawSubmission, data, reports.withdraw_submission,
            pick=choices.withdrawal_choice)
    if r is None:
        return cancelled()
    _changed("Đã rút lại báo cáo đã ghi nhận", [
        f"Hạn số {r.deadline_id} của {r.unit_code} ({r.period_label}): báo cáo nhận ngày "
        f"{r.received_on:%d/%m/%Y} đã được rút lại",
        f"Trạng thái: {r.status_label}; đơn vị sẽ được nhắc hạn trở lại", f"Lý do: {r.reason}"])
    return {"deadline_id": r.deadline_id, "status": r.status}


@flow(name="change-deadline", validate_parameters=False)
def change_deadline(data: ChangeDeadline) -> dict[str, Any]:
    """Gia hạn, miễn nộp, hoặc hủy lần gia hạn / miễn nộp ghi nhầm."""
    done = act(ChangeDeadline, data, lambda d: (d, reports.change_deadline(d)),
               pick=choices.change_choice)
    if done is None:
        return cancelled()
    d, r = done
    due = r.due_on.strftime("%d/%m/%Y") if r.due_on else "—"
    title = {"gia_han": "Đã gia hạn", "mien": "Đã miễn báo cáo",
             "huy": "Đã hủy gia hạn / miễn nộp ghi nhầm"}[d.action]
    _changed(title, [
        f"Hạn số {r.deadline_id} của {r.unit_code} ({r.period_label})",
        f"Trạng thái: {r.status_text}; hạn: {due}", f"Lý do: {r.reason}"])
    return {"deadline_id": r.deadline_id, "status": r.status}


@flow(name="request-report", validate_parameters=False)
def request_report(data: RequestReport) -> dict[str, Any]:
    """Yêu cầu báo cáo chuyên đề."""
    r = act(RequestReport, data, reports.request_ad_hoc_report)
    if r is None:
        return cancelled()
    _changed("Đã yêu cầu báo cáo", [
        f"{r.title} — hạn {r.due_on:%d/%m/%Y} ({r.period_key})",
        f"{len(r.deadline_ids)} đơn vị: {', '.join(r.unit_codes)}"])
    return {"period_key": r.period_key, "deadlines": r.deadline_ids}


@flow(name="register-model", validate_parameters=False)
def register_model(data: RegisterModel) -> dict[str, Any]:
    """Đăng ký mô hình “Dân vận khéo”."""
    done = act(RegisterModel, data, lambda d: (d, models_dvk.register_new_model(d)))
    if done is None:
        return cancelled()
    d, r = done
    _changed("Đã đăng ký mô hình", [f"Mô hình số {r.model_id}: {d.name} ({d.unit_code})",
                                   r.message])
    return {"model_id": r.model_id, "state": r.to_state}


@flow(name="model-event", validate_parameters=False)
def model_event(data: ApplyModelEvent) -> dict[str, Any]:
    """Duyệt mô hình và các bước tiếp theo (bắt đầu, tự đánh giá, công nhận...)."""
    r = act(ApplyModelEvent, data, models_dvk.apply_model_event)
    if r is None:
        return cancelled()
    lines = [r.message] + [f"Hạn tự đánh giá: {x.due_on:%d/%m/%Y} ({x.period_key})"
                           for x in r.deadlines]
    if r.note:
        lines.append(r.note)
    _changed("Đã cập nhật mô hình", lines)
    return {"model_id": r.model_id, "state": r.to_state}


@flow(name="record-inspection-result", validate_parameters=False)
def record_inspection_result(data: RecordInspectionResult) -> dict[str, Any]:
    """Ghi kết quả kiểm tra."""
    r = act(RecordInspectionResult, data, inspections.record_inspection_result)
    if r is None:
        return cancelled()
    prev = f" (trước: {RESULTS.get(r.previous, r.previous)})" if r.previous else ""
    _changed("Đã ghi kết quả kiểm tra", [f"Đợt {r.round_code}, {r.unit_code}: "
                                        f"{r.result_label}{prev}"])
    return {"visit_id": r.visit_id, "result": r.result}


@flow(name="record-score", validate_parameters=False)
def record_score(data: RecordScore) -> dict[str, Any]:
    """Chấm điểm thi đua."""
    r = act(RecordScore, data, scores.score_criterion)
    if r is None:
        return cancelled()
    what = "không thay đổi" if not r.changed else (
        f"{r.previous[0]} → {r.points}" if r.previous else f"{r.points} điểm")
    _changed("Đã chấm điểm", [f"{r.unit_code}, năm {r.year}, tiêu chí {r.criterion_code}: "
                             f"{what} (thưởng {r.bonus})"])
    return {"unit": r.unit_code, "points": str(r.points), "changed": r.changed}


@flow(name="export-word-report", validate_parameters=False)
def export_word_report(data: ExportWordReport) -> dict[str, Any]:
    """Xuất báo cáo Word có thể thức văn bản, điền từ số liệu đã ghi nhận."""
    path = act(ExportWordReport, data, word_reports.export_to_folder)
    if path is None:
        return cancelled()
    create_link_artifact(path.resolve().as_uri(), link_text=path.name,
                         key="danvan-bao-cao-word",
                         description=f"Báo cáo Word: {path.name} (thư mục {path.parent})")
    changed("Đã xuất báo cáo Word", [f"Tệp: {path.resolve()}",
                                     "Mở bằng Word hoặc LibreOffice; điền số và ngày ký trước "
                                     "khi ban hành."])
    return {"file": str(path.resolve())}


@flow(name="confirm-claim", validate_parameters=False)
def confirm_claim(data: ConfirmClaim) -> dict[str, Any]:
    """Xác nhận một báo “đã nộp” gửi qua Zalo: ghi nhận báo cáo."""
    r = act(ConfirmClaim, data, zalo_inbound.confirm_submission_claim,
            pick=choices.claim_choice)
    if r is None:
        return cancelled()
    _changed("Đã xác nhận báo nộp qua Zalo", [f"Báo nộp số {r.claim_id}: {r.message}"])
    return {"claim_id": r.claim_id, "deadline_id": r.submission.deadline_id}


@flow(name="reject-claim", validate_parameters=False)
def reject_claim(data: RejectClaim) -> dict[str, Any]:
    """Bác bỏ một báo “đã nộp” gửi qua Zalo (không ghi nhận gì)."""
    r = act(RejectClaim, data, zalo_inbound.reject_submission_claim, pick=choices.claim_choice)
    if r is None:
        return cancelled()
    changed("Đã bác bỏ báo nộp qua Zalo", [f"Báo nộp số {r.claim_id}: không ghi nhận báo cáo"])
    return {"claim_id": r.claim_id}


@flow(name="send-test-notification", validate_parameters=False)
def send_test_notification(data: SendTestNotification) -> dict[str, Any]:
    """Gửi thông báo thử đến một đầu mối (qua hộp thư đi, gửi ngay)."""
    r = act(SendTestNotification, data, notify.send_test_notification)
    if r is None:
        return cancelled()
    stats = r.stats
    changed("Đã gửi thông báo thử", [f"Đầu mối {r.target}: {len(r.messages)} thông báo "
                                     f"(số {', '.join(map(str, r.messages))})",
                                     f"Đã gửi {stats.sent}, chưa cấu hình kênh "
                                     f"{stats.unconfigured}, lỗi {stats.dead + stats.retry}"])
    return {"messages": r.messages, "sent": stats.sent}


@flow(name="unit-status", validate_parameters=False)
def unit_status(data: ShowUnitStatus) -> dict[str, Any]:
    """Xem tình hình một đơn vị (không ghi gì)."""
    day = today()
    st = act(ShowUnitStatus, data, lambda d: status.view_unit_status(d.unit, day))
    if st is None:
        return cancelled()
    rows = [{"Loại": kind, "Số hạn": x.id, "Hạn": x.due_text(), "Nội dung": x.title,
             "Kỳ": x.period_label, "Kế hoạch": x.plan_code}
            for kind, items in (("Quá hạn", st.overdue), ("Sắp đến hạn", st.upcoming))
            for x in items]
    create_table_artifact(rows or [{"Thông tin": "Không có hạn quá hạn hay sắp đến"}],
                          key="danvan-tinh-hinh-don-vi",
                          description=f"{st.name} ({st.code}) ngày {day:%d/%m/%Y}: phải nộp")
    received = [{"Số hạn": x.id, "Nội dung": x.title, "Kỳ": x.period_label,
                 "Ngày nhận": f"{x.received_on:%d/%m/%Y}" if x.received_on else "",
                 "Số văn bản": x.document_number or "", "Trạng thái": x.status_label}
                for x in st.received]
    create_table_artifact(received or [{"Thông tin": "Chưa nhận báo cáo nào"}],
                          key="danvan-don-vi-da-nop",
                          description=f"{st.name}: báo cáo đã nhận (mới nhất trước)")
    sent = outbox_views.outbox_list(unit=st.code, limit=20).rows
    create_table_artifact([{"Số": x.id, "Loại": x.kind, "Người nhận": x.recipient,
                            "Kênh": x.channel, "Trạng thái": x.status, "Tiêu đề": x.subject}
                           for x in sent] or [{"Thông tin": "Chưa gửi thông báo nào"}],
                          key="danvan-don-vi-thong-bao",
                          description=f"{st.name}: thông báo đã gửi (mới nhất trước)")
    rate = rate_text(st.on_time_rate)
    create_table_artifact(rows or [{"Thông tin": "Không có hạn quá hạn hay sắp đến"}],
                          key="danvan-tinh-hinh-don-vi",
                          description=f"{st.name} ({st.code}) ngày {day:%d/%m/%Y}")
    changed(f"Tình hình {st.name}", [
        f"Quá hạn: {len(st.overdue)}; sắp đến hạn (14 ngày): {len(st.upcoming)}",
        f"Đã nộp: {st.submitted_count}; tỷ lệ đúng hạn: {rate}",
        "Mô hình năm nay: " + (", ".join(f"{State(k).label}: {v}" for k, v in st.models.items())
                               or "không"),
        "Thiếu chỉ tiêu mô hình: " + (", ".join(f"thiếu {q.short_by} (chỉ tiêu {q.required})"
                                               for q in st.quota_short) or "không")])
    return {"unit": st.code, "overdue": len(st.overdue), "upcoming": len(st.upcoming)}


def _changed(title: str, lines: list[str]) -> None:
    """Say what changed, then publish the dashboards it changed (no waiting for 07:30)."""
    changed(title, lines)
    publish_dashboards(today())
