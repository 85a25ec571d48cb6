"""Commands about inspection rounds: open a round (teams, visits), record a visit's result."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from danvan_workflow.commands.base import DAY_HINT, Command, OptionalDay
from danvan_workflow.commands.common import OPERATOR


class Member(Command):
    name: str = Field(title="Họ tên", description="Họ tên thành viên đoàn kiểm tra")
    role: str = Field("", title="Chức danh trong đoàn", description="Ví dụ: Trưởng đoàn")


class Visit(Command):
    unit: str = Field(title="Mã đơn vị", description="Đơn vị được kiểm tra, ví dụ DP.PHOVINH.DU")
    model_id: int | None = Field(None, title="Số mô hình",
                                 description="Mô hình “Dân vận khéo” được kiểm tra (nếu có)")
    visit_on: OptionalDay = Field(None, title="Ngày kiểm tra", description="Dự kiến; " + DAY_HINT)


class Team(Command):
    name: str = Field(title="Tên đoàn/tổ", description="Ví dụ: Đoàn kiểm tra số 1")
    members: list[Member] = Field(default_factory=list, title="Thành viên")
    visits: list[Visit] = Field(default_factory=list, title="Lượt kiểm tra")


class OpenInspectionRound(Command):
    # A new inspection round with its teams and planned visits.
    plan: str = Field(title="Số kế hoạch", description="Ví dụ: 26-KH/BCĐ")
    kind: Literal["mid_year", "year_end", "ad_hoc"] = Field(
        title="Loại đợt", description="mid_year: 6 tháng đầu năm; year_end: cuối năm; "
                                      "ad_hoc: đột xuất")
    year: int = Field(title="Năm", description="Năm của đợt kiểm tra")
    title: str = Field(title="Tên đợt kiểm tra")
    report_due_on: OptionalDay = Field(
        None, title="Hạn báo cáo kết quả",
        description="Để trống: lấy theo hạn báo cáo tháng 7 / tháng 12 của kế hoạch")
    teams: list[Team] = Field(title="Các đoàn kiểm tra")
    operator: str = Field("prefect-ui", title="Người thực hiện")
    # CLI only (`--code`): not shown on the Prefect form
    code: SkipJsonSchema[str | None] = Field(None, title="Mã đợt")


class RecordInspectionResult(Command):
    # The result of one planned visit.
    round_code: str = Field(title="Mã đợt kiểm tra", description="Ví dụ: mid_year-2026")
    unit: str = Field(title="Mã đơn vị")
    model_id: int | None = Field(None, title="Số mô hình")
    result: Literal["dat", "khong_dat", "xuat_sac"] = Field(
        title="Kết quả", description="dat: Đạt; khong_dat: Không đạt; xuat_sac: Xuất sắc")
    findings: str | None = Field(None, title="Nhận xét")
    visit_on: OptionalDay = Field(None, title="Ngày kiểm tra")
    operator: str = OPERATOR
