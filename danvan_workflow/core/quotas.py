"""Registration quotas for "Dân vận khéo" models (plan 26-KH/BCĐ, mục IV).

"Đảng bộ các phường, xã: đăng ký xây dựng tối thiểu 5 mô hình; đảng bộ, chi bộ cơ sở
khối cơ quan, doanh nghiệp, trường học: ít nhất 01 mô hình."

A rule's selector matches a unit when every selector key equals the unit attribute
of that name (``code``, ``name``, ``kind``, ``level``, ``sector``, ``parent``). When
several rules match, the strictest (largest ``min_models``) applies. Units matched
by no rule have no quota and get no line.

Which models count is the caller's job: ``registered_counts`` should count the
unit's models of the year that are not rejected (state other than ``rejected``);
the report only compares numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

_SELECTABLE = ("code", "name", "kind", "level", "sector", "parent")


@dataclass(frozen=True)
class UnitInfo:
    code: str
    name: str
    kind: str
    level: str
    sector: str | None = None
    parent: str | None = None

    def attribute(self, key: str) -> str | None:
        value = getattr(self, key)
        assert value is None or isinstance(value, str)
        return value


assert tuple(f.name for f in fields(UnitInfo)) == _SELECTABLE


@dataclass(frozen=True)
class QuotaRule:
    selector: Mapping[str, str]
    min_models: int

    def __post_init__(self) -> None:
        unknown = sorted(set(self.selector) - set(_SELECTABLE))
        if unknown:
            raise ValueError(f"unknown selector keys {unknown}; allowed: {list(_SELECTABLE)}")
        if self.min_models < 0:
            raise ValueError(f"min_models must be >= 0, got {self.min_models}")

    def matches(self, unit: UnitInfo) -> bool:
        return all(unit.attribute(k) == v for k, v in self.selector.items())


@dataclass(frozen=True)
class QuotaLine:
    unit_code: str
    unit_name: str
    required: int
    registered: int
    short_by: int  # max(0, required - registered)

    @property
    def met(self) -> bool:
        return self.short_by == 0


def required_models(unit: UnitInfo, rules: Iterable[QuotaRule]) -> int | None:
    """The strictest quota among the matching rules; None when no rule matches."""
    matching = [r.min_models for r in rules if r.matches(unit)]
    return max(matching) if matching else None


def quota_report(
    units: Iterable[UnitInfo],
    rules: Sequence[QuotaRule],
    registered_counts: Mapping[str, int],
) -> list[QuotaLine]:
    """One line per unit that has a quota, in the order of `units`.

    A unit missing from `registered_counts` registered 0 models. Filter on
    ``not line.met`` for the units to chase.
    """
    lines: list[QuotaLine] = []
    for unit in units:
        required = required_models(unit, rules)
        if required is None:
            continue
        registered = registered_counts.get(unit.code, 0)
        if registered < 0:
            raise ValueError(f"negative registered count for {unit.code}: {registered}")
        lines.append(
            QuotaLine(
                unit_code=unit.code,
                unit_name=unit.name,
                required=required,
                registered=registered,
                short_by=max(0, required - registered),
            )
        )
    return lines


def short_units(lines: Iterable[QuotaLine]) -> list[QuotaLine]:
    """Only the lines whose unit registered fewer models than required."""
    return [line for line in lines if not line.met]
