"""Commands about targets: record a fact of a unit (e.g. the plan was disseminated)."""

from __future__ import annotations

from pydantic import Field

from danvan_workflow.commands.base import Command
from danvan_workflow.commands.common import OPERATOR


class RecordUnitFact(Command):
    unit: str = Field(title="Mã đơn vị")
    fact: str = Field(title="Sự kiện", description="Ví dụ: plan_disseminated")
    year: int = Field(title="Năm")
    value: bool = Field(True, title="Có / không")
    operator: str = OPERATOR
