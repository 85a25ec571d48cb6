"""Queries an operator asks from a form (they write nothing)."""

from __future__ import annotations

from pydantic import Field

from danvan_workflow.commands.base import Command


class ShowUnitStatus(Command):
    unit: str = Field(title="Mã đơn vị", description="Ví dụ: DP.BDV")
