"""Commands about report deadlines: record a submission, extend or waive, request a report."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from danvan_workflow.commands.base import DAY_HINT, Command, Day, OptionalDay
from danvan_workflow.commands.common import OPERATOR


class RecordSubmission(Command):
    # Ghi nhận báo cáo đã nộp (by deadline number, or plan + obligation + unit + period).
    deadline_id: int | None = Field(None, title="Số hạn báo cáo",
                                    description="Số hạn (xem bảng theo dõi); hoặc điền 4 ô dưới")
    plan: str | None = Field(None, title="Số kế hoạch", description="Ví dụ: 26-KH/BCĐ")
    obligation: str | None = Field(None, title="Mã nghĩa vụ báo cáo")
    unit: str | None = Field(None, title="Mã đơn vị báo cáo")
    period: str | None = Field(None, title="Mã kỳ báo cáo", description="Ví dụ: 2026-H1")
    received_on: Day = Field(title="Ngày nhận báo cáo")
    document_number: str | None = Field(None, title="Số văn bản",
                                        description="Ví dụ: 15-BC/ĐU")
    operator: str = OPERATOR
    # CLI only (`--attachment`): not shown on the Prefect form
    attachment: SkipJsonSchema[str | None] = Field(None, title="Tệp đính kèm")


class ChangeDeadline(Command):
    # Gia hạn (`gia_han`, with a new due date) or waive (`mien`) one deadline.
    deadline_id: int = Field(title="Số hạn báo cáo")
    action: Literal["gia_han", "mien"] = Field(title="Thao tác",
                                               description="gia_han: gia hạn; mien: miễn nộp")
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
    deadline_id: int = Field(ge=1, le=2**31 - 1, title="Số hạn báo cáo",
                             description="Số hạn đã ghi nhận nộp (xem bảng theo dõi)")
    reason: str = Field(min_length=1, max_length=1000, title="Lý do rút lại",
                        description="Ví dụ: ghi nhầm đơn vị; báo cáo chưa đủ nội dung")
    operator: str = OPERATOR
