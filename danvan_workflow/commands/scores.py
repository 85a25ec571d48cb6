"""Commands about emulation scores."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from danvan_workflow.commands.base import Command
from danvan_workflow.commands.common import OPERATOR


def _points(value: Any) -> Any:
    """A decimal comma is accepted as typed in Vietnamese ("35,5")."""
    return value.strip().replace(",", ".") if isinstance(value, str) else value


Points = Annotated[Decimal, BeforeValidator(_points)]


class RecordScore(Command):
    # The points (and bonus) of one unit for one criterion in a year.
    plan: str = Field(title="Số kế hoạch")
    unit: str = Field(title="Mã đơn vị")
    year: int = Field(title="Năm")
    criterion: str = Field(title="Mã tiêu chí", description="Ví dụ: C1")
    points: Points = Field(title="Điểm")
    bonus: Points = Field(Decimal(0), title="Điểm thưởng")
    operator: str = OPERATOR
