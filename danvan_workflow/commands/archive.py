"""Commands of `danvan plans delete`, `plans roll`, `units delete`, `deadlines close-year`."""

from __future__ import annotations

from pydantic import Field

from danvan_workflow.commands.base import Command
from danvan_workflow.commands.common import OPERATOR

CONFIRM_TITLE = "Mã xác nhận (gõ lại đúng mã)"


class DeletePlan(Command):
    """Delete an archived plan for real, once its code is retyped (`confirm`)."""

    code: str = Field(min_length=1, title="Số kế hoạch")
    confirm: str | None = Field(None, title=CONFIRM_TITLE)
    operator: str = OPERATOR


class DeleteUnit(Command):
    """Delete an archived unit for real, once its code is retyped (`confirm`)."""

    code: str = Field(min_length=1, title="Mã đơn vị")
    confirm: str | None = Field(None, title=CONFIRM_TITLE)
    operator: str = OPERATOR


class CloseYear(Command):
    """Close a past year's open deadlines ("Đã đóng (không nộp)"); the reason is required
    (checked by the use case, which names `--reason`)."""

    year: int = Field(ge=2000, le=2099, title="Năm")
    reason: str | None = Field(None, title="Lý do đóng")
    operator: str = OPERATOR


class RollPlan(Command):
    """Draft next year's plan from this year's (`danvan plans roll`)."""

    code: str = Field(min_length=1, title="Số kế hoạch")
    year: int = Field(ge=2000, le=2099, title="Năm của kế hoạch mới")
    operator: str = OPERATOR


class ImportWorkbook(Command):
    """Units and focal points from the Excel template (`danvan units import`)."""

    path: str = Field(min_length=1, title="Tệp Excel (.xlsx)")
    operator: str = OPERATOR
