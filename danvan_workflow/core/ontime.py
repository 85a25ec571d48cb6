"""The on-time rate ("Tỷ lệ nộp đúng hạn"): one definition for every screen.

    rate = reports submitted on time
           / reports whose due date has passed (on time + late + overdue, not submitted)

Waived, cancelled and closed deadlines, and open ones not yet due, are not counted.
With nothing counted the rate is undefined (None, shown "—"). See docs/glossary.md.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from danvan_workflow.core.vietnamese import format_percent

__all__ = ["OnTimeCounts", "on_time_rate"]


def on_time_rate(on_time: int, late: int, overdue: int) -> Decimal | None:
    """Percent with one decimal (Decimal('85.7')), or None when nothing is counted."""
    counted = on_time + late + overdue
    if counted <= 0:
        return None
    return (Decimal(on_time) * 100 / counted).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class OnTimeCounts:
    on_time: int = 0
    late: int = 0
    overdue: int = 0  # open or extended, due before the day, not submitted

    @property
    def rate(self) -> Decimal | None:
        return on_time_rate(self.on_time, self.late, self.overdue)


def rate_text(rate: Decimal | None) -> str:
    """The rate as the tables print it: "85,7%", or "—" when nothing was due."""
    return format_percent(rate) if rate is not None else "—"
