"""Commands about "Dân vận khéo" models: register one, apply a lifecycle event."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from danvan_workflow.commands.base import Command, Day, OptionalDay
from danvan_workflow.commands.common import OPERATOR, one_of
from danvan_workflow.core.lifecycle import Batch, ModelField


class RegisterModel(Command):
    # Đăng ký mô hình (Bước 1).
    unit_code: str = Field(title="Đơn vị đăng ký", description="Mã đơn vị")
    name: str = Field(title="Tên mô hình")
    address: str = Field(title="Địa chỉ")
    field: Annotated[ModelField, one_of(ModelField)] = Field(title="Lĩnh vực")
    start: Day = Field(title="Thời gian bắt đầu")
    end: Day = Field(title="Thời gian kết thúc")
    content: str = Field(title="Nội dung thực hiện")
    owner: str = Field(title="Chủ mô hình / người phụ trách")
    batch: Annotated[Batch, one_of(Batch)] = Field(title="Đợt đăng ký")
    plan: str | None = Field(None, title="Số kế hoạch", description="Ví dụ: 26-KH/BCĐ")
    operator: str = OPERATOR


ModelEventName = Literal["approve", "reject", "start", "self_review_3m", "self_review_6m",
                         "inspect_mid_year", "inspect_year_end", "recognise", "not_recognise",
                         "replicate", "undo"]


class ApplyModelEvent(Command):
    # A lifecycle event of a model (duyệt, bắt đầu, tự đánh giá, công nhận...).
    model_id: int = Field(title="Số mô hình")
    event: ModelEventName = Field(
        title="Thao tác", description="approve: duyệt; reject: không duyệt; start: bắt đầu "
                                      "thực hiện; recognise: công nhận; ...; undo: hủy "
                                      "thao tác trước đó ghi nhầm (ghi lý do)")
    assignment_notice: str | None = Field(None, title="Thông báo giao",
                                          description="Ví dụ: Thông báo số 123-TB/ThU")
    reason: str | None = Field(None, title="Lý do",
                               description="Khi không duyệt, hoặc khi hủy thao tác ghi nhầm")
    level: str | None = Field(None, title="Cấp công nhận", description="Ví dụ: cấp thị xã")
    on: OptionalDay = Field(None, title="Ngày")
    note: str | None = Field(None, title="Ghi chú")
    operator: str = OPERATOR
