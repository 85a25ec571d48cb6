"""Commands about report deadlines: record a submission, extend or waive, request a report."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from danvan_workflow.commands.base import DAY_HINT, Command, Day, OptionalDay
from danvan_workflow.commands.common import OPERATOR


class RecordSubmission(Command):
    # Ghi nhận báo cáo đã nộp: unit (+ plan) then a deadline picked from a list; or the
    # deadline number; or plan + obligation + unit + period (the CLI's way).
    unit: str | None = Field(None, title="Mã đơn vị báo cáo",
                             description="Điền mã đơn vị rồi chọn hạn trong danh sách hiện ra")
    plan: str | None = Field(None, title="Số kế hoạch",
                             description="Không bắt buộc, để thu hẹp danh sách; ví dụ: 26-KH/BCĐ")
    deadline_id: int | None = Field(None, ge=1, le=2**31 - 1, title="Số hạn báo cáo",
                                    description="Nếu đã biết số hạn (bảng theo dõi)")
    obligation: str | None = Field(None, title="Mã nghĩa vụ báo cáo")
    period: str | None = Field(None, title="Mã kỳ báo cáo", description="Ví dụ: 2026-H1")
    received_on: Day = Field(title="Ngày nhận báo cáo")
    document_number: str | None = Field(None, title="Số văn bản",
                                        description="Ví dụ: 15-BC/ĐU")
    operator: str = OPERATOR
    # CLI only (`--attachment`): not shown on the Prefect form
    attachment: SkipJsonSchema[str | None] = Field(None, title="Tệp đính kèm")


class ChangeDeadline(Command):
    # Gia hạn (`gia_han`, with a new due date), waive (`mien`) one deadline, or undo the
    # last of these recorded by mistake (`huy`).
    unit: str | None = Field(None, title="Mã đơn vị báo cáo",
                             description="Để chọn hạn trong danh sách (khi chưa biết số hạn)")
    deadline_id: int | None = Field(None, ge=1, le=2**31 - 1, title="Số hạn báo cáo",
                                    description="Để trống thì chọn trong danh sách của đơn vị")
    action: Literal["gia_han", "mien", "huy"] = Field(
        title="Thao tác", description="gia_han: gia hạn; mien: miễn nộp; huy: hủy lần gia hạn "
                                      "hoặc miễn nộp ghi nhầm")
    new_due: OptionalDay = Field(None, title="Hạn mới", description="Chỉ khi gia hạn; " + DAY_HINT)
    reason: str = Field(title="Lý do")
    operator: str = OPERATOR


class RequestReport(Command):
    # Ask units for an ad-hoc report ("khi có yêu cầu").
    plan: str = Field(title="Số kế hoạch")
    obligation: str | None = Field(None, title="Mã nghĩa vụ báo cáo khi có yêu cầu",
                                   description="Để trống nếu kế hoạch chỉ có một")
    units: list[str] = Field(title="Các đơn vị báo cáo", description="Mã đơn vị")
    due_on: Day = Field(title="Hạn nộp")
    title: str = Field(title="Nội dung yêu cầu báo cáo")
    operator: str = OPERATOR


class WithdrawSubmission(Command):
    # Rút lại một báo cáo đã ghi nhận nhầm: the deadline awaits its report again.
    unit: str | None = Field(None, title="Mã đơn vị báo cáo",
                             description="Để chọn báo cáo trong danh sách (khi chưa biết số hạn)")
    deadline_id: int | None = Field(None, ge=1, le=2**31 - 1, title="Số hạn báo cáo",
                                    description="Để trống thì chọn trong danh sách của đơn vị")
    reason: str = Field(min_length=1, max_length=1000, title="Lý do rút lại",
                        description="Ví dụ: ghi nhầm đơn vị; báo cáo chưa đủ nội dung")
    operator: str = OPERATOR


ReportKind = Literal["ke_hoach", "ky_bao_cao", "kiem_tra", "thi_dua", "chi_tieu", "dia_ban"]


class ExportWordReport(Command):
    # Báo cáo Word có thể thức văn bản, điền từ số liệu đã ghi nhận.
    kind: ReportKind = Field(
        "ke_hoach", title="Loại báo cáo",
        description="ke_hoach: tình hình nộp báo cáo theo kế hoạch; ky_bao_cao: một kỳ báo cáo "
                    "(ai nộp đúng hạn, trễ, chưa nộp); kiem_tra: đợt kiểm tra “Dân vận khéo”; "
                    "thi_dua: tổng hợp chấm điểm thi đua; chi_tieu: tình hình chỉ tiêu; "
                    "dia_ban: tổng hợp theo địa bàn")
    plan: str | None = Field(None, title="Số kế hoạch", description="Ví dụ: 294/KH-VP")
    period: str | None = Field(None, title="Mã kỳ báo cáo", description="Khi ky_bao_cao; "
                                                                      "ví dụ: 2026-H1")
    round_code: str | None = Field(None, title="Mã đợt kiểm tra", description="Khi kiem_tra")
    year: int | None = Field(None, ge=2000, le=2099, title="Năm",
                             description="Khi thi_dua, chi_tieu")
    scorer: str | None = Field(None, title="Mã đơn vị chấm điểm", description="Khi thi_dua")
    issuer: str | None = Field(None, title="Mã đơn vị ban hành",
                               description="Khi dia_ban (các loại khác: đơn vị ban hành kế "
                                           "hoạch)")
    on: OptionalDay = Field(None, title="Tính đến ngày", description="Để trống: hôm nay; "
                                                                     + DAY_HINT)
    operator: str = OPERATOR
