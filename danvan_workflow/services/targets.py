"""Use cases for plan targets (chỉ tiêu): record unit facts, compute target status.

Also home of the unit selector helpers shared by scores and quotas: a selector
``{kind, level, sector, parent}`` matches a unit when every given key equals the
unit's attribute (``parent`` is the parent unit's code).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from danvan_workflow.commands.targets import RecordUnitFact
from danvan_workflow.core import targets as core
from danvan_workflow.core.quotas import UnitInfo
from danvan_workflow.core.vietnamese import format_percent, nfc
from danvan_workflow.db.models import Target, Unit, UnitFact
from danvan_workflow.errors import UserError
from danvan_workflow.services import audit
from danvan_workflow.services.queries import require_plan_year, resolve_plan, resolve_unit
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.timeutil import now

FACT_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


# --------------------------------------------------------------------------- selectors


def unit_infos(session: Session) -> list[UnitInfo]:
    """Every unit as the core sees it (parent as a code), ordered by code."""
    rows = session.execute(select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.level,
                                  Unit.sector, Unit.parent_id).order_by(Unit.code)).all()
    code_of = {r.id: r.code for r in rows}
    return [UnitInfo(code=r.code, name=r.name, kind=r.kind, level=r.level, sector=r.sector,
                     parent=code_of.get(r.parent_id) if r.parent_id else None) for r in rows]


def matches(unit: UnitInfo, selector: Mapping[str, Any]) -> bool:
    return all(v is None or unit.attribute(k) == v for k, v in selector.items())


def select_units(units: Iterable[UnitInfo], selectors: Iterable[Mapping[str, Any]]
                 ) -> list[UnitInfo]:
    """Units matching any selector, in the order of `units`."""
    sels = list(selectors)
    return [u for u in units if any(matches(u, s) for s in sels)]


def check_year(year: int) -> int:
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise UserError(f"năm '{year}' không hợp lệ", field="year")
    return year


# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class FactResult:
    unit_code: str
    fact: str
    year: int
    value: bool
    previous: bool | None  # None when the fact was not recorded before
    changed: bool


def record_fact(session: Session, unit_code: str, fact: str, year: int, value: bool = True,
                actor: str = "cli") -> FactResult:
    """Record (or correct) a fact about a unit in a year, e.g. `plan_disseminated`."""
    unit = resolve_unit(session, unit_code, field="unit")
    fact = (fact or "").strip()
    if not FACT_RE.match(fact):
        raise UserError(f"tên sự kiện '{fact}' không hợp lệ (chữ thường không dấu, số, '_')",
                        field="fact")
    check_year(year)
    row = session.execute(select(UnitFact).where(
        UnitFact.unit_id == unit.id, UnitFact.fact == fact, UnitFact.year == year)
    ).scalar_one_or_none()
    previous = None if row is None else bool(row.value)
    if row is None:
        session.add(UnitFact(unit_id=unit.id, fact=fact, year=year, value=value,
                             recorded_by=actor, recorded_at=now()))
    elif row.value != value:
        row.value = value
        row.recorded_by = actor
        row.recorded_at = now()
    changed = previous != value
    if changed:
        session.flush()
        audit.record(session, actor=actor, action="fact.recorded", entity="unit_fact",
                     entity_id=f"{unit.code}/{fact}/{year}",
                     before=None if previous is None else {"value": previous},
                     after={"value": value})
    return FactResult(unit.code, fact, year, value, previous, changed)


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class TargetLine:
    code: str
    title: str
    fact: str
    threshold_percent: Decimal
    comparison: str
    percent: Decimal
    achieved: bool
    count: int
    total: int
    missing: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    note: str | None = None

    @property
    def summary(self) -> str:
        word = "Đạt" if self.achieved else "Chưa đạt"
        comp = core.Comparison(self.comparison).label
        return nfc(f"{word}: {self.count}/{self.total} đơn vị ({format_percent(self.percent)}), "
                   f"chỉ tiêu {comp} {format_percent(self.threshold_percent)}")


@dataclass(frozen=True)
class TargetReport:
    plan_code: str
    year: int
    lines: list[TargetLine]


def target_status(session: Session, plan_code: str, year: int) -> TargetReport:
    """Per target of the plan: share of the population with the fact in `year`."""
    plan = resolve_plan(session, plan_code, field="plan")
    require_plan_year(plan, check_year(year))
    units = unit_infos(session)
    targets = session.execute(select(Target).where(Target.plan_id == plan.id)
                              .order_by(Target.code)).scalars().all()
    facts_needed = {t.fact for t in targets}
    have: dict[str, set[str]] = {f: set() for f in facts_needed}
    if facts_needed:
        rows = session.execute(select(UnitFact.fact, Unit.code).join(
            Unit, Unit.id == UnitFact.unit_id).where(
            UnitFact.year == year, UnitFact.value.is_(True),
            UnitFact.fact.in_(facts_needed))).all()
        for fact, code in rows:
            have[fact].add(code)
    names = {u.code: u.name for u in units}
    lines = []
    for t in targets:
        population = [u.code for u in select_units(units, t.population)]
        spec = core.Target(code=t.code, title=t.title,
                           threshold_percent=Decimal(t.threshold_percent),
                           comparison=core.Comparison(t.comparison))
        st = core.evaluate(spec, population, have.get(t.fact, set()))
        lines.append(TargetLine(t.code, t.title, t.fact, Decimal(t.threshold_percent),
                                t.comparison, st.percent, st.achieved, st.count, st.total,
                                [(c, names.get(c, c)) for c in st.missing], st.note))
    return TargetReport(plan.code, year, lines)


# --------------------------------------------------------------------------- commands and views


def record_unit_fact(cmd: RecordUnitFact) -> FactResult:
    """The command "record a fact of a unit", in its own transaction."""
    with unit_of_work() as s:
        return record_fact(s, cmd.unit, cmd.fact, cmd.year, cmd.value, cmd.operator)


def view_targets(plan_code: str, year: int) -> TargetReport:
    """How far the plan's targets are met (read only)."""
    with unit_of_work() as s:
        return target_status(s, plan_code, year)
