"""Operator actions run from the Prefect UI: the same services as the CLI.

Each flow takes one typed parameter model (Vietnamese titles and descriptions for
the UI form), calls a service in one transaction and ends with an artifact saying
what changed. Bad input makes the run fail with the service's Vietnamese message
naming the field; the transaction is rolled back, so nothing is written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from prefect import flow
from prefect.artifacts import create_table_artifact
from pydantic import BaseModel, ConfigDict, Field

from danvan_workflow.core.lifecycle import Batch, ModelField, State
from danvan_workflow.core.vietnamese import format_percent
from danvan_workflow.db.session import session_scope
from danvan_workflow.services import models_dvk, notify, reports, scores, status
from danvan_workflow.services.inspections import RESULTS, record_result
from danvan_workflow.services.outbox import dispatch
from danvan_workflow.timeutil import today
from flows._common import changed, coerce, refuse_user_errors

OPERATOR = Field("prefect-ui", title="Người thực hiện",
                 description="Tên người thao tác (ghi vào nhật ký)")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmissionInput(_Input):
    deadline_id: int | None = Field(None, title="Số hạn báo cáo",
                                    description="Số hạn (xem bảng theo dõi); hoặc điền 4 ô dưới")
    plan: str | None = Field(None, title="Số kế hoạch", description="Ví dụ: 26-KH/BCĐ")
    obligation: str | None = Field(None, title="Mã nghĩa vụ báo cáo")
    unit: str | None = Field(None, title="Mã đơn vị báo cáo")
    period: str | None = Field(None, title="Mã kỳ báo cáo", description="Ví dụ: 2026-H1")
    received_on: dt.date = Field(title="Ngày nhận báo cáo")
    document_number: str | None = Field(None, title="Số văn bản",
                                        description="Ví dụ: 15-BC/ĐU")
    operator: str = OPERATOR


class DeadlineChangeInput(_Input):
    deadline_id: int = Field(title="Số hạn báo cáo")
    action: Literal["gia_han", "mien"] = Field(title="Thao tác",
                                               description="gia_han: gia hạn; mien: miễn nộp")
    new_due: dt.date | None = Field(None, title="Hạn mới", description="Chỉ khi gia hạn")
    reason: str = Field(title="Lý do")
    operator: str = OPERATOR


class RequestInput(_Input):
    plan: str = Field(title="Số kế hoạch")
    obligation: str | None = Field(None, title="Mã nghĩa vụ báo cáo khi có yêu cầu",
                                   description="Để trống nếu kế hoạch chỉ có một")
    units: list[str] = Field(title="Các đơn vị báo cáo", description="Mã đơn vị")
    due_on: dt.date = Field(title="Hạn nộp")
    title: str = Field(title="Nội dung yêu cầu báo cáo")
    operator: str = OPERATOR


class RegisterModelInput(_Input):
    unit_code: str = Field(title="Đơn vị đăng ký", description="Mã đơn vị")
    name: str = Field(title="Tên mô hình")
    address: str = Field(title="Địa chỉ")
    field: ModelField = Field(title="Lĩnh vực")
    start: dt.date = Field(title="Thời gian bắt đầu")
    end: dt.date = Field(title="Thời gian kết thúc")
    content: str = Field(title="Nội dung thực hiện")
    owner: str = Field(title="Chủ mô hình / người phụ trách")
    batch: Batch = Field(title="Đợt đăng ký")
    plan: str | None = Field(None, title="Số kế hoạch", description="Ví dụ: 26-KH/BCĐ")
    operator: str = OPERATOR


class ModelEventInput(_Input):
    model_id: int = Field(title="Số mô hình")
    event: Literal["approve", "reject", "start", "self_review_3m", "self_review_6m",
                   "inspect_mid_year", "inspect_year_end", "recognise", "not_recognise",
                   "replicate"] = Field(
        title="Thao tác", description="approve: duyệt; reject: không duyệt; start: bắt đầu "
                                      "thực hiện; recognise: công nhận; ...")
    assignment_notice: str | None = Field(None, title="Thông báo giao",
                                          description="Ví dụ: Thông báo số 123-TB/ThU")
    reason: str | None = Field(None, title="Lý do", description="Khi không duyệt")
    level: str | None = Field(None, title="Cấp công nhận", description="Ví dụ: cấp thị xã")
    on: dt.date | None = Field(None, title="Ngày")
    note: str | None = Field(None, title="Ghi chú")
    operator: str = OPERATOR


class InspectionResultInput(_Input):
    round_code: str = Field(title="Mã đợt kiểm tra", description="Ví dụ: mid_year-2026")
    unit: str = Field(title="Mã đơn vị")
    model_id: int | None = Field(None, title="Số mô hình")
    result: Literal["dat", "khong_dat", "xuat_sac"] = Field(
        title="Kết quả", description="dat: Đạt; khong_dat: Không đạt; xuat_sac: Xuất sắc")
    findings: str | None = Field(None, title="Nhận xét")
    visit_on: dt.date | None = Field(None, title="Ngày kiểm tra")
    operator: str = OPERATOR


class ScoreInput(_Input):
    plan: str = Field(title="Số kế hoạch")
    unit: str = Field(title="Mã đơn vị")
    year: int = Field(title="Năm")
    criterion: str = Field(title="Mã tiêu chí", description="Ví dụ: C1")
    points: Decimal = Field(title="Điểm")
    bonus: Decimal = Field(Decimal(0), title="Điểm thưởng")
    operator: str = OPERATOR


class TestNotificationInput(_Input):
    contact: str = Field(title="Mã đầu mối", description="Ví dụ: DP.BDV.dauMoi")
    channel: str | None = Field(None, title="Kênh",
                                description="email, zalo_oa... Để trống: mọi kênh của đầu mối")
    operator: str = OPERATOR


class UnitInput(_Input):
    unit: str = Field(title="Mã đơn vị", description="Ví dụ: DP.BDV")


@flow(name="record-submission", validate_parameters=False)
@refuse_user_errors
def record_submission(data: SubmissionInput) -> dict[str, Any]:
    """Ghi nhận báo cáo đã nộp."""
    d = coerce(SubmissionInput, data)
    with session_scope() as s:
        r = reports.submit(s, deadline_id=d.deadline_id, plan_code=d.plan,
                           obligation_code=d.obligation, unit_code=d.unit, period_key=d.period,
                           received_on=d.received_on, document_number=d.document_number,
                           recorded_by=d.operator)
    changed("Đã ghi nhận báo cáo", [r.message, f"Hạn số {r.deadline_id}: {r.status_label}"])
    return {"deadline_id": r.deadline_id, "status": r.status, "on_time": r.on_time}


@flow(name="change-deadline", validate_parameters=False)
@refuse_user_errors
def change_deadline(data: DeadlineChangeInput) -> dict[str, Any]:
    """Gia hạn hoặc miễn một hạn báo cáo."""
    d = coerce(DeadlineChangeInput, data)
    with session_scope() as s:
        if d.action == "gia_han":
            if d.new_due is None:
                from danvan_workflow.errors import UserError

                raise UserError("cần nhập hạn mới khi gia hạn", field="new_due")
            r = reports.extend(s, d.deadline_id, d.new_due, d.reason, d.operator)
        else:
            r = reports.waive(s, d.deadline_id, d.reason, d.operator)
    due = r.due_on.strftime("%d/%m/%Y") if r.due_on else "—"
    changed("Đã gia hạn" if d.action == "gia_han" else "Đã miễn báo cáo", [
        f"Hạn số {r.deadline_id} của {r.unit_code} ({r.period_label})",
        f"Trạng thái: {r.status_text}; hạn: {due}", f"Lý do: {r.reason}"])
    return {"deadline_id": r.deadline_id, "status": r.status}


@flow(name="request-report", validate_parameters=False)
@refuse_user_errors
def request_report(data: RequestInput) -> dict[str, Any]:
    """Yêu cầu báo cáo chuyên đề."""
    d = coerce(RequestInput, data)
    with session_scope() as s:
        r = reports.request_report(s, plan_code=d.plan, obligation_code=d.obligation,
                                   unit_codes=d.units, due_on=d.due_on, title=d.title,
                                   actor=d.operator)
    changed("Đã yêu cầu báo cáo", [
        f"{r.title} — hạn {r.due_on:%d/%m/%Y} ({r.period_key})",
        f"{len(r.deadline_ids)} đơn vị: {', '.join(r.unit_codes)}"])
    return {"period_key": r.period_key, "deadlines": r.deadline_ids}


@flow(name="register-model", validate_parameters=False)
@refuse_user_errors
def register_model(data: RegisterModelInput) -> dict[str, Any]:
    """Đăng ký mô hình “Dân vận khéo”."""
    d = coerce(RegisterModelInput, data)
    reg = d.model_dump(mode="json", exclude={"plan", "operator"})
    with session_scope() as s:
        r = models_dvk.register_model(s, reg, d.operator, plan_code=d.plan)
    changed("Đã đăng ký mô hình", [f"Mô hình số **{r.model_id}**: {d.name} ({d.unit_code})",
                                   r.message])
    return {"model_id": r.model_id, "state": r.to_state}


@flow(name="model-event", validate_parameters=False)
@refuse_user_errors
def model_event(data: ModelEventInput) -> dict[str, Any]:
    """Duyệt mô hình và các bước tiếp theo (bắt đầu, tự đánh giá, công nhận...)."""
    d = coerce(ModelEventInput, data)
    payload = d.model_dump(include={"assignment_notice", "reason", "level", "on", "note"},
                           exclude_none=True)
    with session_scope() as s:
        r = models_dvk.transition_model(s, d.model_id, d.event, payload, d.operator)
    lines = [r.message] + [f"Hạn tự đánh giá: {x.due_on:%d/%m/%Y} ({x.period_key})"
                           for x in r.deadlines]
    if r.note:
        lines.append(r.note)
    changed("Đã cập nhật mô hình", lines)
    return {"model_id": r.model_id, "state": r.to_state}


@flow(name="record-inspection-result", validate_parameters=False)
@refuse_user_errors
def record_inspection_result(data: InspectionResultInput) -> dict[str, Any]:
    """Ghi kết quả kiểm tra."""
    d = coerce(InspectionResultInput, data)
    with session_scope() as s:
        r = record_result(s, round_code=d.round_code, unit_code=d.unit, model_id=d.model_id,
                          result=d.result, findings=d.findings, visit_on=d.visit_on,
                          actor=d.operator)
    prev = f" (trước: {RESULTS.get(r.previous, r.previous)})" if r.previous else ""
    changed("Đã ghi kết quả kiểm tra", [f"Đợt {r.round_code}, {r.unit_code}: "
                                        f"{r.result_label}{prev}"])
    return {"visit_id": r.visit_id, "result": r.result}


@flow(name="record-score", validate_parameters=False)
@refuse_user_errors
def record_score(data: ScoreInput) -> dict[str, Any]:
    """Chấm điểm thi đua."""
    d = coerce(ScoreInput, data)
    with session_scope() as s:
        r = scores.record_score(s, plan_code=d.plan, unit_code=d.unit, year=d.year,
                                criterion_code=d.criterion, points=d.points, bonus=d.bonus,
                                actor=d.operator)
    what = "không thay đổi" if not r.changed else (
        f"{r.previous[0]} → {r.points}" if r.previous else f"{r.points} điểm")
    changed("Đã chấm điểm", [f"{r.unit_code}, năm {r.year}, tiêu chí {r.criterion_code}: "
                             f"{what} (thưởng {r.bonus})"])
    return {"unit": r.unit_code, "points": str(r.points), "changed": r.changed}


@flow(name="send-test-notification", validate_parameters=False)
@refuse_user_errors
def send_test_notification(data: TestNotificationInput) -> dict[str, Any]:
    """Gửi thông báo thử đến một đầu mối (qua hộp thư đi, gửi ngay)."""
    d = coerce(TestNotificationInput, data)
    with session_scope() as s:
        r = notify.queue_test(s, d.contact, d.operator, channel=d.channel)
    stats = dispatch()
    changed("Đã gửi thông báo thử", [f"Đầu mối {r.target}: {len(r.messages)} thông báo "
                                     f"(số {', '.join(map(str, r.messages))})",
                                     f"Đã gửi {stats.sent}, chưa cấu hình kênh "
                                     f"{stats.unconfigured}, lỗi {stats.dead + stats.retry}"])
    return {"messages": r.messages, "sent": stats.sent}


@flow(name="unit-status", validate_parameters=False)
@refuse_user_errors
def unit_status(data: UnitInput) -> dict[str, Any]:
    """Xem tình hình một đơn vị (không ghi gì)."""
    d = coerce(UnitInput, data)
    day = today()
    with session_scope() as s:
        st = status.unit_status(s, d.unit, day)
    rows = [{"Loại": kind, "Hạn": x.due_text(), "Nội dung": x.title, "Kỳ": x.period_label,
             "Kế hoạch": x.plan_code}
            for kind, items in (("Quá hạn", st.overdue), ("Sắp đến hạn", st.upcoming))
            for x in items]
    rate = format_percent(st.on_time_rate) if st.on_time_rate is not None else "—"
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
