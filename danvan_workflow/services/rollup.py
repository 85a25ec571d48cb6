"""Totals that follow the unit hierarchy: province → district → unit (read side).

A unit's totals are its own deadlines plus those of every unit below it (`parent`
links in config/units). Everything is counted in SQL over two recursive CTEs:

* `unit_tree`: each live unit with its path from the top ("CL.HU/CL.BDV") and depth,
  which orders the table as a tree;
* `unit_closure`: (ancestor, unit) for every unit and each of its ancestors, itself
  included, which the totals are grouped by.

The counts are `views.on_time_columns`: the one on-time rate, like every other figure.
Depth is bounded so that a parent cycle written into config/ cannot loop forever.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Integer, String, cast, func, literal, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import CTE

from danvan_workflow.core.deadline_status import OPEN_STATES
from danvan_workflow.core.ontime import on_time_rate
from danvan_workflow.db import models as m
from danvan_workflow.services.unit_of_work import unit_of_work
from danvan_workflow.services.views import on_time_columns

MAX_DEPTH = 12
WORST = 3  # worst offenders named per row

LEVEL_WORDS = {"central": "Trung ương", "province": "Tỉnh", "district": "Huyện",
               "commune": "Xã", "base": "Cơ sở"}


@dataclass(frozen=True)
class RollupRow:
    code: str
    name: str
    level: str
    depth: int
    units: int  # units counted (itself and those below it, live ones)
    on_time: int
    late: int
    overdue: int
    total: int
    worst: tuple[str, ...]  # names of the units below with the most overdue reports

    @property
    def rate(self) -> Decimal | None:
        return on_time_rate(self.on_time, self.late, self.overdue)

    @property
    def level_word(self) -> str:
        return LEVEL_WORDS.get(self.level, self.level)


def _closure() -> CTE:
    U, child = m.Unit, aliased(m.Unit)
    live = U.archived_at.is_(None)
    base = (select(U.id.label("ancestor_id"), U.id.label("unit_id"),
                   literal(0, Integer).label("depth"))
            .where(live).cte("unit_closure", recursive=True))
    step = (select(base.c.ancestor_id, child.id, base.c.depth + 1)
            .join(child, child.parent_id == base.c.unit_id)
            .where(child.archived_at.is_(None), base.c.depth < MAX_DEPTH))
    return base.union_all(step)


def _tree() -> CTE:
    """Live units with their path from the top of their tree and their depth."""
    U, child = m.Unit, aliased(m.Unit)
    parent = aliased(m.Unit)
    top = (select(U.id.label("id"), cast(U.code, String).label("path"),
                  literal(0, Integer).label("depth"))
           .outerjoin(parent, parent.id == U.parent_id)
           .where(U.archived_at.is_(None),
                  (U.parent_id.is_(None)) | (parent.archived_at.is_not(None)))
           .cte("unit_tree", recursive=True))
    step = (select(child.id, cast(top.c.path + "/" + child.code, String), top.c.depth + 1)
            .join(child, child.parent_id == top.c.id)
            .where(child.archived_at.is_(None), top.c.depth < MAX_DEPTH))
    return top.union_all(step)


def rollup(session: Session, day: dt.date) -> list[RollupRow]:
    """Every live unit that has units below it, with the totals of its subtree for the
    deadlines due by `day`, in tree order (a parent before its children)."""
    D, U = m.Deadline, m.Unit
    closure, tree = _closure(), _tree()
    has_children = select(U.parent_id).where(U.parent_id.is_not(None),
                                             U.archived_at.is_(None))
    anc = aliased(m.Unit)
    totals = (
        select(closure.c.ancestor_id.label("id"),
               func.count(func.distinct(closure.c.unit_id)).label("units"),
               *[c.label(n) for c, n in zip(on_time_columns(day), ("on_time", "late", "overdue"),
                                            strict=True)],
               func.count(D.id).label("total"))
        .select_from(closure)
        .outerjoin(D, (D.unit_id == closure.c.unit_id) & (D.due_on <= day))
        .where(closure.c.ancestor_id.in_(has_children))
        .group_by(closure.c.ancestor_id).subquery())
    rows = session.execute(
        select(anc.id, anc.code, anc.name, anc.level, tree.c.depth, totals.c.units,
               totals.c.on_time, totals.c.late, totals.c.overdue, totals.c.total)
        .join(totals, totals.c.id == anc.id).join(tree, tree.c.id == anc.id)
        .order_by(tree.c.path)).tuples().all()
    worst = _worst(session, day, closure)
    return [RollupRow(code, name, level, int(depth), int(units), int(on_time), int(late),
                      int(overdue), int(total), tuple(worst.get(uid, ())))
            for uid, code, name, level, depth, units, on_time, late, overdue, total in rows]


def _worst(session: Session, day: dt.date, closure: CTE) -> dict[int, list[str]]:
    """For each ancestor, the units below it with the most overdue reports (up to WORST)."""
    D, U = m.Deadline, m.Unit
    overdue = (select(D.unit_id, func.count().label("n"))
               .where(D.status.in_(OPEN_STATES), D.due_on < day).group_by(D.unit_id)
               .subquery())
    ranked = (
        select(closure.c.ancestor_id.label("ancestor_id"), U.name.label("name"),
               overdue.c.n.label("n"),
               func.row_number().over(partition_by=closure.c.ancestor_id,
                                      order_by=(overdue.c.n.desc(), U.code)).label("rn"))
        .join(overdue, overdue.c.unit_id == closure.c.unit_id)
        .join(U, U.id == closure.c.unit_id)
        .where(closure.c.depth > 0).subquery())
    out: dict[int, list[str]] = {}
    for ancestor_id, name, n in session.execute(
            select(ranked.c.ancestor_id, ranked.c.name, ranked.c.n)
            .where(ranked.c.rn <= WORST).order_by(ranked.c.ancestor_id, ranked.c.rn)).tuples():
        out.setdefault(ancestor_id, []).append(f"{name} ({n})")
    return out


def view_rollup(day: dt.date) -> list[RollupRow]:
    """`rollup` in its own (read-only) unit of work."""
    with unit_of_work() as s:
        return rollup(s, day)
