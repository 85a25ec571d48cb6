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
from typing import Any

from sqlalchemy import Integer, String, cast, func, literal, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.selectable import CTE

from danvan_workflow.core.ontime import on_time_rate
from danvan_workflow.db import models as m
from danvan_workflow.services import figures
from danvan_workflow.services.unit_of_work import unit_of_work

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
    """(ancestor, unit, depth) for every live unit that has live units below it, and each
    unit of its subtree (itself at depth 0): the rows the roll-up is grouped by."""
    U, child, kid = m.Unit, aliased(m.Unit), aliased(m.Unit)
    has_children = (select(kid.id).where(kid.parent_id == U.id, kid.archived_at.is_(None))
                    .exists())
    base = (select(U.id.label("ancestor_id"), U.id.label("unit_id"),
                   literal(0, Integer).label("depth"))
            .where(U.archived_at.is_(None), has_children)
            .cte("unit_closure", recursive=True))
    step = (select(base.c.ancestor_id, child.id, base.c.depth + 1)
            .join(child, child.parent_id == base.c.unit_id)
            .where(child.archived_at.is_(None), base.c.depth < MAX_DEPTH))
    return base.union_all(step)


def _tree() -> CTE:
    """Live units that have live units below them, with their path from the top of their
    tree and their depth (the roll-up's rows, in tree order)."""
    U, child, parent, kid = m.Unit, aliased(m.Unit), aliased(m.Unit), aliased(m.Unit)

    def has_children(unit: Any) -> Any:
        return (select(kid.id).where(kid.parent_id == unit.id, kid.archived_at.is_(None))
                .exists())

    top = (select(U.id.label("id"), cast(U.code, String).label("path"),
                  literal(0, Integer).label("depth"))
           .outerjoin(parent, parent.id == U.parent_id)
           .where(U.archived_at.is_(None), has_children(U),
                  (U.parent_id.is_(None)) | (parent.archived_at.is_not(None)))
           .cte("unit_tree", recursive=True))
    step = (select(child.id, cast(top.c.path + "/" + child.code, String), top.c.depth + 1)
            .join(child, child.parent_id == top.c.id)
            .where(child.archived_at.is_(None), has_children(child), top.c.depth < MAX_DEPTH))
    return top.union_all(step)


def rollup(session: Session, day: dt.date) -> list[RollupRow]:
    """Every live unit that has units below it, with the totals of its subtree for the
    deadlines due by `day`, in tree order (a parent before its children).

    Summed from the per-unit figures (services/figures.py), not from the deadlines."""
    figures.ensure(session, day)
    closure, tree, per_unit = _closure(), _tree(), figures.per_unit(day)
    anc = aliased(m.Unit)
    totals = (
        select(closure.c.ancestor_id.label("id"),
               # one row per (ancestor, unit): units in a parent cycle have no root and
               # never reach the table (the tree starts from roots)
               func.count().label("units"),
               *[func.coalesce(func.sum(per_unit.c[n]), 0).label(n)
                 for n in ("on_time", "late", "overdue", "due")])
        .select_from(closure)
        .outerjoin(per_unit, per_unit.c.unit_id == closure.c.unit_id)
        .group_by(closure.c.ancestor_id).subquery())
    rows = session.execute(
        select(anc.id, anc.code, anc.name, anc.level, tree.c.depth, totals.c.units,
               totals.c.on_time, totals.c.late, totals.c.overdue, totals.c.due)
        .join(totals, totals.c.id == anc.id).join(tree, tree.c.id == anc.id)
        .order_by(tree.c.path)).tuples().all()
    worst = _worst(session, closure, per_unit)
    return [RollupRow(code, name, level, int(depth), int(units), int(on_time), int(late),
                      int(overdue), int(total), tuple(worst.get(uid, ())))
            for uid, code, name, level, depth, units, on_time, late, overdue, total in rows]


def _worst(session: Session, closure: CTE, per_unit: Any) -> dict[int, list[str]]:
    """For each ancestor, the units below it with the most overdue reports (up to WORST).

    A unit among the WORST of a subtree is among the WORST of its own siblings (they all
    lie in that subtree), so only those candidates are walked up the tree and ranked:
    a few thousand rows instead of every (ancestor, unit) pair."""
    U, up = m.Unit, aliased(m.Unit)
    sibling_rank = func.row_number().over(partition_by=U.parent_id,
                                          order_by=(per_unit.c.overdue.desc(), U.code))
    ranked_siblings = (
        select(U.id.label("unit_id"), U.parent_id.label("parent_id"), U.code.label("code"),
               U.name.label("name"), per_unit.c.overdue.label("n"),
               sibling_rank.label("rn"))
        .join(per_unit, per_unit.c.unit_id == U.id)
        .where(U.archived_at.is_(None), U.parent_id.is_not(None), per_unit.c.overdue > 0)
        .subquery())
    candidates = (select(ranked_siblings).where(ranked_siblings.c.rn <= WORST)
                  .cte("worst_candidates").prefix_with("MATERIALIZED"))
    # each candidate with each live ancestor, walking up
    base = (select(candidates.c.unit_id, candidates.c.parent_id.label("ancestor_id"),
                   literal(1, Integer).label("depth"))
            .cte("worst_up", recursive=True))
    step = (select(base.c.unit_id, up.parent_id, base.c.depth + 1)
            .join(up, up.id == base.c.ancestor_id)  # go on above a live ancestor only
            .where(up.parent_id.is_not(None), up.archived_at.is_(None),
                   base.c.depth < MAX_DEPTH))
    walk = base.union_all(step)
    live = aliased(m.Unit)
    ranked = (
        select(walk.c.ancestor_id, candidates.c.name, candidates.c.n,
               func.row_number().over(partition_by=walk.c.ancestor_id,
                                      order_by=(candidates.c.n.desc(), candidates.c.code)
                                      ).label("rn"))
        .join(candidates, candidates.c.unit_id == walk.c.unit_id)
        .join(live, live.id == walk.c.ancestor_id).where(live.archived_at.is_(None))
        .subquery())
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
