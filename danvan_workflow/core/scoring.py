"""Scorecards (bảng điểm): criteria, totals, classification and ranking.

Points are ``Decimal`` throughout; never floats. A criterion has ``max_points`` and
may allow ``bonus_points`` on top (điểm thưởng). Classification thresholds are lower
bounds, highest first: a total exactly at a bound gets that class.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from danvan_workflow.core.vietnamese import nfc
from danvan_workflow.errors import UserError

ZERO = Decimal(0)


def _fmt(value: Decimal) -> str:
    """Vietnamese number style: decimal comma, no trailing zeros ("12,5", "20")."""
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


class ScoreError(UserError):
    """A score outside what the criterion allows."""


@dataclass(frozen=True)
class Criterion:
    code: str
    title: str
    max_points: Decimal
    bonus_points: Decimal = ZERO

    def __post_init__(self) -> None:
        if self.max_points < 0 or self.bonus_points < 0:
            raise ValueError(f"criterion {self.code}: points must be >= 0")


@dataclass(frozen=True)
class Score:
    criterion_code: str
    points: Decimal
    bonus: Decimal = ZERO

    @property
    def value(self) -> Decimal:
        return self.points + self.bonus


def validate_score(criterion: Criterion, points: Decimal, bonus: Decimal = ZERO) -> Score:
    """Build a :class:`Score`, refusing negative points or points over the maximum."""
    where = f"Tiêu chí {criterion.code} ({criterion.title})"
    if not points.is_finite() or not bonus.is_finite():
        raise ScoreError(nfc(f"{where}: điểm không hợp lệ."), field=criterion.code)
    if points < 0:
        raise ScoreError(
            nfc(f"{where}: điểm không được âm ({_fmt(points)})."), field=criterion.code
        )
    if points > criterion.max_points:
        raise ScoreError(
            nfc(
                f"{where}: điểm {_fmt(points)} vượt quá điểm tối đa {_fmt(criterion.max_points)}."
            ),
            field=criterion.code,
        )
    if bonus < 0:
        raise ScoreError(
            nfc(f"{where}: điểm thưởng không được âm ({_fmt(bonus)})."), field=criterion.code
        )
    if bonus > criterion.bonus_points:
        raise ScoreError(
            nfc(
                f"{where}: điểm thưởng {_fmt(bonus)} vượt quá mức thưởng tối đa "
                f"{_fmt(criterion.bonus_points)}."
            ),
            field=criterion.code,
        )
    return Score(criterion_code=criterion.code, points=points, bonus=bonus)


def total(scores: Iterable[Score]) -> Decimal:
    """Sum of points and bonuses. Each criterion must appear at most once."""
    seen: set[str] = set()
    result = ZERO
    for score in scores:
        if score.criterion_code in seen:
            raise ScoreError(
                nfc(f"Tiêu chí {score.criterion_code} được chấm nhiều lần."),
                field=score.criterion_code,
            )
        seen.add(score.criterion_code)
        result += score.value
    return result


@dataclass(frozen=True)
class Threshold:
    label: str
    min: Decimal


def check_thresholds(thresholds: Sequence[Threshold]) -> None:
    """Thresholds must be non-empty and strictly decreasing."""
    if not thresholds:
        raise ValueError("no classification thresholds")
    for higher, lower in pairwise(thresholds):
        if not lower.min < higher.min:
            raise ValueError(
                f"thresholds must be strictly decreasing: {higher.label} ({higher.min}) "
                f"then {lower.label} ({lower.min})"
            )


def classify(total_points: Decimal, thresholds: Sequence[Threshold]) -> str | None:
    """The label of the first threshold (highest first) with ``total >= min``.

    None when the total is below every threshold (cannot happen with a ``min: 0``
    class and validated scores).
    """
    check_thresholds(thresholds)
    for threshold in thresholds:
        if total_points >= threshold.min:
            return threshold.label
    return None


@dataclass(frozen=True)
class RankedUnit:
    rank: int
    unit: str
    total: Decimal


def rank(totals: Mapping[str, Decimal]) -> list[RankedUnit]:
    """Standard competition ranking ("1224"): ties share a rank, the next rank skips.

    Sorted by total descending, ties by unit code for a stable order.
    """
    ordered = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    result: list[RankedUnit] = []
    previous: Decimal | None = None
    current_rank = 0
    for position, (unit, value) in enumerate(ordered, start=1):
        if previous is None or value != previous:
            current_rank = position
            previous = value
        result.append(RankedUnit(rank=current_rank, unit=unit, total=value))
    return result


@dataclass(frozen=True)
class Aggregation:
    """A scoring body's results: ranked scored units, and those it has not scored yet."""

    scorer: str
    scored: list[RankedUnit]
    not_scored: list[str]
    unexpected: list[str]  # units with scores that the scorer is not assigned to
    classes: Mapping[str, str | None]  # unit -> class label (empty without thresholds)


def aggregate(
    scorer: str,
    scored_units: Iterable[str],
    scores: Mapping[str, Sequence[Score]],
    thresholds: Sequence[Threshold] | None = None,
) -> Aggregation:
    """Combine one scoring body's scores for the units it must score.

    A unit with no entry, or an empty list, in `scores` is ``not_scored`` (order of
    `scored_units` kept). Scores for units outside `scored_units` are reported in
    ``unexpected`` and left out of the ranking.
    """
    assigned = list(dict.fromkeys(scored_units))
    assigned_set = set(assigned)
    totals: dict[str, Decimal] = {}
    not_scored: list[str] = []
    for unit in assigned:
        unit_scores = scores.get(unit)
        if not unit_scores:
            not_scored.append(unit)
        else:
            totals[unit] = total(unit_scores)
    unexpected = sorted(u for u, s in scores.items() if u not in assigned_set and s)
    classes: dict[str, str | None] = {}
    if thresholds is not None:
        classes = {unit: classify(value, thresholds) for unit, value in totals.items()}
    return Aggregation(
        scorer=scorer,
        scored=rank(totals),
        not_scored=not_scored,
        unexpected=unexpected,
        classes=classes,
    )
