"""Plan targets (chỉ tiêu) as a share of a population of units.

Examples from 294/KH-VP (Đồng Nai, 2024): "100% các phòng phổ biến kế hoạch"
(``>= 100``), "80% đạt tiêu chí Dân vận khéo" (``>= 80``), "trên 80% thực hiện tốt
quy chế dân chủ" (``> 80``).

The comparison is exact (``count * 100`` against ``threshold * total``); the
reported ``percent`` is rounded half-up to 2 decimals for display only, so 2 of 3
shows 66.67 yet does not meet ">= 66.67".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from danvan_workflow.core.vietnamese import nfc

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


class Comparison(StrEnum):
    AT_LEAST = ">="
    MORE_THAN = ">"

    @property
    def label(self) -> str:
        return "ít nhất" if self is Comparison.AT_LEAST else "trên"


@dataclass(frozen=True)
class Target:
    code: str
    title: str
    threshold_percent: Decimal
    comparison: Comparison = Comparison.AT_LEAST

    def __post_init__(self) -> None:
        if not (0 <= self.threshold_percent <= HUNDRED):
            raise ValueError(f"target {self.code}: threshold_percent must be within 0..100")
        if self.comparison is Comparison.MORE_THAN and self.threshold_percent == HUNDRED:
            raise ValueError(f"target {self.code}: '> 100' can never be achieved")


@dataclass(frozen=True)
class TargetStatus:
    achieved: bool
    percent: Decimal  # rounded to 0.01, for display
    count: int
    total: int
    missing: list[str]  # population units without the fact, in population order
    note: str | None = None


def evaluate(target: Target, population: Iterable[str], facts: set[str]) -> TargetStatus:
    """How many units of `population` have the fact (unit codes in `facts`).

    Duplicates in the population count once; facts of units outside it are ignored.
    An empty population is *not achieved*, with a note (nothing to measure is not
    success).
    """
    units = list(dict.fromkeys(population))
    if not units:
        return TargetStatus(
            achieved=False,
            percent=Decimal(0),
            count=0,
            total=0,
            missing=[],
            note=nfc(
                f"Chỉ tiêu {target.code}: không có đơn vị nào thuộc đối tượng đánh giá, "
                "không thể tính tỷ lệ."
            ),
        )
    missing = [u for u in units if u not in facts]
    count = len(units) - len(missing)
    scaled = Decimal(count) * HUNDRED
    bound = target.threshold_percent * len(units)
    achieved = scaled >= bound if target.comparison is Comparison.AT_LEAST else scaled > bound
    percent = (scaled / len(units)).quantize(CENT, rounding=ROUND_HALF_UP)
    return TargetStatus(
        achieved=achieved, percent=percent, count=count, total=len(units), missing=missing
    )
